"""Claims through the API: the claims board, a claim with its verdict and reasons, and a
person defining a claim's proposition or giving an 'other' claim its verdict; and the
ClaimReview export.

A claim that appeared only in an item the viewer may not see is not theirs to see (404,
and left out of lists). Reasons that cite such an item name it only by its sensitivity,
as the report does; the stored chain itself never leaves.
"""

from __future__ import annotations

import json
import re
from typing import Any

from fastapi import APIRouter
from starlette.responses import Response

from siteline.domain.entities import Claim
from siteline.domain.roles import Permission
from siteline.domain.values import FuzzyTime
from siteline.errors import NotFound
from siteline.report.chain import read_chain
from siteline.report.claimreview import build
from siteline.services import claim_reviews, claims
from siteline.web import api_visibility
from siteline.web.models import ERROR_RESPONSES, RecordId
from siteline.web.models_api import ClaimIn, DefineIn, VerdictIn
from siteline.web.security import Viewer, allowed

router = APIRouter(prefix="/api", tags=["claims"], responses=ERROR_RESPONSES)
Reader = allowed(Permission.READ_PUBLIC)
Definer = allowed(Permission.DEFINE_CLAIMS)
Exporter = allowed(Permission.EXPORT_PUBLIC)
Record = dict[str, Any]
_ITEM_NUMBER = re.compile(r"#(\d+)\b")
_TIMES = ("period_start", "period_end")


@router.get("/claims", response_model=list[Record])
def list_claims(viewer: Reader) -> list[dict]:
    """Every claim the viewer may see, in the order they were stated, with its verdict."""
    hidden = api_visibility.hidden_items(viewer)
    return [
        _shown(claim, hidden)
        for claim in claims.list_claims(viewer.case)
        if claim["evidence_id"] not in hidden
    ]


@router.post("/claims", response_model=Record, status_code=201)
def add_claim(body: ClaimIn, viewer: Definer) -> dict:
    """Records who said what, when, and where it appeared; define its proposition next."""
    if body.evidence_id is not None:
        api_visibility.visible_item(viewer, body.evidence_id)
    stated = FuzzyTime.parse(body.stated, "stated")
    claim = Claim(
        body.speaker,
        stated,
        body.quote,
        proposition=body.proposition,
        evidence_id=body.evidence_id,
    )
    added = claims.add_claim(viewer.case, claim)
    return _shown(added, api_visibility.hidden_items(viewer))


@router.get("/claims/{claim_id}", response_model=Record)
def show_claim(claim_id: RecordId, viewer: Reader) -> dict:
    """A claim with where it appeared, its site, its verdict and the reasons for it."""
    return _visible_claim(viewer, claim_id)


@router.post("/claims/{claim_id}/define", response_model=Record)
def define(claim_id: RecordId, body: DefineIn, viewer: Definer) -> dict:
    """Gives the claim its testable proposition; its verdict is computed from it."""
    _visible_claim(viewer, claim_id)
    values = body.model_dump(exclude_none=True)
    for name in _TIMES:
        if name in values:
            values[name] = FuzzyTime.parse(values[name], name)
    claims.define_proposition(viewer.case, claim_id, **values)
    return _visible_claim(viewer, claim_id)


@router.post("/claims/{claim_id}/verdict", response_model=Record)
def verdict(claim_id: RecordId, body: VerdictIn, viewer: Definer) -> dict:
    """A person's verdict of an 'other' claim, with its reasons."""
    _visible_claim(viewer, claim_id)
    claims.set_verdict(viewer.case, claim_id, body.verdict, body.reasons)
    return _visible_claim(viewer, claim_id)


@router.get(
    "/export/claimreview",
    response_class=Response,
    responses={200: {"content": {"application/ld+json": {}}, "description": "JSON-LD."}},
)
def export_claimreview(viewer: Exporter) -> Response:
    """Every claim's verdict as schema.org ClaimReview (JSON-LD): in full for a role that
    may export in full, for publication (`siteline export claimreview --public`) for any
    other. The export is recorded in the audit chain."""
    public = not viewer.can(Permission.EXPORT_FULL)
    document = build(claim_reviews.review_input(viewer.case), public)
    text = json.dumps(document, indent=2, ensure_ascii=False) + "\n"
    summary = {"claims": len(document["@graph"]), "public": public, "via": "web"}
    claim_reviews.record_export(viewer.case, "web", summary)
    return Response(
        text,
        media_type="application/ld+json",
        headers={"Content-Disposition": 'attachment; filename="claimreview.jsonld"'},
    )


def _visible_claim(viewer: Viewer, claim_id: int) -> dict:
    claim = claims.show_claim(viewer.case, claim_id)
    hidden = api_visibility.hidden_items(viewer)
    if claim["evidence_id"] in hidden:
        raise NotFound(f"claim: no claim #{claim_id} in this case")
    return _shown(claim, hidden)


def _shown(claim: dict, hidden: dict[int, str]) -> dict:
    shown = {key: value for key, value in claim.items() if key != "verdict_chain"}
    shown["reasons"] = _reasons(claim, hidden)
    shown["verdict_reasons"] = "\n".join(shown["reasons"]) or None
    return shown


def _reasons(claim: dict, hidden: dict[int, str]) -> list[str]:
    """The reasons in words, each withheld item named only by its sensitivity."""
    chain = read_chain(claim.get("verdict_chain"))
    if chain is not None and chain.reasons:
        return chain.reasons_text(hidden)
    written = claim.get("verdict_reasons") or ""
    masked = _ITEM_NUMBER.sub(
        lambda match: _hidden_name(hidden.get(int(match.group(1)))) or match.group(0), written
    )
    return [line for line in masked.splitlines() if line.strip()]


def _hidden_name(level: str | None) -> str | None:
    if level is None:
        return None
    return "a confidential item" if level == "confidential" else "a restricted item"
