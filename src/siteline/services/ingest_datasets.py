"""Conflict datasets into a case: the file kept whole, each row a dataset-row item within
it, with its native columns as written and the incident it describes as a candidate for a
person to confirm.

Rows share the custody of their file (each names its line), and go in with batch audit
entries that hold the digest of every row: a dataset of a million rows must not write
a million custody records and a million copies of itself into the chain.

A whole run is one transaction. Rows the parser could not read are reported with their
file and line; the rest are kept.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Iterable
from dataclasses import fields
from pathlib import Path

from siteline import __version__
from siteline.domain.entities import Custody, EvidenceItem
from siteline.domain.values import FuzzyTime, Location, not_in_future
from siteline.domain.vocabularies import EvidenceKind, Sensitivity, VerificationStatus
from siteline.errors import InvalidInput, SitelineError
from siteline.ingest.model import CandidateIncident, DatasetRow, RowProblem
from siteline.services.evidence import native_json
from siteline.services.ingest import (
    IngestReport,
    KeyedRow,
    add_file_item,
    add_keyed_rows,
    build_or_report,
    gc_paused,
    input_files,
    problem_message,
)
from siteline.store.case_folder import Case
from siteline.store.transaction import utc_now_stored

DATASET_NAMES = {
    "who_ssa": "WHO Surveillance System for Attacks on Health Care",
    "airwars": "Airwars",
    "acled": "ACLED",
    "syrian_archive": "Syrian Archive",
}
DATASET_FILES = ("*.csv", "*.json", "*.jsonl")


def ingest_datasets(case: Case, paths: Iterable[Path], dataset: str | None = None) -> IngestReport:
    """Reads every dataset file named (or found in a folder named) into the case."""
    from siteline.ingest.datasets import parse_dataset

    if dataset is not None and dataset not in DATASET_NAMES:
        raise InvalidInput("dataset", f"{dataset!r} is not one of {', '.join(DATASET_NAMES)}")
    files = input_files(paths, DATASET_FILES)
    report = IngestReport()
    with case.write() as transaction, gc_paused():
        for path in files:
            try:
                result = parse_dataset(path, dataset)
                data = path.read_bytes()
            except SitelineError as error:
                report.problems.append(RowProblem(str(path), None, problem_message(error)))
                continue
            except OSError as error:
                report.problems.append(
                    RowProblem(str(path), None, f"cannot be read ({error.strerror})")
                )
                continue
            report.problems.extend(result.problems)
            report.skip(getattr(result, "skipped", {}))
            _add_rows(case, transaction, path, data, result.records, report)
    return report


def _add_rows(case, transaction, path: Path, data: bytes, rows: list[DatasetRow], report) -> None:
    names = sorted({row.dataset for row in rows}) or ["dataset"]
    label = ", ".join(DATASET_NAMES.get(name, name) for name in names)
    how = Custody(
        method=f"ingested from a {label} file; each row read from it",
        tool="siteline ingest",
        tool_version=__version__,
        notes=str(path),
    )
    file_item = EvidenceItem(
        kind="document",
        title=f"{label}: {path.name}",
        data=data,
        original_filename=path.name,
        media_type=mimetypes.guess_type(path.name)[0] or "text/csv",
    )
    file_id = add_file_item(case, transaction, file_item, how, report)
    now = utc_now_stored()
    keyed = []
    for row in rows:
        built = build_or_report(
            report, str(path), row.line, keyed_row, row, file_id, path.name, now
        )
        if built is not None:
            keyed.append(built)
    add_keyed_rows(transaction, ROW_COLUMNS, keyed, report)


# The columns a dataset row fills, in the order `keyed_row` gives their values; the rest
# stay empty. Rows go in as values, not as items: a dataset may hold millions.
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
    "within_id",
    "platform",
    "platform_id",
    "details",
    "created_at",
)
_KIND = EvidenceKind.DATASET_ROW.value
_UNVERIFIED = VerificationStatus.UNVERIFIED.value
_PUBLIC = Sensitivity.PUBLIC.value
_UNGRADED = 6  # Admiralty credibility 6: cannot be judged (yet)


def keyed_row(row: DatasetRow, within_id: int, file_name: str, now: str) -> KeyedRow:
    """A row as the values of `ROW_COLUMNS`, typed as the database gives them back (the
    batch entry's digest covers them), with its key and content."""
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
        _UNVERIFIED,
        _PUBLIC,
        False,
        native,
        key,
        within_id,
        row.dataset,
        row.row_id,
        json.dumps(details, ensure_ascii=False),  # keys in a fixed order: no need to sort
        now,
    )
    return KeyedRow(key, values, (row.text, native, row.title))


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
