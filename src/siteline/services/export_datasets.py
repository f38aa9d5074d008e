"""Dataset rows written back in their own format: ACLED rows as an ACLED CSV, byte for
byte as they came when nothing was changed."""

from __future__ import annotations

import json
import os
import tempfile
from pathlib import Path

from sqlalchemy import select

from siteline.errors import InvalidInput
from siteline.ingest.model import DatasetRow
from siteline.services import evidence as evidence_service
from siteline.store.case_folder import Case
from siteline.store.schema import evidence


def acled_rows(case: Case) -> tuple[list[DatasetRow], int | None]:
    """The newest version of every ACLED row, in the order they first came; and the file
    the first came from (its style is the one to write)."""
    query = (
        select(evidence.c.id, evidence.c.ingest_key, evidence.c.native, evidence.c.within_id)
        .where(
            evidence.c.platform == "acled",
            evidence.c.kind == "dataset_row",
            evidence.c.deleted_at.is_(None),
        )
        .order_by(evidence.c.id)
    )
    newest: dict[str, dict] = {}
    with case.read() as connection:
        for row in connection.execute(query).mappings():
            newest[row["ingest_key"]] = dict(row)  # keys keep their first place
    rows = [
        DatasetRow("acled", key.split(":", 1)[1], 0, json.loads(row["native"]), title="")
        for key, row in newest.items()
    ]
    first_file = next(iter(newest.values()))["within_id"] if newest else None
    return rows, first_file


def export_acled(case: Case, out: Path) -> int:
    """Writes the case's ACLED rows to `out`; returns how many."""
    from siteline.ingest.datasets.acled import write_acled_csv
    from siteline.ingest.datasets.csvio import csv_style

    rows, file_id = acled_rows(case)
    if not rows:
        raise InvalidInput("acled", "the case holds no ACLED rows")
    style = None
    if file_id is not None:
        with tempfile.TemporaryDirectory() as folder:
            original = Path(folder) / "original.csv"
            original.write_bytes(evidence_service.read_original(case, file_id))
            style = csv_style(original)
    # Written beside its destination and renamed into place: a failure leaves no half file.
    out = Path(out)
    partial = out.with_name(f".{out.name}.part")
    try:
        written = write_acled_csv(rows, partial, style)
        os.replace(partial, out)
    except OSError as error:
        raise InvalidInput(str(out), f"cannot be written ({error.strerror})") from None
    finally:
        partial.unlink(missing_ok=True)
    return written
