"""Airwars civilian-harm incidents: the JSON records of its incident pages, and a CSV scrape.

Quirks: two shapes of the same incidents. The JSON records (one a line, or one a file as
in raw_examples/) give ISO dates, numbers, null for nothing, death and injury ranges as two
fields, and the page header as published (the geolocation's accuracy, "Village" or
"Town", lives only there; so does the grading where `assessment` is null). The CSV scrape
writes dates as URL slugs ('october-7-2023'), ranges with an en dash with or without
spaces ('3 – 7', '12–24'), 'Unknown' and R's 'NA' for nothing, CRLF line ends, and both
`long` and `lon` columns.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from siteline.domain.values import FuzzyTime, LocationPrecision
from siteline.domain.vocabularies import IncidentType
from siteline.ingest.datasets import normalise as norm
from siteline.ingest.datasets.csvio import read_csv
from siteline.ingest.datasets.jsonio import first_character, read_json
from siteline.ingest.model import (
    CandidateIncident,
    DatasetRow,
    ParseResult,
    RowProblem,
    collected,
)

DATASET = "airwars"
CSV_REQUIRED = ("Incidence_id", "Incidence_date", "Airwars civilian harm grading")
# Airwars' own geolocation accuracy scale, as the page header writes it after "Accuracy:".
ACCURACY = {
    "exact location (via airwars)": LocationPrecision.EXACT,
    "exact location (other)": LocationPrecision.EXACT,
    "street": LocationPrecision.VICINITY,
    "nearby landmark": LocationPrecision.VICINITY,
    "neighbourhood/area": LocationPrecision.LOCALITY,
    "village": LocationPrecision.LOCALITY,
    "town": LocationPrecision.AREA,
    "city": LocationPrecision.AREA,
    "subdistrict": LocationPrecision.REGION,
    "district": LocationPrecision.REGION,
    "province/governorate": LocationPrecision.REGION,
}
# A point whose accuracy is not given is taken as no finer than a town.
UNSTATED_ACCURACY = LocationPrecision.AREA
# "Airstrike and/or Artillery" names no one kind: it decides no type.
STRIKE_TYPES = {
    "airstrike": IncidentType.AIRSTRIKE,
    "drone strike": IncidentType.AIRSTRIKE,
    "artillery": IncidentType.SHELLING,
    "naval bombardment": IncidentType.SHELLING,
    "ground operation": IncidentType.GROUND_ATTACK,
    "counter-terrorism action (ground)": IncidentType.GROUND_ATTACK,
}


def strike(value: object) -> tuple[str | None, str | None]:
    """(incident type, weapon as written) from 'Airstrike, Drone Strike' and the like."""
    written = norm.text_or_none(value)
    if written is None:
        return None, None
    kinds = [STRIKE_TYPES.get(part.strip().lower()) for part in written.split(",")]
    kind = norm.one_of(kinds)
    return (kind.value if kind else None), written


def mapping(value: object) -> dict:
    return value if isinstance(value, dict) else {}


def accuracy(page: dict) -> LocationPrecision:
    geolocation = page.get("Geolocation")
    if not isinstance(geolocation, str) or "Accuracy:" not in geolocation:
        return UNSTATED_ACCURACY
    stated = geolocation.rsplit("Accuracy:", 1)[1].strip().lower()
    return ACCURACY.get(stated, UNSTATED_ACCURACY)


def json_date(record: dict, page: dict) -> FuzzyTime | None:
    """incident_date (ISO), else the page header's 'Incident Date' ('1 September 2023')."""
    for value, field in ((record.get("incident_date"), "incident_date"),
                         (page.get("Incident Date"), "Incident Date")):  # fmt: skip
        if not norm.missing(value):
            return norm.any_date(str(value), field)
    return None


def json_grade(record: dict, page: dict) -> tuple[str | None, str | None]:
    """The grading from `assessment`, else the first word of the page's 'Civilian Harm Status'."""
    grade = record.get("assessment")
    if norm.missing(grade):
        status = page.get("Civilian Harm Status")
        grade = status.split(None, 1)[0] if isinstance(status, str) and status.strip() else None
    return norm.certainty(DATASET, grade, "assessment")


def json_row(record: dict, number: int) -> DatasetRow:
    page = mapping(record.get("page_fields"))
    own_id = norm.text_or_none(record.get("airwars_id")) or norm.text_or_none(
        record.get("incident_code")
    )
    row_id = own_id or norm.derived_id(DATASET, [repr(record)])
    code = norm.text_or_none(record.get("incident_code")) or row_id
    start = json_date(record, page)
    kind, weapon = strike(record.get("strike_type"))
    killed = norm.min_max(
        record.get("civilian_deaths_min"), record.get("civilian_deaths_max"), "civilian_deaths"
    )
    injured = norm.min_max(
        record.get("civilian_injuries_min"),
        record.get("civilian_injuries_max"),
        "civilian_injuries",
    )
    level, grade = json_grade(record, page)
    place = norm.text_or_none(record.get("location")) or norm.text_or_none(
        record.get("location_ar")
    )
    point = norm.location(
        record.get("latitude"), record.get("longitude"), accuracy(page), "latitude/longitude"
    )
    title = f"{code}: {weapon or 'incident'}" + (f" in {place}" if place else "")
    title += f" ({start})" if start else ""
    narrative = norm.text_or_none(record.get("narrative"))
    sources = record.get("sources")
    incident = CandidateIncident(
        window_start=start,
        type=kind,
        weapon=weapon,
        perpetrator=norm.text_or_none(record.get("alleged_belligerent")),
        **norm.casualties(killed, injured),
        certainty=level,
        native_certainty=grade,
        place_name=place,
        location=point,
        title=title,
        description=describe(
            page.get("Strike Status"), len(sources) if isinstance(sources, list) else None
        ),
    )
    url = norm.text_or_none(record.get("canonical_url"))
    return DatasetRow(
        DATASET, row_id, number, record, title, text=narrative, incident=incident, source_url=url
    )


def describe(status: object, sources: int | None, *more: tuple[str, object]) -> str | None:
    parts = [f"Strike status: {norm.text_or_none(status)}."] if not norm.missing(status) else []
    parts += [f"{label}: {value}." for label, value in more if not norm.missing(value)]
    if sources is not None:
        parts.append(f"Sources cited: {sources}.")
    return " ".join(parts) or None


def csv_row(native: dict[str, str], line: int) -> DatasetRow:
    row_id = norm.text_or_none(native["Incidence_id"]) or norm.derived_id(DATASET, native.values())
    date = norm.text_or_none(native["Incidence_date"])
    start = norm.slug_date(date, "Incidence_date") if date else None
    kind, weapon = strike(native.get("Strike type"))
    killed = norm.count_range(native.get("Civilians reported killed"), "Civilians reported killed")
    injured = norm.count_range(
        native.get("Civilians reported injured"), "Civilians reported injured"
    )
    level, grade = norm.certainty(
        DATASET, native["Airwars civilian harm grading"], "Airwars civilian harm grading"
    )
    # The scrape has both `long` and `lon`; either may hold the longitude.
    lon = native.get("long") if not norm.missing(native.get("long")) else native.get("lon")
    point = norm.location(native.get("lat"), lon, UNSTATED_ACCURACY, "lat/long")
    belligerent = next(
        (
            norm.text_or_none(native.get(column))
            for column in ("Known belligerent", "Suspected belligerent", "Suspected belligerents")
            if not norm.missing(native.get(column))
        ),
        None,
    )
    facility = norm.text_or_none(native.get("Civilian infrastructure"))
    title = f"{row_id}: {weapon or 'incident'}" + (f" ({start})" if start else "")
    incident = CandidateIncident(
        window_start=start,
        type=kind,
        weapon=weapon,
        perpetrator=belligerent,
        **norm.casualties(killed, injured),
        certainty=level,
        native_certainty=grade,
        location=point,
        facility=facility,
        title=title,
        description=describe(
            native.get("Strike status"),
            None,
            ("Impact", native.get("Impact")),
            ("Civilians", native.get("Civilian_type")),
        ),
    )
    text = norm.text_or_none(native.get("Airwars_assessment"))
    url = norm.text_or_none(native.get("Incidence_url"))
    return DatasetRow(
        DATASET, row_id, line, native, title, text=text, incident=incident, source_url=url
    )


def read(path: str | Path) -> Iterator[DatasetRow | RowProblem]:
    """Airwars incidents from JSON lines, a JSON record or array, or the CSV scrape, as
    they are read; each that cannot be read becomes a problem naming it."""
    if first_character(path) in "{[":
        return read_json(path, json_row)
    return read_csv(path, CSV_REQUIRED, csv_row)


def parse(path: str | Path) -> ParseResult:
    """All Airwars incidents of a file at once."""
    return collected(read(path))
