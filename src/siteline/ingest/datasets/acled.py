"""ACLED event data: reading its CSV exports, and writing rows back as ACLED CSV.

Quirks: numbers written as floats by pandas-made files ('2022.0', '1.0'); dates in ISO
form, or as '16 May 2025' in ACLED's own exports, or dd-mm-yyyy in the older codebook;
two precision codes instead of times and places with a precision (time_precision,
geo_precision); actor1 and actor2 that, by ACLED's own rule, say nothing about who did what.
The writer gives back the columns exactly as they were read, in their order, so that an
ACLED file read and written again is the same bytes.
"""

from __future__ import annotations

import csv
from collections.abc import Iterable, Iterator
from datetime import timedelta
from pathlib import Path
from typing import IO

from siteline.domain.values import FuzzyTime, Location, LocationPrecision, TimePrecision
from siteline.domain.vocabularies import IncidentType
from siteline.errors import InvalidInput
from siteline.ingest.datasets import normalise as norm
from siteline.ingest.datasets.csvio import CsvStyle, read_csv
from siteline.ingest.model import (
    CandidateIncident,
    DatasetRow,
    ParseResult,
    RowProblem,
    collected,
)

DATASET = "acled"
REQUIRED = ("event_id_cnty", "event_date", "event_type", "latitude", "longitude")
# The column layout ACLED has exported since 2023, for an empty file written from no rows.
COLUMNS = [
    "event_id_cnty",
    "event_date",
    "year",
    "time_precision",
    "disorder_type",
    "event_type",
    "sub_event_type",
    "actor1",
    "assoc_actor_1",
    "inter1",
    "actor2",
    "assoc_actor_2",
    "inter2",
    "interaction",
    "civilian_targeting",
    "iso",
    "region",
    "country",
    "admin1",
    "admin2",
    "admin3",
    "location",
    "latitude",
    "longitude",
    "geo_precision",
    "source",
    "source_scale",
    "notes",
    "fatalities",
    "tags",
    "timestamp",
]
# geo_precision: 1 is a named town's point, which can be anywhere in a town or city, so
# within about 10 km; 2 ("part of a region, near a town") and 3 ("a larger portion of a
# region") can only be said to lie in the region.
GEO_PRECISION = {
    1: LocationPrecision.AREA,
    2: LocationPrecision.REGION,
    3: LocationPrecision.REGION,
}
SUB_EVENT_TYPES = {
    "air/drone strike": IncidentType.AIRSTRIKE,
    "shelling/artillery/missile attack": IncidentType.SHELLING,
    "remote explosive/landmine/ied": IncidentType.EXPLOSIVE_DEVICE,
    "suicide bomb": IncidentType.EXPLOSIVE_DEVICE,
    "grenade": IncidentType.EXPLOSIVE_DEVICE,
    "chemical weapon": IncidentType.OTHER,
    "armed clash": IncidentType.GROUND_ATTACK,
    "attack": IncidentType.GROUND_ATTACK,
    "looting/property destruction": IncidentType.OTHER,
    "abduction/forced disappearance": IncidentType.OTHER,
    "sexual violence": IncidentType.OTHER,
}
ONE_SIDED = "violence against civilians"  # its actor1 is, by definition, the perpetrator


def event_date(text: str) -> FuzzyTime:
    """ISO ('2022-06-30'), ACLED's export form ('16 May 2025') or dd-mm-yyyy ('30-06-2022')."""
    text = text.strip()
    if text[:2].isdigit() and text[2:3] == "-" and text[5:6] == "-":
        day, month, year = text.split("-", 2)
        return norm.any_date(f"{year}-{month}-{day}", "event_date")
    return norm.any_date(text, "event_date")


def window(native: dict[str, str]) -> tuple[FuzzyTime, FuzzyTime | None]:
    """The event's time window from its date and time_precision.

    1: the day. 2: a week, coded to its middle day, so three days either side. 3: in ACLED's
    codebook, only the month is known (the acledR package reads it as the middle of a week
    or weekend; ACLED's own reading is taken).
    """
    date = event_date(native["event_date"])
    code = native.get("time_precision")
    level = 1 if norm.missing(code) else norm.count(code or "", "time_precision")
    if level == 1:
        return date, None
    if level == 2:
        return (
            FuzzyTime(date.start - timedelta(days=3), TimePrecision.DAY),
            FuzzyTime(date.start + timedelta(days=3), TimePrecision.DAY),
        )
    if level == 3:
        return FuzzyTime(date.start.replace(day=1), TimePrecision.MONTH), None
    raise InvalidInput("time_precision", f"{code!r} is not 1, 2 or 3")


def place(native: dict[str, str]) -> Location | None:
    code = native.get("geo_precision")
    level = 1 if norm.missing(code) else norm.count(code or "", "geo_precision")
    if level not in GEO_PRECISION:
        raise InvalidInput("geo_precision", f"{code!r} is not 1, 2 or 3")
    return norm.location(
        native["latitude"], native["longitude"], GEO_PRECISION[level], "latitude/longitude"
    )


def place_name(native: dict[str, str]) -> str | None:
    parts = [norm.text_or_none(native.get(column)) for column in ("location", "admin1", "country")]
    names = [part for i, part in enumerate(parts) if part and part not in parts[:i]]
    return ", ".join(names) or None


def row(native: dict[str, str], line: int) -> DatasetRow:
    event_id = norm.text_or_none(native["event_id_cnty"])
    row_id = event_id or norm.derived_id(DATASET, native.values())
    start, end = window(native)
    sub_event = norm.text_or_none(native.get("sub_event_type"))
    event_type = norm.text_or_none(native["event_type"]) or ""
    kind = SUB_EVENT_TYPES.get((sub_event or "").lower())
    killed = norm.count_range(native.get("fatalities"), "fatalities")
    actor = norm.text_or_none(native.get("actor1"))
    notes = norm.text_or_none(native.get("notes"))
    where = norm.text_or_none(native.get("location"))
    title = f"{row_id}: {sub_event or event_type or 'event'}"
    title += f" in {where} ({start})" if where else f" ({start})"
    stamp = norm.text_or_none(native.get("timestamp"))
    incident = CandidateIncident(
        window_start=start,
        window_end=end,
        type=kind.value if kind else None,
        weapon=sub_event if kind else None,
        perpetrator=actor if event_type.lower() == ONE_SIDED else None,
        **norm.casualties(killed),
        place_name=place_name(native),
        location=place(native),
        title=title,
        description=notes,
    )
    return DatasetRow(
        DATASET,
        row_id,
        line,
        native,
        title,
        text=notes,
        published=norm.unix_time(stamp, "timestamp") if stamp else None,
        incident=incident,
    )


def read(path: str | Path) -> Iterator[DatasetRow | RowProblem]:
    """Each row of an ACLED CSV export as it is read, or a problem naming the line of one that cannot be."""
    return read_csv(path, REQUIRED, row)


def parse(path: str | Path) -> ParseResult:
    """Every row of an ACLED CSV export; rows that cannot be read become problems."""
    return collected(read(path))


def write_acled_csv(
    rows: Iterable[DatasetRow], out: str | Path | IO[str], style: CsvStyle | None = None
) -> int:
    """Write rows back as ACLED CSV from their native columns; returns how many were written.

    The columns are those of the first row, in its order (ACLED's current layout when there
    are no rows). `style` (from csvio.csv_style of the file read) gives the same encoding,
    line ends and quoting as that file; without it, UTF-8, LF and quotes only where needed,
    as ACLED's own package writes. `out` is a path, or a text file opened with newline="".
    """
    style = style or CsvStyle()
    if isinstance(out, str | Path):
        with open(out, "w", encoding=style.encoding, newline="") as file:
            return write_acled_csv(rows, file, style)
    quoting = csv.QUOTE_ALL if style.quote_all else csv.QUOTE_MINIMAL
    writer = csv.writer(out, lineterminator=style.newline, quoting=quoting)
    columns: list[str] | None = None
    written = 0
    for item in rows:
        if columns is None:
            columns = list(item.native)
            if "event_id_cnty" not in columns:
                raise InvalidInput("rows", f"row {item.row_id} is not an ACLED row")
            writer.writerow(columns)
        if list(item.native) != columns:
            raise InvalidInput("rows", f"row {item.row_id} has other columns than the first")
        writer.writerow(item.native.values())
        written += 1
    if columns is None:
        writer.writerow(COLUMNS)
    return written
