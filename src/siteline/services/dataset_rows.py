"""Dataset files read into the values of their rows, ready to insert: what the ingest of
conflict datasets does away from the database, in a second process when the input is large.

For each file `file_messages` yields, in order:

- ("unreadable", index, why) when the file cannot be read as a dataset at all;
- ("opened", index, dataset) once it can, before any of its rows;
- ("rows", index, rows, problems) for each chunk of up to `CHUNK` rows: each row as
  (key, values, content) with its values in the order of `ROW_COLUMNS` less the last,
  `within_id`, which is the id of the file's own item and is known only to the writer;
  each row that cannot be read as a RowProblem naming its file and line.

Messages are plain tuples, cheap to send between processes.
"""

from __future__ import annotations

import json
from collections.abc import Iterator
from dataclasses import fields
from itertools import chain
from pathlib import Path

from siteline.domain.values import FuzzyTime, Location, not_in_future
from siteline.domain.vocabularies import EvidenceKind, Sensitivity, VerificationStatus
from siteline.errors import InvalidInput, SitelineError
from siteline.ingest.datasets import READERS, detect_dataset
from siteline.ingest.model import CandidateIncident, DatasetRow, RowProblem
from siteline.services.evidence import native_json
from siteline.services.ingest import problem_message
from siteline.store.canonical import compact_json

CHUNK = 250  # rows a message: small enough that both processes soon have work

# The columns a dataset row fills, in the order of its values; the rest stay empty.
# `within_id` comes last: the writer adds it to the values made here.
ROW_COLUMNS = (
    "kind",
    "title",
    "text",
    "source_url",
    "published_at",
    "published_precision",
    "collected_at",
    "collected_precision",
    "claimed_lat",
    "claimed_lon",
    "claimed_precision",
    "credibility",
    "verification_status",
    "sensitivity",
    "graphic",
    "native",
    "ingest_key",
    "platform",
    "platform_id",
    "details",
    "created_at",
    "within_id",
)
_KIND = EvidenceKind.DATASET_ROW.value
DEFAULT_STATUS = VerificationStatus.COLLECTED.value  # the default workflow's first
_PUBLIC = Sensitivity.PUBLIC.value
_UNGRADED = 6  # Admiralty credibility 6: cannot be judged (yet)

FileTask = tuple[int, str, str | None]  # (index, path, dataset name or None to tell)


def file_messages(tasks: list[FileTask], now: str) -> Iterator[tuple]:
    """The messages for each file in turn (see the module's text)."""
    for index, path, dataset in tasks:
        try:
            name = dataset or detect_dataset(path)
            stream = READERS[name](path)
            first = next(stream, None)  # a file that is not this dataset fails here
        except SitelineError as error:
            yield ("unreadable", index, problem_message(error))
            continue
        except OSError as error:
            yield ("unreadable", index, f"cannot be read ({error.strerror})")
            continue
        yield ("opened", index, name)
        yield from _chunks(index, path, first, stream, now)


def _chunks(index: int, path: str, first, stream, now: str) -> Iterator[tuple]:
    file_name = Path(path).name
    rows: list[tuple] = []
    problems: list[RowProblem] = []
    try:
        for found in chain([first] if first is not None else [], stream):
            if type(found) is RowProblem:
                problems.append(found)
                continue
            try:
                rows.append(row_values(found, file_name, now))
            except InvalidInput as error:  # a value the case cannot hold loses its row only
                problems.append(RowProblem(path, found.line, str(error)))
            if len(rows) == CHUNK:
                yield ("rows", index, rows, problems)
                rows, problems = [], []
    except SitelineError as error:  # the file failed part way: its rows so far are kept
        problems.append(RowProblem(path, None, problem_message(error)))
    yield ("rows", index, rows, problems)


def row_values(row: DatasetRow, file_name: str, now: str) -> tuple[str, tuple, tuple]:
    """A row as (key, values, content): its values those of `ROW_COLUMNS` but the last,
    typed as the database gives them back (a batch entry's digest covers them), and its
    content (text, native record as stored, title) for telling a changed row."""
    published = row.published
    not_in_future(published, "published")
    candidate = row.incident
    place = candidate.location if candidate else None
    native = native_json(row.native)
    key = f"{row.dataset}:{row.row_id}"
    details = {
        "where": f"{file_name}:{row.line}",
        "candidate_incident": candidate_json(candidate) if candidate else None,
    }
    values = (
        _KIND,
        row.title,
        row.text,
        row.source_url,
        published.stored if published else None,
        published.precision.value if published else None,
        now,
        "second",
        float(place.lat) if place else None,
        float(place.lon) if place else None,
        place.precision.value if place else None,
        _UNGRADED,
        DEFAULT_STATUS,
        _PUBLIC,
        False,
        native,
        key,
        row.dataset,
        row.row_id,
        compact_json(details),  # keys in a fixed order: no need to sort
        now,
    )
    return key, values, (row.text, native, row.title)


def candidate_json(candidate: CandidateIncident) -> dict:
    """The candidate incident as plain JSON values, times with their precision."""
    found = {}
    for name in _CANDIDATE_FIELDS:
        value = getattr(candidate, name)
        if value is None:
            continue
        if type(value) is FuzzyTime:
            value = {"at": value.stored, "precision": value.precision.value}
        elif type(value) is Location:
            value = {"lat": value.lat, "lon": value.lon, "precision": value.precision.value}
        found[name] = value
    return found


_CANDIDATE_FIELDS = tuple(field.name for field in fields(CandidateIncident))


def candidate_of(item: dict) -> dict | None:
    """The candidate incident a stored dataset row carries, if any."""
    details = json.loads(item["details"]) if item.get("details") else {}
    return details.get("candidate_incident")
