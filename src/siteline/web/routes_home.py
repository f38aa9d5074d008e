"""The dashboard, the case and the signed-in person through the API, and the API's own
documentation page (rendered here, so that no script comes from a CDN)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Depends, Request
from starlette.responses import Response

from siteline.domain.roles import Permission
from siteline.web.models import ERROR_RESPONSES, CaseOut, MeOut
from siteline.web.page_views import recent_activity, visible_counts
from siteline.web.rendering import NavItem, render
from siteline.web.routes_page_reviews import visible_pending
from siteline.web.security import CurrentViewer, Viewer, optional_viewer

router = APIRouter()
NAV = [NavItem("Home", "/", order=0)]


def case_counts(viewer: Viewer) -> dict[str, int]:
    """How many records of each kind, counting only what this person may see."""
    return visible_counts(viewer)


@router.get("/", include_in_schema=False)
def dashboard(request: Request, viewer: CurrentViewer) -> Response:
    return render(
        request,
        "dashboard.html",
        viewer,
        counts=case_counts(viewer),
        activity=recent_activity(viewer),
        pending=visible_pending(viewer) if viewer.can(Permission.REVIEW) else [],
    )


@router.get("/api/case", response_model=CaseOut, responses=ERROR_RESPONSES, tags=["case"])
def api_case(request: Request, viewer: CurrentViewer) -> CaseOut:
    """The case's name and how many records of each kind it holds."""
    return CaseOut(
        name=request.app.state.case_name, backend=viewer.case.backend, counts=case_counts(viewer)
    )


@router.get("/api/me", response_model=MeOut, responses=ERROR_RESPONSES, tags=["session"])
def api_me(viewer: CurrentViewer) -> MeOut:
    """The signed-in person: their role, what it permits, and what they may see."""
    return MeOut(
        id=viewer.account_id,
        name=viewer.name,
        role=viewer.role,
        via=viewer.via,
        permissions=sorted(p.value for p in Permission if viewer.can(p)),
        sensitivities=sorted(s.value for s in viewer.sensitivities),
        may_open_sealed=viewer.may_open_sealed,
    )


@router.get("/api/docs", include_in_schema=False)
def api_docs(
    request: Request, viewer: Annotated[Viewer | None, Depends(optional_viewer)]
) -> Response:
    document = request.app.openapi()
    operations = [
        {
            "method": method.upper(),
            "path": path,
            "summary": operation.get("summary", ""),
            "description": operation.get("description", ""),
        }
        for path, methods in document.get("paths", {}).items()
        for method, operation in methods.items()
    ]
    return render(request, "api_docs.html", viewer, operations=operations)
