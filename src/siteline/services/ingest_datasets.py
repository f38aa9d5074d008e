"""Conflict datasets into a case: the file kept whole, each row a dataset-row item within
it, with its native columns as written and the incident it describes as a candidate for a
person to confirm.

A whole run is one transaction. Rows the parser could not read are reported with their
file and line; the rest are kept.
"""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Iterable
from pathlib import Path

from siteline import __version__
from siteline.domain.entities import Custody, EvidenceItem
from siteline.domain.values import FuzzyTime, Location
from siteline.errors import InvalidInput, SitelineError
from siteline.ingest.model import CandidateIncident, DatasetRow, RowProblem
from siteline.services.ingest import (
    IngestReport,
    add_file_item,
    add_keyed_items,
    build_or_report,
    input_files,
    problem_message,
)
from siteline.store.case_folder import Case

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
    with case.write() as transaction:
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
    how = Custody(method=f"ingested from a {label} file", tool="siteline ingest", notes=str(path))
    file_item = EvidenceItem(
        kind="document",
        title=f"{label}: {path.name}",
        data=data,
        original_filename=path.name,
        media_type=mimetypes.guess_type(path.name)[0] or "text/csv",
    )
    file_id = add_file_item(case, transaction, file_item, how, report)
    items = []
    for row in rows:
        item = build_or_report(report, str(path), row.line, row_item, row, file_id, path)
        if item is not None:
            items.append((item, _row_custody(row, path)))
    add_keyed_items(case, transaction, items, report)


def row_item(row: DatasetRow, within_id: int, path: Path) -> EvidenceItem:
    candidate = row.incident
    return EvidenceItem(
        kind="dataset_row",
        title=row.title,
        text=row.text,
        within_id=within_id,
        source_url=row.source_url,
        published=row.published,
        claimed_location=candidate.location if candidate else None,
        native=row.native,
        ingest_key=f"{row.dataset}:{row.row_id}",
        platform=row.dataset,
        platform_id=row.row_id,
        details={
            "where": f"{path.name}:{row.line}",
            "candidate_incident": candidate_json(candidate) if candidate else None,
        },
    )


def candidate_json(candidate: CandidateIncident) -> dict:
    """The candidate incident as plain JSON values, times with their precision."""
    found = {}
    for name, value in vars(candidate).items():
        if value is None:
            continue
        if isinstance(value, FuzzyTime):
            value = {"at": value.stored, "precision": value.precision.value}
        elif isinstance(value, Location):
            value = {"lat": value.lat, "lon": value.lon, "precision": value.precision.value}
        found[name] = value
    return found


def _row_custody(row: DatasetRow, path: Path) -> Custody:
    return Custody(
        method="read from a dataset file",
        tool="siteline ingest",
        tool_version=__version__,
        source_url=row.source_url,
        notes=f"row {row.row_id} at {path.name}:{row.line}",
    )


def candidate_of(item: dict) -> dict | None:
    """The candidate incident a stored dataset row carries, if any."""
    details = json.loads(item["details"]) if item.get("details") else {}
    return details.get("candidate_incident")
