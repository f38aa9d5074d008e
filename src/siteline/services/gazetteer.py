"""A case's gazetteer: places imported from a CSV, and the place index ingest matches
texts against (the case's sites and their aliases, the imported places, the world)."""

from __future__ import annotations

import json
from pathlib import Path

from sqlalchemy import select

from siteline.domain.values import Location, LocationPrecision
from siteline.ingest.model import PlaceEntry
from siteline.services import sites
from siteline.services.ingest import IngestReport
from siteline.store.case_folder import Case
from siteline.store.schema import gazetteer_entries


def import_gazetteer(case: Case, path: Path, name: str | None = None) -> IngestReport:
    """Adds the places of a gazetteer CSV; places already imported from it are not added
    again. Bad rows are reported with their line; the rest are kept."""
    from siteline.ingest.gazetteer import read_gazetteer_csv

    path = Path(path)
    gazetteer = name or path.stem
    result = read_gazetteer_csv(path)
    report = IngestReport(files=1, problems=list(result.problems))
    with case.write() as transaction:
        known = {
            row.entry_id or row.name
            for row in transaction.connection.execute(
                select(gazetteer_entries.c.entry_id, gazetteer_entries.c.name).where(
                    gazetteer_entries.c.gazetteer == gazetteer,
                    gazetteer_entries.c.deleted_at.is_(None),
                )
            )
        }
        rows = []
        for entry in result.records:
            identity = entry.gazetteer_id or entry.name
            if identity in known:
                report.unchanged += 1
                continue
            known.add(identity)
            rows.append(_row(gazetteer, entry))
        transaction.insert_many("place", rows)
        report.added = len(rows)
    return report


def _row(gazetteer: str, entry: PlaceEntry) -> dict:
    return {
        "gazetteer": gazetteer,
        "entry_id": entry.gazetteer_id,
        "name": entry.name,
        "aliases": json.dumps(entry.aliases, ensure_ascii=False),
        "lat": entry.location.lat if entry.location else None,
        "lon": entry.location.lon if entry.location else None,
        "kind": entry.kind,
        "parent": entry.parent,
    }


def place_entries(case: Case) -> list[PlaceEntry]:
    """The case's sites (with aliases) and its imported gazetteer places."""
    found = [
        PlaceEntry(
            name=site["name"],
            origin="site",
            aliases=list(site["aliases"]),
            location=_location(site["lat"], site["lon"], LocationPrecision.VICINITY),
            site_id=site["id"],
            kind=site["kind"],
        )
        for site in sites.list_sites(case)
    ]
    with case.read() as connection:
        query = select(gazetteer_entries).where(gazetteer_entries.c.deleted_at.is_(None))
        for row in connection.execute(query).mappings():
            found.append(
                PlaceEntry(
                    name=row["name"],
                    origin="gazetteer",
                    aliases=json.loads(row["aliases"]),
                    location=_location(row["lat"], row["lon"], LocationPrecision.LOCALITY),
                    gazetteer_id=row["entry_id"],
                    kind=row["kind"],
                    parent=row["parent"],
                )
            )
    return found


def _location(lat, lon, precision: LocationPrecision) -> Location | None:
    return Location(lat, lon, precision) if lat is not None and lon is not None else None


def place_index(case: Case, include_world: bool = True):
    from siteline.ingest.articles.places import PlaceIndex

    return PlaceIndex.from_entries(place_entries(case), include_world=include_world)
