"""Conflict datasets read into plain rows: WHO SSA, Airwars, ACLED, the Syrian Archive.

Each dataset has its own module with `read(path)`, which gives rows and problems as the
file is read, and `parse(path) -> ParseResult`, which gathers them; `read_dataset` and
`parse_dataset` pick the module by name, or by the file's header or shape when no name is
given. Nothing here touches a case: the ingest service decides what becomes evidence.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from siteline.errors import InvalidInput
from siteline.ingest.datasets import acled, airwars, syrian_archive, who_ssa
from siteline.ingest.datasets.csvio import open_csv
from siteline.ingest.datasets.jsonio import first_character, first_object
from siteline.ingest.model import DatasetRow, ParseResult, RowProblem, collected

READERS: dict[str, Callable[[str | Path], Iterator[DatasetRow | RowProblem]]] = {
    "who_ssa": who_ssa.read,
    "airwars": airwars.read,
    "acled": acled.read,
    "syrian_archive": syrian_archive.read,
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
        known = ", ".join(READERS)
        raise InvalidInput(str(path), f"not a dataset Siteline knows ({known}): {what}")
    return found[0]


def read_dataset(path: str | Path, dataset: str | None = None) -> Iterator[DatasetRow | RowProblem]:
    """The rows of a dataset file, and a RowProblem for each that cannot be read, as the
    file is read; the dataset is told from the file when not named. A file that is not the
    dataset raises InvalidInput here or when the first row is asked for."""
    name = dataset or detect_dataset(path)
    if name not in READERS:
        raise InvalidInput("dataset", f"{name!r} is not one of: {', '.join(READERS)}")
    return READERS[name](path)


def parse_dataset(path: str | Path, dataset: str | None = None) -> ParseResult:
    """Every row of a dataset file at once."""
    return collected(read_dataset(path, dataset))


__all__ = ["READERS", "detect_dataset", "parse_dataset", "read_dataset"]
