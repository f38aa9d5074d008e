"""Claims: who said what, when, where it appeared, the proposition it makes, and its verdict."""

from __future__ import annotations

from sqlalchemy import select

from siteline.domain.entities import Claim
from siteline.domain.vocabularies import Verdict, parse_term
from siteline.errors import InvalidInput, NotFound
from siteline.services.incidents import time_columns
from siteline.store.case_folder import Case
from siteline.store.schema import claims, evidence, sites


def add_claim(case: Case, claim: Claim) -> dict:
    with case.write() as transaction:
        if claim.evidence_id is not None:
            transaction.require("evidence", claim.evidence_id, field="evidence")
        if claim.site_id is not None:
            transaction.require("site", claim.site_id, field="site")
        return transaction.insert(
            "claim",
            {
                "speaker": claim.speaker,
                **time_columns("stated", claim.stated),
                "quote": claim.quote,
                "evidence_id": claim.evidence_id,
                "proposition_kind": claim.proposition_kind.value,
                "proposition": claim.proposition,
                "site_id": claim.site_id,
                **time_columns("period_start", claim.period_start),
                **time_columns("period_end", claim.period_end),
                "count": claim.count,
                "verdict": claim.verdict.value,
                "verdict_reasons": claim.verdict_reasons,
            },
        )


def set_verdict(case: Case, claim_id: int, verdict: str, reasons: str) -> dict:
    """Records a verdict; every verdict but 'unresolved' carries the reasons that decide it."""
    decided = parse_term(Verdict, verdict, "verdict")
    if decided is not Verdict.UNRESOLVED and not (reasons or "").strip():
        raise InvalidInput("reasons", f"a verdict of {decided} needs its reasons")
    with case.write() as transaction:
        transaction.require("claim", claim_id, field="claim")
        return transaction.update(
            "claim", claim_id, {"verdict": decided.value, "verdict_reasons": reasons}
        )


def list_claims(case: Case) -> list[dict]:
    with case.read() as connection:
        query = select(claims).where(claims.c.deleted_at.is_(None)).order_by(claims.c.stated_at)
        return [dict(row) for row in connection.execute(query).mappings()]


def show_claim(case: Case, claim_id: int) -> dict:
    with case.read() as connection:
        row = connection.execute(select(claims).where(claims.c.id == claim_id)).mappings().first()
        if row is None or row["deleted_at"]:
            raise NotFound(f"claim: no claim #{claim_id} in this case")
        claim = dict(row)
        if claim["evidence_id"] is not None:
            item = (
                connection.execute(
                    select(evidence.c.id, evidence.c.kind, evidence.c.title).where(
                        evidence.c.id == claim["evidence_id"]
                    )
                )
                .mappings()
                .first()
            )
            claim["appeared_in"] = dict(item)
        if claim["site_id"] is not None:
            site = (
                connection.execute(
                    select(sites.c.id, sites.c.name).where(sites.c.id == claim["site_id"])
                )
                .mappings()
                .first()
            )
            claim["site"] = dict(site)
    return claim
