"""Conflict datasets into a case: the file kept whole, each row a dataset-row item within
it, with its native columns as written and the incident it describes as a candidate for a
person to confirm.

Rows share the custody of their file (each names its line), and go in with batch audit
entries that hold the digest of every row: a dataset of a million rows must not write
a million custody records and a million copies of itself into the chain.

A whole run is one transaction. Rows the parser could not read are reported with their
file and line; the rest are kept. A large input is read in a second process
(`dataset_rows.file_messages`) while this one writes: both cores work at once.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from contextlib import suppress
from pathlib import Path

from siteline import __version__
from siteline.domain.entities import Custody, EvidenceItem
from siteline.errors import InvalidInput
from siteline.ingest.model import RowProblem
from siteline.services.dataset_rows import (
    DEFAULT_STATUS,
    ROW_COLUMNS,
    candidate_of,
    file_messages,
)
from siteline.services.ingest import (
    IngestReport,
    KeyedRow,
    add_file_item,
    add_keyed_rows,
    gc_paused,
    input_files,
)
from siteline.services.second_process import items_from_second_process
from siteline.services.workflow_setting import workflow_in
from siteline.store.case_folder import Case
from siteline.store.transaction import utc_now_stored

DATASET_NAMES = {
    "who_ssa": "WHO Surveillance System for Attacks on Health Care",
    "airwars": "Airwars",
    "acled": "ACLED",
    "syrian_archive": "Syrian Archive",
}
DATASET_FILES = ("*.csv", "*.json", "*.jsonl")
# Below this much input, starting a second process costs more than it saves.
SECOND_PROCESS_BYTES = 256 * 1024

__all__ = ["DATASET_NAMES", "candidate_of", "ingest_datasets"]


def ingest_datasets(
    case: Case,
    paths: Iterable[Path],
    dataset: str | None = None,
    second_process: bool | None = None,
) -> IngestReport:
    """Reads every dataset file named (or found in a folder named) into the case.

    `second_process`: read the files in a second process while this one writes (True),
    or here (False); by default, when they come to `SECOND_PROCESS_BYTES` or more.
    """
    if dataset is not None and dataset not in DATASET_NAMES:
        raise InvalidInput("dataset", f"{dataset!r} is not one of {', '.join(DATASET_NAMES)}")
    files = input_files(paths, DATASET_FILES)
    if second_process is None:
        second_process = _input_bytes(files) >= SECOND_PROCESS_BYTES
    tasks = [(index, str(path), dataset) for index, path in enumerate(files)]
    now = utc_now_stored()
    report = IngestReport()
    with case.write() as transaction, gc_paused():
        if second_process:
            messages = items_from_second_process(file_messages, tasks, now)
        else:
            messages = file_messages(tasks, now)
        _write(case, transaction, files, messages, report)
    return report


def _input_bytes(files: list[Path]) -> int:
    total = 0
    for path in files:
        with suppress(OSError):  # a file that cannot be read is named when it is read
            total += path.stat().st_size
    return total


def _write(case, transaction, files: list[Path], messages, report: IngestReport) -> None:
    """Each file's own item once it is known to be a dataset, then its rows chunk by chunk."""
    file_ids: dict[int, int | None] = {}
    # Rows are made in the reading process with the default workflow's first status; a case
    # whose workflow starts elsewhere gets its own first status instead.
    initial = workflow_in(transaction.connection).initial
    restate = initial != DEFAULT_STATUS
    for message in messages:
        what, index = message[0], message[1]
        path = files[index]
        if what == "rows":
            _, _, rows, problems = message
            report.problems.extend(problems)
            within_id = file_ids[index]
            if within_id is not None:
                keyed = [
                    KeyedRow(key, _restated((*values, within_id), initial), content)
                    if restate
                    else KeyedRow(key, (*values, within_id), content)
                    for key, values, content in rows
                ]
                add_keyed_rows(transaction, ROW_COLUMNS, keyed, report)
        elif what == "opened":
            file_ids[index] = _add_file(case, transaction, path, message[2], report)
        else:
            report.problems.append(RowProblem(str(path), None, message[2]))


def _restated(values: tuple, status: str) -> tuple:
    place = ROW_COLUMNS.index("verification_status")
    return (*values[:place], status, *values[place + 1 :])


def _add_file(case, transaction, path: Path, dataset: str, report: IngestReport) -> int | None:
    """The dataset file's own item, with its bytes; None (and a problem) if it cannot be read."""
    try:
        data = path.read_bytes()
    except OSError as error:
        report.problems.append(RowProblem(str(path), None, f"cannot be read ({error.strerror})"))
        return None
    label = DATASET_NAMES.get(dataset, dataset)
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
    return add_file_item(case, transaction, file_item, how, report)
