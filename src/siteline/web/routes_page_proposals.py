"""Link proposals: the incidents `siteline link` proposes from the evidence, each with its
score and reasons, and forms to confirm one (it becomes an incident with its items linked)
or reject it (services.linking_decisions). A member the viewer may not see is withheld."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from siteline.domain.roles import Permission
from siteline.services import linking, linking_decisions
from siteline.web.api_visibility import hidden_items
from siteline.web.models import RecordId
from siteline.web.page_views import visible_titles
from siteline.web.pages import form_text, see_other
from siteline.web.rendering import NavItem, render
from siteline.web.security import CurrentViewer, Forbidden, Viewer, allowed

router = APIRouter(include_in_schema=False)
NAV = [NavItem("Proposals", "/proposals", Permission.READ_PUBLIC, order=70)]

Linker = allowed(Permission.LINK)
Text = Annotated[str | None, Form(max_length=20_000)]


@router.get("/proposals")
def proposals_page(request: Request, viewer: CurrentViewer) -> Response:
    proposals = linking.list_proposals(viewer.case)
    return render(request, "proposals.html", viewer, proposals=_shown(viewer, proposals))


def _shown(viewer: Viewer, proposals: list[dict]) -> list[dict]:
    ids = {member["evidence_id"] for p in proposals for member in p["members"]}
    titles = visible_titles(viewer, ids)
    hidden = hidden_items(viewer) if len(titles) < len(ids) else {}
    shown = []
    for proposal in proposals:
        members = [
            {**member, "title": titles[member["evidence_id"]], "visible": True}
            if member["evidence_id"] in titles
            else {"visible": False, "level": hidden.get(member["evidence_id"], "withheld")}
            for member in proposal["members"]
        ]
        # The reasons of a proposal with a withheld member may quote it: left out.
        open_reasons = all(member["visible"] for member in members)
        shown.append(
            {**proposal, "members": members, "reasons": proposal["reasons"] if open_reasons else []}
        )
    return shown


@router.post("/proposals/{proposal_id}/confirm")
def confirm(viewer: Linker, proposal_id: RecordId, title: Text = None) -> Response:
    members = {m["evidence_id"] for m in linking.show_proposal(viewer.case, proposal_id)["members"]}
    if len(visible_titles(viewer, members)) < len(members):
        raise Forbidden(f"proposal #{proposal_id} holds items your role may not see")
    result = linking_decisions.confirm_proposal(
        viewer.case, proposal_id, title=form_text(title, "title")
    )
    incident = result.get("incident_id") or (result.get("incident") or {}).get("id")
    if incident:
        return see_other(f"/incidents/{incident}", done=f"Proposal #{proposal_id} confirmed")
    return see_other("/proposals", done=f"Proposal #{proposal_id} confirmed")


@router.post("/proposals/{proposal_id}/reject")
def reject(viewer: Linker, proposal_id: RecordId, reason: Text = None) -> Response:
    linking_decisions.reject_proposal(
        viewer.case, proposal_id, form_text(reason, "reason", required=True)
    )
    return see_other("/proposals", done=f"Proposal #{proposal_id} rejected")
