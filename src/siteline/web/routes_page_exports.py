"""Exports: the case report (HTML) and every claim's verdict as ClaimReview (JSON-LD), as
downloads. Public unless the role may export in full (then restricted material may be
included; confidential material also needs the case key)."""

from __future__ import annotations

import tempfile
from pathlib import Path
from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from siteline.domain.roles import Permission
from siteline.report.claimreview import export_claimreview
from siteline.services.report import build_report
from siteline.web.rendering import NavItem, render
from siteline.web.security import Viewer, allowed

router = APIRouter(include_in_schema=False)
NAV = [NavItem("Exports", "/exports", Permission.EXPORT_PUBLIC, order=80)]

Exporter = allowed(Permission.EXPORT_PUBLIC)
Flag = Annotated[str | None, Form(max_length=10)]


@router.get("/exports")
def exports_page(request: Request, viewer: Exporter) -> Response:
    return render(request, "exports.html", viewer, full=viewer.can(Permission.EXPORT_FULL))


@router.post("/exports/report")
def report_download(
    viewer: Exporter, include_restricted: Flag = None, include_confidential: Flag = None
) -> Response:
    restricted, confidential = _levels(viewer, include_restricted, include_confidential)
    with tempfile.TemporaryDirectory(prefix="siteline-report-") as folder:
        path = Path(folder) / "report.html"
        build_report(
            viewer.case, path, include_restricted=restricted, include_confidential=confidential
        )
        data = path.read_bytes()
    return _download(data, "text/html; charset=utf-8", "siteline-report.html")


@router.post("/exports/claimreview")
def claimreview_download(viewer: Exporter, full: Flag = None) -> Response:
    public = not (full and viewer.can(Permission.EXPORT_FULL))
    text, _ = export_claimreview(viewer.case, None, public=public)
    return _download(text.encode(), "application/ld+json", "claimreview.jsonld")


def _levels(viewer: Viewer, restricted: str | None, confidential: str | None) -> tuple[bool, bool]:
    """What the export may include: nothing beyond public for a role without full export."""
    if restricted or confidential:
        viewer.require(Permission.EXPORT_FULL)
    return bool(restricted), bool(confidential)


def _download(data: bytes, media_type: str, name: str) -> Response:
    return Response(
        data,
        media_type=media_type,
        headers={"Content-Disposition": f'attachment; filename="{name}"'},
    )
