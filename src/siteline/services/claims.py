"""Claims: who said what, when, where it appeared, the proposition it makes, and its verdict."""

from __future__ import annotations

from sqlalchemy import select

from siteline.domain.entities import Claim
from siteline.domain.values import FuzzyTime
from siteline.domain.vocabularies import PropositionKind, Verdict, parse_term
from siteline.errors import InvalidInput, NotFound
from siteline.services.findings import refreshes_findings
from siteline.services.incidents import time_columns
from siteline.store.case_folder import Case
from siteline.store.schema import claims, evidence, sites


@refreshes_findings
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
                **_proposition_columns(claim),
                "verdict": claim.verdict.value,
                "verdict_reasons": claim.verdict_reasons,
                # A person's verdict is theirs; a computed kind's comes from `siteline assess`.
                "verdict_by": case.actor if claim.verdict is not Verdict.UNRESOLVED else None,
            },
        )


@refreshes_findings
def define_proposition(case: Case, claim_id: int, **proposition) -> dict:
    """Gives a stored claim (a candidate found by ingest, or one to restate) the testable
    proposition behind it: kind, site, site kind, area, period, count and how it reads, the
    least certainty that counts. The claim is taken up (no longer a candidate) and its
    verdict computed; who said what, when and where stays as recorded."""
    with case.write() as transaction:
        stored = transaction.require("claim", claim_id, field="claim")
        claim = Claim(
            speaker=stored["speaker"],
            stated=FuzzyTime.from_stored(stored["stated_at"], stored["stated_precision"]),
            quote=stored["quote"],
            evidence_id=stored["evidence_id"],
            **proposition,
        )
        if claim.site_id is not None:
            transaction.require("site", claim.site_id, field="site")
        person = claim.proposition_kind is PropositionKind.OTHER
        return transaction.update(
            "claim",
            claim_id,
            {
                **_proposition_columns(claim),
                "status": None,
                # A computed verdict starts again from the evidence; a person's stays theirs.
                **({} if person else {"verdict": Verdict.UNRESOLVED.value, "verdict_by": None}),
            },
        )


def _proposition_columns(claim: Claim) -> dict:
    """The columns that state what a claim asserts (not who said it, nor its verdict)."""
    return {
        "proposition_kind": claim.proposition_kind.value,
        "proposition": claim.proposition,
        "site_id": claim.site_id,
        **time_columns("period_start", claim.period_start),
        **time_columns("period_end", claim.period_end),
        "count": claim.count,
        "site_kind": _value(claim.site_kind),
        "area_wkt": claim.area_wkt,
        "count_comparison": _value(claim.count_comparison),
        "min_certainty": _value(claim.min_certainty),
    }


def _value(term) -> str | None:
    return term.value if term is not None else None


def set_verdict(case: Case, claim_id: int, verdict: str, reasons: str) -> dict:
    """Records a person's verdict of an 'other' claim; every verdict but 'unresolved' carries
    the reasons that decide it. Claims of the testable kinds get theirs computed from the
    evidence (services/assessment.py), never set by hand."""
    decided = parse_term(Verdict, verdict, "verdict")
    if decided is not Verdict.UNRESOLVED and not (reasons or "").strip():
        raise InvalidInput("reasons", f"a verdict of {decided} needs its reasons")
    with case.write() as transaction:
        claim = transaction.require("claim", claim_id, field="claim")
        if claim["proposition_kind"] != PropositionKind.OTHER:
            raise InvalidInput(
                "verdict",
                f"claim #{claim_id} is a '{claim['proposition_kind']}' claim: its verdict is "
                "computed from the evidence ('siteline assess'); only an 'other' claim takes "
                "a person's verdict",
            )
        return transaction.update(
            "claim",
            claim_id,
            {
                "verdict": decided.value,
                "verdict_reasons": reasons,
                "verdict_rule": "set by a person",
                "verdict_chain": None,
                "verdict_by": case.actor,
            },
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
