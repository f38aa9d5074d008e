"""Link proposals through the API: the machine's proposed incidents, run again, and each
decided by a person (confirmed, rejected, merged or split). All need the link
permission. A member item the viewer may not see is shown by number and sensitivity."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from siteline.domain.roles import Permission
from siteline.services import linking, linking_decisions
from siteline.web import api_visibility
from siteline.web.models import ERROR_RESPONSES, MAX_ID, RecordId
from siteline.web.models_api import ConfirmIn, MergeIn, ProposeIn, ReasonIn, SplitIn
from siteline.web.security import Viewer, allowed

router = APIRouter(prefix="/api/proposals", tags=["proposals"], responses=ERROR_RESPONSES)
Linker = allowed(Permission.LINK)
Record = dict[str, Any]
STATUSES = "proposed, confirmed, rejected, merged or split"


@router.get("", response_model=list[Record])
def list_proposals(
    viewer: Linker,
    status: Annotated[str | None, Query(max_length=40, description=STATUSES)] = None,
    site: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None,
) -> list[dict]:
    """Every proposal (of one status, at one site)."""
    found = linking.list_proposals(viewer.case, status=status, site=site)
    return _masked(viewer, found)


@router.post("", response_model=Record)
def propose(body: ProposeIn, viewer: Linker) -> dict:
    """Proposes incidents from the evidence again (`siteline link`)."""
    found = linking.propose_links(viewer.case, site=body.site, min_score=body.min_score)
    found["proposals"] = _masked(viewer, found["proposals"])
    return found


@router.get("/{proposal_id}", response_model=Record)
def show_proposal(proposal_id: RecordId, viewer: Linker) -> dict:
    """A proposal with its site, its incident if any, and its member items."""
    return _masked(viewer, [linking.show_proposal(viewer.case, proposal_id)])[0]


@router.post("/{proposal_id}/confirm", response_model=Record)
def confirm(proposal_id: RecordId, body: ConfirmIn, viewer: Linker) -> dict:
    """Makes the proposal an incident (or adds it to its incident), all its items but
    those `without` linked."""
    return linking_decisions.confirm_proposal(
        viewer.case, proposal_id, body.without, body.title, body.incident_type
    )


@router.post("/{proposal_id}/reject", response_model=Record)
def reject(proposal_id: RecordId, body: ReasonIn, viewer: Linker) -> dict:
    """Rejects the proposal, saying why; the same grouping is not proposed again."""
    return linking_decisions.reject_proposal(viewer.case, proposal_id, body.reason)


@router.post("/{proposal_id}/merge", response_model=Record)
def merge(proposal_id: RecordId, body: MergeIn, viewer: Linker) -> dict:
    """Merges this proposal with the others named into one (or into an incident)."""
    ids = [proposal_id, *[other for other in body.proposals if other != proposal_id]]
    return linking_decisions.merge_proposals(viewer.case, ids, body.into_incident)


@router.post("/{proposal_id}/split", response_model=Record)
def split(proposal_id: RecordId, body: SplitIn, viewer: Linker) -> dict:
    """Moves the items named into a new proposal of their own."""
    return linking_decisions.split_proposal(viewer.case, proposal_id, body.items)


def _masked(viewer: Viewer, proposals: list[dict]) -> list[dict]:
    hidden = api_visibility.hidden_items(viewer)
    for proposal in proposals:
        proposal["members"] = [
            api_visibility.withheld(m["evidence_id"], hidden[m["evidence_id"]])
            if m["evidence_id"] in hidden
            else m
            for m in proposal["members"]
        ]
    return proposals
