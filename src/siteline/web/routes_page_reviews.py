"""The review queue: steps awaiting a second person's sign-off, and the items still to be
taken through the case's workflow, with forms to record a step, sign one off or withdraw
it (services.verification, the same as `siteline review`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from siteline.domain.roles import Permission
from siteline.services import search, verification
from siteline.services.workflow_setting import workflow_of
from siteline.web.api_visibility import visible_item
from siteline.web.models import RecordId
from siteline.web.page_views import visible_titles
from siteline.web.pages import form_text, see_other
from siteline.web.rendering import NavItem, render
from siteline.web.security import Viewer, allowed

router = APIRouter(include_in_schema=False)
NAV = [NavItem("Reviews", "/reviews", Permission.REVIEW, order=40)]

Reviewer = allowed(Permission.REVIEW)
SignOff = allowed(Permission.SIGN_OFF)
QUEUE_SIZE = 50
OptionalText = Annotated[str | None, Form(max_length=20_000)]


@router.get("/reviews")
def review_queue(request: Request, viewer: Reviewer) -> Response:
    workflow = workflow_of(viewer.case)
    waiting = visible_pending(viewer)
    open_statuses = [
        status
        for status in workflow.statuses
        if status not in (workflow.verified_status, workflow.discarded_status)
    ]
    queue = []
    for status in open_statuses:
        found = search.search_evidence(
            viewer.case, None, sensitivities=viewer.sensitivities, status=status, limit=QUEUE_SIZE
        )
        for item in found["items"]:
            item["status"] = status
            item["next_statuses"] = workflow.next_statuses(status)
            queue.append(item)
    awaiting = {review["evidence_id"] for review in waiting}
    return render(
        request,
        "reviews.html",
        viewer,
        pending=waiting,
        queue=[item for item in queue if item["id"] not in awaiting],
        required_checks={s: workflow.required_checks(s) for s in workflow.statuses},
    )


def visible_pending(viewer: Viewer) -> list[dict]:
    """The steps awaiting a sign-off, of items the viewer may see, with their titles."""
    pending = verification.pending(viewer.case)
    titles = visible_titles(viewer, {review["evidence_id"] for review in pending})
    return [
        {**review, "title": titles[review["evidence_id"]]}
        for review in pending
        if review["evidence_id"] in titles
    ]


@router.post("/reviews/{evidence_id}/step")
def record_step(
    viewer: Reviewer,
    evidence_id: RecordId,
    to_status: Annotated[str, Form(max_length=60)],
    note: OptionalText = None,
    geolocation_method: OptionalText = None,
    geolocation_precision: OptionalText = None,
    geolocation_location: OptionalText = None,
    chronolocation_method: OptionalText = None,
    chronolocation_time: OptionalText = None,
    source_assessment_grade: OptionalText = None,
    source_assessment_note: OptionalText = None,
) -> Response:
    visible_item(viewer, evidence_id)
    given = {
        "geolocation": {
            "method": geolocation_method,
            "precision": geolocation_precision,
            "location": geolocation_location,
        },
        "chronolocation": {"method": chronolocation_method, "time": chronolocation_time},
        "source_assessment": {"grade": source_assessment_grade, "note": source_assessment_note},
    }
    review = verification.transition(
        viewer.case, evidence_id, to_status, checks=_checks(given), note=form_text(note, "note")
    )
    done = (
        f"Step to {review['to_status']} awaits a sign-off"
        if review["state"] == verification.AWAITING
        else f"Moved to {review['to_status']}"
    )
    return see_other(f"/evidence/{evidence_id}", done=done)


def _checks(given: dict[str, dict[str, str | None]]) -> dict[str, dict[str, str]]:
    """The checks a form filled in: each with its non-empty fields, empty ones left out."""
    checks = {
        kind: {name: value.strip() for name, value in fields.items() if value and value.strip()}
        for kind, fields in given.items()
    }
    return {kind: fields for kind, fields in checks.items() if fields}


@router.post("/reviews/{evidence_id}/sign-off")
def sign_off(viewer: SignOff, evidence_id: RecordId, note: OptionalText = None) -> Response:
    visible_item(viewer, evidence_id)
    review = verification.sign_off(viewer.case, evidence_id, form_text(note, "note"))
    return see_other(f"/evidence/{evidence_id}", done=f"Signed off: now {review['to_status']}")


@router.post("/reviews/{evidence_id}/withdraw")
def withdraw(viewer: Reviewer, evidence_id: RecordId, note: OptionalText = None) -> Response:
    visible_item(viewer, evidence_id)
    verification.withdraw(viewer.case, evidence_id, form_text(note, "note"))
    return see_other(f"/evidence/{evidence_id}", done="The step was withdrawn")
