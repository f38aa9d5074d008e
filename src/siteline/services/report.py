"""`report`: the case as one self-contained HTML file (and, when asked, a PDF).

The report is read from one snapshot of the case, redacted for its readers (restricted and
confidential items withheld unless asked for; confidential material needs the case key),
and written whole or not at all: into a hidden file beside the target, renamed into place.
Making a report changes nothing in the case, so the same case always gives the same report,
byte for byte, apart from the generation time stated at its top.
"""

from __future__ import annotations

import hashlib
import os
import tempfile
from datetime import UTC, datetime
from pathlib import Path

from siteline.domain.values import FuzzyTime
from siteline.errors import InvalidInput
from siteline.report.html import render_html
from siteline.report.model import build_model
from siteline.report.pdf import render_pdf
from siteline.report.redaction import Access
from siteline.services.report_reading import read_snapshot
from siteline.store.case_folder import Case


def build_report(
    case: Case,
    out_path: Path,
    *,
    include_restricted: bool = False,
    include_confidential: bool = False,
    pdf: bool = False,
    generated_at: str | None = None,
) -> dict:
    """Writes the report to `out_path` (HTML, or PDF with `pdf`); returns what it holds."""
    out_path = Path(out_path)
    stamp = _generation_time(generated_at)
    if include_confidential:
        case.sealer.require_key("a report that includes confidential material")
    if out_path.is_dir():
        raise InvalidInput(str(out_path), "is a folder; give the report's file name")
    access = Access(include_restricted, include_confidential)
    snapshot = read_snapshot(case, open_sealed=include_confidential)
    model = build_model(snapshot, access, stamp)
    html = render_html(model)
    data = render_pdf(html, FuzzyTime.parse(stamp, "generated_at").start) if pdf else html.encode()
    _write_whole(out_path, data)
    return _summary(out_path, data, model, pdf)


def _generation_time(given: str | None) -> str:
    """The moment stated as the report's generation time, in UTC to the second."""
    if given is None:
        return FuzzyTime(datetime.now(UTC).replace(microsecond=0), "second").stored
    try:
        return FuzzyTime.parse(given, "generated_at").stored
    except InvalidInput:
        raise InvalidInput(
            "generated_at", f"{given!r} is not a time (YYYY-MM-DDTHH:MM:SSZ)"
        ) from None


def _write_whole(target: Path, data: bytes) -> None:
    target.parent.mkdir(parents=True, exist_ok=True)
    handle, temporary = tempfile.mkstemp(
        prefix=f".{target.name}.", suffix=".part", dir=target.parent
    )
    try:
        with os.fdopen(handle, "wb") as out:
            out.write(data)
        os.replace(temporary, target)
    except BaseException:
        Path(temporary).unlink(missing_ok=True)
        raise


def _summary(out_path: Path, data: bytes, model: dict, pdf: bool) -> dict:
    summary = model["summary"]
    return {
        "path": str(out_path),
        "format": "pdf" if pdf else "html",
        "bytes": len(data),
        "sha256": hashlib.sha256(data).hexdigest(),
        "generated_at": model["generated_at"],
        "include_restricted": model["access"].include_restricted,
        "include_confidential": model["access"].include_confidential,
        "sites": summary["sites"],
        "incidents": summary["incidents"],
        "claims": summary["claims"],
        "items_cited": summary["items_cited"],
        "withheld": dict(summary["withheld"]),
        "analyses": summary["analyses"],
        "audit_head": model["methodology"]["audit"],
    }
