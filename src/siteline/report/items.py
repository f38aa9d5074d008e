"""Evidence items as a report shows them: a short reference where they are cited, and a
full entry in the annex. A withheld item is reduced to its number, its sensitivity and the
SHA-256 of its original before any template sees it. Pure.
"""

from __future__ import annotations

from siteline.domain.values import LOCATION_RADIUS_METRES, FuzzyTime, LocationPrecision

TEXT_EXCERPT_CHARS = 600


def when(at: str | None, precision: str | None) -> str | None:
    """A stored time as written to its precision, with the precision named:
    '2019-03-14T02:31Z (minute)'."""
    if at is None:
        return None
    return f"{FuzzyTime.from_stored(at, precision)} ({precision})"


def grade(item: dict, source: dict | None) -> str:
    """The Admiralty grade: the source's reliability (A–F; F, cannot be judged, when no
    source is recorded) and the information's credibility (1–6): 'B2'."""
    return f"{source['reliability'] if source else 'F'}{item['credibility']}"


def where(prefix: str, item: dict) -> str | None:
    lat, lon, precision = (item.get(f"{prefix}_{part}") for part in ("lat", "lon", "precision"))
    if lat is None or lon is None:
        return None
    radius = LOCATION_RADIUS_METRES.get(LocationPrecision(precision)) if precision else None
    return f"{lat:.6f}, {lon:.6f}" + (f" ({precision}, ±{radius} m)" if radius else "")


def withheld_label(item_id: int, level: str) -> str:
    return f"[{level} item #{item_id} withheld]"


def reference(item: dict, source: dict | None, withheld: dict[int, str]) -> dict:
    """How an item is named where it is cited."""
    if item["id"] in withheld:
        return _withheld(item, withheld[item["id"]])
    return {
        "id": item["id"],
        "anchor": f"item-{item['id']}",
        "withheld": False,
        "kind": item["kind"].replace("_", " "),
        "title": item["title"] or f"untitled {item['kind'].replace('_', ' ')}",
        "grade": grade(item, source),
        "sha256": item["blob_sha256"],
        "published": when(item["published_at"], item["published_precision"]),
        "graphic": bool(item["graphic"]),
    }


def missing_reference(item_id: int) -> dict:
    """An item a record names that the case no longer holds (deleted)."""
    return {"id": item_id, "anchor": f"item-{item_id}", "withheld": True,
            "label": f"[item #{item_id} is not in the case: deleted]", "sha256": None}  # fmt: skip


def _withheld(item: dict, level: str) -> dict:
    return {
        "id": item["id"],
        "anchor": f"item-{item['id']}",
        "withheld": True,
        "label": withheld_label(item["id"], level),
        "sha256": item["blob_sha256"],
    }


def annex_entry(
    item: dict, source: dict | None, custody: list[dict], withheld: dict[int, str]
) -> dict:
    """The annex's full account of one item: times, grade, status, hash and custody."""
    entry = reference(item, source, withheld)
    if entry["withheld"]:
        return entry
    text = (item["text"] or "").strip()
    entry.update(
        {
            "times": [
                (name, when(item[f"{name}_at"], item[f"{name}_precision"]))
                for name in ("published", "captured", "collected")
                if item[f"{name}_at"]
            ],
            "source": _source(source),
            "credibility": item["credibility"],
            "status": item["verification_status"].replace("_", " "),
            "sensitivity": item["sensitivity"],
            "within": item["within_id"],
            "original_filename": item["original_filename"],
            "source_url": item["source_url"],
            "claimed_location": where("claimed", item),
            "verified_location": where("verified", item),
            "text": text[:TEXT_EXCERPT_CHARS],
            "text_cut": len(text) > TEXT_EXCERPT_CHARS,
            "custody": [_custody(record) for record in custody],
        }
    )
    return entry


def _source(source: dict | None) -> dict | None:
    if source is None:
        return None
    return {
        "id": source["id"],
        "name": source["name"],
        "kind": source["kind"].replace("_", " "),
        "reliability": source["reliability"],
    }


def _custody(record: dict) -> dict:
    return {
        "collector": record["collector"],
        "collected_at": record["collected_at"],
        "method": record["method"],
        "tool": f"{record['tool']} {record['tool_version']}",
        "source_url": record["source_url"],
        "sha256": record["sha256"],
        "notes": record["notes"],
    }
