"""Reading datasets written as JSON: one object a line (JSON lines), or one document.

JSON lines are read one line at a time, and a line that is not a JSON object becomes a
problem naming its line while the others are still read. A whole JSON document (an object,
or an array of objects) that cannot be read at all makes the file unreadable.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from pathlib import Path

from siteline.errors import InvalidInput
from siteline.ingest.datasets.csvio import (
    FALLBACK_ERRORS,
    SNIFF_BYTES,
    rows_built,
    sniff_encoding,
)
from siteline.ingest.jsonio import loads
from siteline.ingest.model import DatasetRow, ParseResult, RowProblem, collected

# Suffixes of files that hold one JSON document; anything else is read as JSON lines.
DOCUMENT_SUFFIXES = (".json", ".geojson")


def _encoding(path: Path) -> str:
    try:
        with open(path, "rb") as raw:
            head = raw.read(SNIFF_BYTES)
    except OSError as error:
        raise InvalidInput(str(path), f"cannot be read ({error.strerror})") from None
    return sniff_encoding(head, str(path))


def json_lines(path: Path, problems: list[RowProblem]) -> Iterator[tuple[int, dict]]:
    """(line number, object) for each line that holds a JSON object."""
    with open(path, encoding=_encoding(path), errors=FALLBACK_ERRORS) as file:
        for number, line in enumerate(file, start=1):
            if not line.strip():
                continue
            try:
                value = loads(line)
            except ValueError as error:
                problems.append(RowProblem(str(path), number, str(error)))
                continue
            if not isinstance(value, dict):
                problems.append(RowProblem(str(path), number, "not a JSON object"))
                continue
            yield number, value


def json_document(path: Path, problems: list[RowProblem]) -> Iterator[tuple[int, dict]]:
    """(record number, object) for an object, or each object of an array."""
    with open(path, encoding=_encoding(path), errors=FALLBACK_ERRORS) as file:
        text = file.read()
    if not text.strip():
        raise InvalidInput(str(path), "the file is empty")
    try:
        value = loads(text, lines=False)
    except ValueError as error:
        raise InvalidInput(str(path), f"not a JSON document: {error}") from None
    values = value if isinstance(value, list) else [value]
    for number, item in enumerate(values, start=1):
        if isinstance(item, dict):
            yield number, item
        else:
            problems.append(RowProblem(str(path), number, "not a JSON object"))


def first_character(path: str | Path) -> str:
    """The file's first character that is not white space ('' for none): '{' or '[' for JSON."""
    with open(path, encoding=_encoding(Path(path)), errors=FALLBACK_ERRORS) as file:
        head = file.read(4096).lstrip()
    return head[:1]


def records(path: str | Path, problems: list[RowProblem]) -> Iterator[tuple[int, dict]]:
    """An array, or an object in a .json file, is one document; other files, JSON lines."""
    path = Path(path)
    first = first_character(path)
    document = first == "[" or (first == "{" and path.suffix.lower() in DOCUMENT_SUFFIXES)
    return (json_document if document else json_lines)(path, problems)


def first_object(path: str | Path) -> dict | None:
    """The first object of a JSON file, to tell its dataset by its keys; None if there is none."""
    problems: list[RowProblem] = []
    try:
        found = next(iter(records(path, problems)), None)
    except InvalidInput:
        return None
    return found[1] if found else None


def read_json(
    path: str | Path, build: Callable[[dict, int], DatasetRow]
) -> Iterator[DatasetRow | RowProblem]:
    """Each object of a JSON or JSON lines file made into a row, or a RowProblem naming
    it, in the order of the file; JSON lines are read as they go."""
    problems: list[RowProblem] = []
    yield from rows_built(records(path, problems), problems, build, str(path))


def parse_json(path: str | Path, build: Callable[[dict, int], DatasetRow]) -> ParseResult:
    """All of `read_json` at once."""
    return collected(read_json(path, build))
