"""The Syrian Archive's early incident database export (2015), one row per preserved video.

Quirks: longitude comes before latitude (geo_longitude, geo_latitude); dates in US order
with two-digit years and a meaningless midnight ('08/21/13 12:00 AM'); one coarse
precision flag for every point ('APPROXIMATE'); English and Arabic side by side; a quoted
summary that runs over two lines; CRLF line ends; a score of unused template columns
('number_1: *RENAME*' …), kept like every other.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

from siteline.domain.values import LocationPrecision
from siteline.ingest.datasets import normalise as norm
from siteline.ingest.datasets.csvio import read_csv
from siteline.ingest.model import (
    CandidateIncident,
    DatasetRow,
    ParseResult,
    RowProblem,
    collected,
)

DATASET = "syrian_archive"
REQUIRED = ("unique_event_ID", "geo_longitude", "geo_latitude", "date_time")
# The points are those of the named town or quarter ('APPROXIMATE'), so within about 10 km;
# a flag the export does not describe is read the same way, never as finer.
GEO_ACCURACY = {
    "exact": LocationPrecision.VICINITY,
    "approximate": LocationPrecision.AREA,
}


def both(native: dict[str, str], column: str) -> str | None:
    """The English and the Arabic text of a column, where either is given."""
    texts = [norm.text_or_none(native.get(name)) for name in (column, f"{column}_ar")]
    return "\n".join(text for text in texts if text) or None


def precision(native: dict[str, str]) -> LocationPrecision:
    flag = (native.get("geo_accuracy") or "").strip().lower()
    return GEO_ACCURACY.get(flag, LocationPrecision.AREA)


def describe(native: dict[str, str]) -> str | None:
    parts = []
    for label, column in (("Sources", "sources"), ("Violation", "type_of_violation")):
        text = both(native, column)
        if text:
            parts.append(f"{label}: {text.replace(chr(10), ' / ')}.")
    links = norm.text_or_none(native.get("url_links"))
    if links:
        parts.append(f"Original: {links}.")
    return " ".join(parts) or None


def row(native: dict[str, str], line: int) -> DatasetRow:
    event_id = norm.text_or_none(native["unique_event_ID"])
    row_id = event_id or norm.derived_id(DATASET, native.values())
    start = norm.us_date(native["date_time"], "date_time")
    # Longitude first in the file; the Location takes latitude first.
    point = norm.location(
        native["geo_latitude"],
        native["geo_longitude"],
        precision(native),
        "geo_latitude/geo_longitude",
    )
    place = norm.text_or_none(native.get("location_name")) or norm.text_or_none(
        native.get("location_name_ar")
    )
    summary = both(native, "event_summary")
    headline = summary.split("\n", 1)[0] if summary else "video"
    title = f"{row_id}: {headline}" + (f" ({place}, {start})" if place else f" ({start})")
    incident = CandidateIncident(
        window_start=start,
        weapon=norm.text_or_none(native.get("weapons_used")),
        place_name=place,
        location=point,
        title=title,
        description=describe(native),
    )
    url = norm.text_or_none(native.get("embedded_videos")) or norm.text_or_none(
        native.get("url_links")
    )
    return DatasetRow(
        DATASET, row_id, line, native, title, text=summary, incident=incident, source_url=url
    )


def read(path: str | Path) -> Iterator[DatasetRow | RowProblem]:
    """Each row of a Syrian Archive export as it is read, or a problem naming the line of one that cannot be."""
    return read_csv(path, REQUIRED, row)


def parse(path: str | Path) -> ParseResult:
    """Every row of a Syrian Archive export; rows that cannot be read become problems."""
    return collected(read(path))
