"""Conflict datasets read into plain rows: WHO SSA, Airwars, ACLED, the Syrian Archive.

Each dataset has its own module with `parse(path) -> ParseResult`; `parse_dataset` picks
the module by name, or by the file's header or shape when no name is given. Nothing here
touches a case: the ingest service decides what becomes evidence.
"""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from siteline.errors import InvalidInput
from siteline.ingest.datasets import acled, airwars, syrian_archive, who_ssa
from siteline.ingest.datasets.csvio import open_csv
from siteline.ingest.datasets.jsonio import first_character, first_object
from siteline.ingest.model import ParseResult

PARSERS: dict[str, Callable[[str | Path], ParseResult]] = {
    "who_ssa": who_ssa.parse,
    "airwars": airwars.parse,
    "acled": acled.parse,
    "syrian_archive": syrian_archive.parse,
}
# The columns that tell each dataset's CSV files apart.
HEADERS = {
    "who_ssa": set(who_ssa.REQUIRED),
    "airwars": set(airwars.CSV_REQUIRED),
    "acled": set(acled.REQUIRED),
    "syrian_archive": set(syrian_archive.REQUIRED),
}
JSON_KEYS = {"airwars": {"airwars_id", "incident_code"}}


def detect_dataset(path: str | Path) -> str:
    """The dataset a file belongs to, from its header (CSV) or its first object's keys (JSON)."""
    path = Path(path)
    if first_character(path) in ("{", "["):
        record = first_object(path) or {}
        found = [name for name, keys in JSON_KEYS.items() if keys & set(record)]
        what = f"JSON with keys {', '.join(sorted(record)[:8]) or 'none'}"
    else:
        with open_csv(path) as table:
            header = set(table.header)
        found = [name for name, columns in HEADERS.items() if columns <= header]
        what = f"a CSV file whose header begins {', '.join(table.header[:5])!r}"
    if len(found) != 1:
        known = ", ".join(PARSERS)
        raise InvalidInput(str(path), f"not a dataset Siteline knows ({known}): {what}")
    return found[0]


def parse_dataset(path: str | Path, dataset: str | None = None) -> ParseResult:
    """Every row of a dataset file; the dataset is told from the file when not named."""
    name = dataset or detect_dataset(path)
    if name not in PARSERS:
        raise InvalidInput("dataset", f"{name!r} is not one of: {', '.join(PARSERS)}")
    return PARSERS[name](path)


__all__ = ["PARSERS", "detect_dataset", "parse_dataset"]
