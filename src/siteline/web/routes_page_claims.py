"""The claims board: every claim with its verdict, the rule that decided it and its
reasons, each item the viewer may not see named only by its sensitivity; and the form
that records a person's verdict of an 'other' claim (services.claims.set_verdict)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from siteline.domain.roles import Permission
from siteline.domain.vocabularies import PropositionKind, Verdict
from siteline.report.chain import read_chain
from siteline.services import claims, sites
from siteline.web.api_visibility import hidden_items
from siteline.web.models import RecordId
from siteline.web.page_views import masked_reasons, visible_titles
from siteline.web.pages import form_text, see_other
from siteline.web.rendering import NavItem, render
from siteline.web.security import CurrentViewer, allowed

router = APIRouter(include_in_schema=False)
NAV = [NavItem("Claims", "/claims", Permission.READ_PUBLIC, order=60)]

ClaimDefiner = allowed(Permission.DEFINE_CLAIMS)
PERSON_RULE = "set by a person"


@router.get("/claims")
def claims_board(request: Request, viewer: CurrentViewer) -> Response:
    rows = claims.list_claims(viewer.case)
    hidden = hidden_items(viewer)
    titles = visible_titles(viewer, {row["evidence_id"] for row in rows} - {None})
    names = {site["id"]: site["name"] for site in sites.list_sites(viewer.case)}
    return render(
        request,
        "claims.html",
        viewer,
        # A claim that appeared in an item the viewer may not see is itself withheld: its
        # quote may come from that item.
        claims=[
            _shown(row, hidden, titles, names) for row in rows if row["evidence_id"] not in hidden
        ],
        verdicts=[verdict.value for verdict in Verdict],
    )


def _shown(row: dict, hidden: dict[int, str], titles: dict, names: dict) -> dict:
    """A claim as the board shows it: its reasons from the stored chain with withheld
    items masked; a person's reasons as they wrote them."""
    chain = read_chain(row["verdict_chain"])
    if chain is not None:
        reasons = [chain.problem] if chain.problem else chain.reasons_text(hidden)
        rule = chain.rule or row["verdict_rule"]
    elif row["verdict_rule"] == PERSON_RULE or row["proposition_kind"] == PropositionKind.OTHER:
        reasons = masked_reasons(row["verdict_reasons"], hidden)
        rule = row["verdict_rule"]
    else:
        reasons, rule = [], row["verdict_rule"]
    appeared = row["evidence_id"]
    return {
        **row,
        "reasons": reasons,
        "rule": rule,
        "site_name": names.get(row["site_id"]),
        "appeared": {"id": appeared, "title": titles[appeared]} if appeared in titles else None,
        "person_decides": row["proposition_kind"] == PropositionKind.OTHER,
    }


@router.post("/claims/{claim_id}/verdict")
def set_verdict(
    viewer: ClaimDefiner,
    claim_id: RecordId,
    verdict: Annotated[str, Form(max_length=20)],
    reasons: Annotated[str | None, Form(max_length=20_000)] = None,
) -> Response:
    claims.set_verdict(viewer.case, claim_id, verdict, form_text(reasons, "reasons") or "")
    return see_other("/claims", done=f"Claim #{claim_id}: {verdict}")
