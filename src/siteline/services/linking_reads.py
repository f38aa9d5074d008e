"""What `siteline link` reads from a case: its sites, its live evidence items, its
incidents with the items linked to them, and the proposals made so far, each as the plain
values analysis/linking.py takes.

Sealed (confidential) text stays sealed: such items point to a site by their location
and their filing only. Nothing here reads a source, so no witness identity is touched.
"""

from __future__ import annotations

import json
from collections import defaultdict

from sqlalchemy import select

from siteline.analysis.linking import Candidate, IncidentInfo, ItemInfo, Member, SiteInfo
from siteline.analysis.linking_time import Window
from siteline.domain.values import FuzzyTime, Location
from siteline.services.dataset_rows import candidate_of
from siteline.store.schema import evidence, evidence_links, incidents, link_proposals, sites


def read_sites(connection) -> tuple[list[SiteInfo], dict[int, str]]:
    rows = connection.execute(select(sites).where(sites.c.deleted_at.is_(None))).mappings()
    found = []
    for row in rows:
        polygon = row["geometry_wkt"] if (row["geometry_wkt"] or "").startswith("POLYGON") else None
        found.append(
            SiteInfo(
                row["id"],
                row["name"],
                tuple(json.loads(row["aliases"])),
                row["lat"],
                row["lon"],
                polygon,
            )
        )
    return found, {site.id: site.name for site in found}


_ITEM_COLUMNS = [
    evidence.c[name]
    for name in (
        "id", "kind", "title", "text", "site_id", "platform_id", "ingest_key", "details",
        "published_at", "published_precision", "captured_at", "captured_precision",
        "claimed_lat", "claimed_lon", "claimed_precision",
        "verified_lat", "verified_lon", "verified_precision",
    )
]  # fmt: skip


def read_items(connection) -> list[ItemInfo]:
    """Every live item as linking reads it. Sealed (confidential) text stays sealed: such
    items point to a site by their location and filing only."""
    query = select(*_ITEM_COLUMNS).where(evidence.c.deleted_at.is_(None)).order_by(evidence.c.id)
    return [_item(row) for row in connection.execute(query).mappings()]


def _item(row) -> ItemInfo:
    details = row["details"] or ""
    named: tuple[int, ...] = ()
    candidate = row_place = None
    if '"places"' in details:
        places = json.loads(details).get("places") or []
        named = tuple(sorted({p["site_id"] for p in places if p.get("site_id") is not None}))
    if '"candidate_incident"' in details:
        found = candidate_of(dict(row))
        if found:
            candidate = Candidate(
                label=row["platform_id"] or row["ingest_key"] or f"#{row['id']}",
                window_start=_time(found.get("window_start")),
                window_end=_time(found.get("window_end")),
                facility=found.get("facility"),
                place_name=found.get("place_name"),
            )
            where = found.get("location")
            row_place = Location(where["lat"], where["lon"], where["precision"]) if where else None
    return ItemInfo(
        id=row["id"],
        kind=row["kind"],
        title=row["title"],
        text=row["text"],
        captured=FuzzyTime.from_stored(row["captured_at"], row["captured_precision"]),
        published=FuzzyTime.from_stored(row["published_at"], row["published_precision"]),
        verified=_location(row, "verified"),
        claimed=_location(row, "claimed") or row_place,
        site_id=row["site_id"],
        named_sites=named,
        candidate=candidate,
    )


def _time(value: dict | None) -> FuzzyTime | None:
    return FuzzyTime.from_stored(value["at"], value["precision"]) if value else None


def _location(row, prefix: str) -> Location | None:
    lat, lon = row[f"{prefix}_lat"], row[f"{prefix}_lon"]
    if lat is None or lon is None or row[f"{prefix}_precision"] is None:
        return None
    return Location(lat, lon, row[f"{prefix}_precision"])


def read_incidents(connection) -> list[IncidentInfo]:
    linked: dict[int, set[int]] = defaultdict(set)
    for row in connection.execute(
        select(evidence_links.c.incident_id, evidence_links.c.evidence_id).where(
            evidence_links.c.deleted_at.is_(None)
        )
    ):
        linked[row.incident_id].add(row.evidence_id)
    query = select(incidents).where(incidents.c.deleted_at.is_(None)).order_by(incidents.c.id)
    return [
        IncidentInfo(row["id"], row["site_id"], incident_window(row), frozenset(linked[row["id"]]))
        for row in connection.execute(query).mappings()
    ]


def incident_window(row) -> Window:
    start = FuzzyTime.from_stored(row["window_start_at"], row["window_start_precision"])
    end = FuzzyTime.from_stored(row["window_end_at"], row["window_end_precision"])
    return Window.of(start, end)


def read_proposals(connection) -> list[dict]:
    query = (
        select(link_proposals)
        .where(link_proposals.c.deleted_at.is_(None))
        .order_by(link_proposals.c.id)
    )
    return [dict(row) for row in connection.execute(query).mappings()]


def members_of(row: dict) -> list[Member]:
    return [Member.from_json(value) for value in json.loads(row["members"])]
