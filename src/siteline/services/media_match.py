"""Near-duplicates among a case's photos and videos: found when an item comes in, kept,
linked into clusters, and the copy seen first named.

When ingest stores a photo or a video, its probes (robust.py: a photo's whole picture, its
crops, its trimmed picture, its rotations and mirror images; a video's frames, one a second)
are searched in one exact index (hamming_index.py) of every hash the case already holds
(photos' stored variants, videos' frames); a probe within RECORDED_RADIUS bits (of PDQ's
256) of a stored hash makes a match, kept in `media_matches` with the distance and which
probe met which variant. Each new item then joins the index, so copies within one run are
found too, in either order. Hashes too flat to say anything (PDQ quality below 50) are
never matched, and only hashes of comparable pipelines are compared.

Matches are linked into clusters (a copy of a copy is in the cluster of the original).
"First seen" is the copy with the earliest known time, published or captured, whichever
is earlier; an item with neither is listed but cannot be first. Times of capture read from
metadata are claims: the cluster says which time each copy's place in the order rests on.
"""

from __future__ import annotations

import json
from collections import defaultdict

import numpy as np
from sqlalchemy import or_, select

from siteline.errors import InvalidInput, NotFound
from siteline.media.hamming_index import MAX_RADIUS, HammingIndex, from_hex
from siteline.media.pdq import QUALITY_FLOOR
from siteline.media.reading import Probes
from siteline.store.case_folder import Case
from siteline.store.schema import evidence, media_hashes, media_matches

RECORDED_RADIUS = 31  # PDQ's usual threshold: the radius new items are searched with
# Pipelines whose hashes are comparable: PDQ of the picture as shown, a photo's or a video
# frame's, so a still taken from a clip is found in it. A later version of a pipeline will be
# compared only with itself.
COMPARABLE = {
    "siteline-pdq/1": "pdq-1",
    "siteline-pdq-set/1": "pdq-1",
    "siteline-pdq-video/1": "pdq-1",
}
MATCH_COLUMNS = (
    "evidence_id", "matched_id", "distance", "probe", "frame_s", "matched_variant",
    "matched_frame_s", "frames", "radius", "created_at",
)  # fmt: skip


class CaseMatcher:
    """The case's stored hashes in one index, searched by each new item's probes."""

    def __init__(self, radius: int = RECORDED_RADIUS):
        self.radius = radius
        self.index = HammingIndex(radius=radius)
        self.owners: list[tuple[int, str, float | None]] = []  # per indexed row

    @classmethod
    def of_case(cls, connection, radius: int = RECORDED_RADIUS) -> CaseMatcher:
        matcher = cls(radius)
        rows = connection.execute(
            select(
                media_hashes.c.evidence_id, media_hashes.c.variant, media_hashes.c.frame_s,
                media_hashes.c.pdq, media_hashes.c.quality, media_hashes.c.pipeline,
            )
            .join(evidence, evidence.c.id == media_hashes.c.evidence_id)
            .where(media_hashes.c.deleted_at.is_(None), evidence.c.deleted_at.is_(None))
        ).mappings()  # fmt: skip
        by_item: dict[int, list[dict]] = defaultdict(list)
        for row in rows:
            by_item[row["evidence_id"]].append(dict(row))
        for evidence_id, hashes in by_item.items():
            matcher.add(evidence_id, hashes)
        return matcher

    def add(self, evidence_id: int, hashes: list[dict]) -> None:
        """An item's stored hashes join the index (the flat and the incomparable left out)."""
        kept = [h for h in hashes if h["quality"] >= QUALITY_FLOOR and h["pipeline"] in COMPARABLE]
        if kept:
            self.index.add(from_hex([h["pdq"] for h in kept]))
            self.owners += [(evidence_id, h["variant"], h["frame_s"]) for h in kept]

    def find(self, evidence_id: int, probes: Probes | None) -> list[dict]:
        """The items already indexed that the new item's probes meet: one record each."""
        if probes is None or not len(self.owners):
            return []
        usable = np.flatnonzero(np.asarray(probes.quality) >= QUALITY_FLOOR)
        if not usable.size:
            return []
        hexes = [probes.bits[i].tobytes().hex() for i in usable]
        found: dict[int, dict] = {}
        matches = self.index.search(from_hex(hexes))
        for probe, (ids, distances) in zip(usable.tolist(), matches, strict=True):
            for row, distance in zip(ids.tolist(), distances.tolist(), strict=True):
                _keep(found, evidence_id, probes, probe, self.owners[row], int(distance))
        return [_as_record(match, self.radius) for match in found.values()]


def _keep(found: dict, evidence_id: int, probes: Probes, probe: int, owner, distance: int):
    other, variant, other_frame = owner
    if other == evidence_id:
        return
    match = found.setdefault(other, {"evidence_id": evidence_id, "matched_id": other,
                                     "distance": distance + 1, "pairs": set()})  # fmt: skip
    frame = probes.frame_s[probe]
    if frame is not None and other_frame is not None:
        match["pairs"].add((frame, other_frame))
    if distance < match["distance"]:
        match.update(distance=distance, probe=probes.labels[probe], frame_s=frame,
                     matched_variant=variant, matched_frame_s=other_frame)  # fmt: skip


def _as_record(match: dict, radius: int) -> dict:
    pairs = match.pop("pairs")
    return {**match, "frames": len(pairs), "radius": radius}


def near_duplicates(case: Case, evidence_id: int, radius: int | None = None) -> dict:
    """Every item matching one item, nearest first, with how they match. `radius`: at most
    the radius the items were searched with when they came in (the default)."""
    with case.read() as connection:
        items = _items(connection)
        radius = _checked_radius(radius, items)
        if evidence_id not in items:
            raise NotFound(f"evidence #{evidence_id} is not a photo or video of this case")
        rows = _matches(connection, radius, evidence_id)
    found = [_seen_from(evidence_id, row, items) for row in rows if _both_live(row, items)]
    found.sort(key=lambda match: (match["distance"], match["evidence_id"]))
    return {"evidence_id": evidence_id, "radius": radius, "matches": found}


def clusters(case: Case, radius: int | None = None) -> list[dict]:
    """Groups of two or more items linked by matches, each with its first-seen copy."""
    with case.read() as connection:
        items = _items(connection)
        radius = _checked_radius(radius, items)
        rows = [row for row in _matches(connection, radius) if _both_live(row, items)]
    pairs: dict[tuple[int, int], int] = {}
    for row in rows:
        for key in (
            (row["evidence_id"], row["matched_id"]),
            (row["matched_id"], row["evidence_id"]),
        ):
            pairs[key] = min(pairs.get(key, row["distance"]), row["distance"])
    groups = _connected(sorted({item for pair in pairs for item in pair}), list(pairs))
    found = [_describe_cluster(members, items, pairs) for members in groups if len(members) > 1]
    found.sort(key=lambda cluster: (-len(cluster["items"]), cluster["items"][0]["evidence_id"]))
    return found


def check_match_radius(radius: int, field: str = "--match-radius") -> int:
    if not isinstance(radius, int) or not 0 <= radius <= MAX_RADIUS:
        raise InvalidInput(field, f"must be a whole number of bits from 0 to {MAX_RADIUS}")
    return radius


def _checked_radius(radius: int | None, items: dict[int, dict]) -> int:
    """The radius asked for, or the one the items were searched with; never more than
    that, since matches farther apart were never looked for."""
    searched = min((item["match_radius"] for item in items.values()), default=RECORDED_RADIUS)
    if radius is None:
        return searched
    check_match_radius(radius, "--radius")
    if radius > searched:
        raise InvalidInput(
            "--radius",
            f"matches were searched up to {searched} bits when the items came in (the least of "
            f"any item's ingest), so {radius} would miss some: ask for at most {searched}",
        )
    return radius


def _items(connection) -> dict[int, dict]:
    rows = connection.execute(
        select(
            evidence.c.id, evidence.c.kind, evidence.c.title,
            evidence.c.published_at, evidence.c.captured_at, evidence.c.details,
        ).where(evidence.c.kind.in_(("photo", "video")), evidence.c.deleted_at.is_(None))
    ).mappings()  # fmt: skip
    return {row["id"]: _item_record(row) for row in rows}


def _item_record(row) -> dict:
    """An item's columns, and the radius its probes were searched with when it came in
    (items of exports, and any before the option existed: the default)."""
    record = dict(row)
    details = json.loads(record.pop("details") or "{}")
    record["match_radius"] = int(details.get("match_radius", RECORDED_RADIUS))
    return record


def _matches(connection, radius: int, evidence_id: int | None = None) -> list[dict]:
    query = select(media_matches).where(
        media_matches.c.deleted_at.is_(None), media_matches.c.distance <= radius
    )
    if evidence_id is not None:
        query = query.where(
            or_(
                media_matches.c.evidence_id == evidence_id,
                media_matches.c.matched_id == evidence_id,
            )
        )
    return [dict(row) for row in connection.execute(query).mappings()]


def _both_live(row: dict, items: dict) -> bool:
    return row["evidence_id"] in items and row["matched_id"] in items


def _seen_from(evidence_id: int, row: dict, items: dict) -> dict:
    """A match as the item `evidence_id` sees it: what of it met what of the other."""
    mine = row["evidence_id"] == evidence_id
    other = row["matched_id"] if mine else row["evidence_id"]
    own = (
        (row["probe"], row["frame_s"]) if mine else (row["matched_variant"], row["matched_frame_s"])
    )
    theirs = (
        (row["matched_variant"], row["matched_frame_s"]) if mine else (row["probe"], row["frame_s"])
    )
    described = {
        "evidence_id": other,
        "kind": items[other]["kind"],
        "title": items[other]["title"],
        "distance": row["distance"],
        "variant": own[0],
        "matched_variant": theirs[0],
    }
    if own[1] is not None:
        described["frame_s"] = own[1]
    if theirs[1] is not None:
        described["matched_frame_s"] = theirs[1]
    if row["frames"]:
        described["matched_frames"] = row["frames"]
    return described


def _connected(items: list[int], pairs: list[tuple[int, int]]) -> list[list[int]]:
    parent = {item: item for item in items}

    def root(item: int) -> int:
        while parent[item] != item:
            parent[item] = parent[parent[item]]
            item = parent[item]
        return item

    for first, second in pairs:
        parent[root(first)] = root(second)
    groups: dict[int, list[int]] = defaultdict(list)
    for item in items:
        groups[root(item)].append(item)
    return [sorted(members) for members in groups.values()]


def _describe_cluster(members: list[int], items: dict, pairs: dict) -> dict:
    ordered = sorted(members, key=lambda item: (_earliest(items[item])[0] or "~", item))
    first = ordered[0]
    first_time, first_basis = _earliest(items[first])
    rows = []
    for item in ordered:
        time, basis = _earliest(items[item])
        rows.append(
            {
                "evidence_id": item,
                "kind": items[item]["kind"],
                "title": items[item]["title"],
                "earliest_time": time,
                "time_basis": basis,
                "matches": sorted(other for other in members if (item, other) in pairs),
                "distance_to_first": pairs.get((item, first)),
            }
        )
    return {
        "first_seen": first if first_time else None,
        "first_seen_time": first_time,
        "first_seen_basis": first_basis,
        "items": rows,
        "undated": [row["evidence_id"] for row in rows if row["earliest_time"] is None],
    }


def _earliest(item: dict) -> tuple[str | None, str | None]:
    """The item's earliest known appearance and what it rests on (stored times are UTC
    text of one shape, so they compare as text)."""
    known = [
        (item[column], name)
        for column, name in (("published_at", "published"), ("captured_at", "captured"))
        if item.get(column)
    ]
    return min(known) if known else (None, None)
