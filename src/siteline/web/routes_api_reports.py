"""The review queue, counts of attacks, the assessment and the report through the API.

The queue holds only items the viewer may see. A report withholds restricted and
confidential items unless the viewer's role may see them AND they were asked for;
confidential material also needs the case key loaded in the server.
"""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Query
from starlette.responses import Response

from siteline.analysis.statistics import GROUPINGS
from siteline.domain.roles import Permission
from siteline.services import assessment, search, statistics, verification
from siteline.services.report import build_report
from siteline.services.workflow_setting import workflow_of
from siteline.web import api_visibility
from siteline.web.models import ERROR_RESPONSES
from siteline.web.security import Forbidden, allowed

router = APIRouter(prefix="/api", tags=["reports"], responses=ERROR_RESPONSES)
Reader = allowed(Permission.READ_PUBLIC)
Editor = allowed(Permission.EDIT)
Exporter = allowed(Permission.EXPORT_PUBLIC)
Record = dict[str, Any]
Grouping = Literal[GROUPINGS]  # type: ignore[valid-type]
Option = Annotated[str | None, Query(max_length=200)]
QUEUE_LIMIT = 200


@router.get("/reviews", response_model=Record)
def review_queue(viewer: Reader) -> dict:
    """Steps awaiting a second person's sign-off, and items still at the workflow's first
    status (the first page of them, newest first), of items the viewer may see."""
    hidden = api_visibility.hidden_items(viewer)
    waiting = [
        step for step in verification.pending(viewer.case) if step["evidence_id"] not in hidden
    ]
    first = workflow_of(viewer.case).initial
    found = search.search_evidence(
        viewer.case, None, sensitivities=viewer.sensitivities, status=first, limit=QUEUE_LIMIT
    )
    return {"awaiting_sign_off": waiting, "awaiting_review": found["items"], "status": first}


@router.get("/stats", response_model=Record)
def stats(
    viewer: Reader,
    by: Annotated[Grouping, Query()] = "month",
    min_certainty: Option = None,
    since: Option = None,
    until: Option = None,
    last: Option = None,
    kind: Option = None,
    area: Annotated[str | None, Query(max_length=20_000)] = None,
) -> dict:
    """Counts of attacks, as `siteline stats` gives them (kind: hospital,clinic)."""
    return statistics.statistics(
        viewer.case,
        by,
        min_certainty=min_certainty,
        since=since,
        until=until,
        last=last,
        kinds=kind,
        area=area,
    )


@router.post("/assess", response_model=Record)
def assess(viewer: Editor) -> dict:
    """Recomputes incidents' certainties and claims' verdicts (`siteline assess`)."""
    return assessment.refresh(viewer.case)


@router.get(
    "/report",
    response_class=Response,
    responses={200: {"content": {"text/html": {}}, "description": "The report (HTML)."}},
)
def report(
    viewer: Exporter,
    include_restricted: bool = False,
    include_confidential: bool = False,
) -> Response:
    """The case's report as one HTML file, sent as an attachment. Restricted and
    confidential items are withheld unless asked for by a role that may see them."""
    levels = api_visibility.levels(viewer)
    if include_restricted and "restricted" not in levels:
        raise Forbidden(f"include_restricted: a {viewer.role} may not see restricted items")
    if include_confidential and "confidential" not in levels:
        raise Forbidden(f"include_confidential: a {viewer.role} may not see confidential items")
    with tempfile.TemporaryDirectory(prefix="siteline-report-") as folder:
        target = Path(folder) / "report.html"
        build_report(
            viewer.case,
            target,
            include_restricted=include_restricted,
            include_confidential=include_confidential,
        )
        data = target.read_bytes()
    return Response(
        data,
        media_type="text/html; charset=utf-8",
        headers={"Content-Disposition": 'attachment; filename="report.html"'},
    )
