"""Assessment: every incident's certainty and every testable claim's verdict, computed from
the evidence by the named rules of `analysis.certainty` and `analysis.verdicts`.

`refresh(case)` recomputes them all and writes only what changed, each change an audited
update, in one transaction; it is called whenever evidence, links, reviews or analyses
change. A claim of kind 'other' keeps the verdict a person gave it. An incident's native
grades stay as they were recorded; the computed certainty is written beside them.
"""

from __future__ import annotations

import json

from siteline.analysis.certainty import CertaintyResult, assess_certainty
from siteline.analysis.verdicts import COMPUTED_KINDS, IncidentFact, Question, decide
from siteline.domain.values import FuzzyTime
from siteline.domain.vocabularies import Certainty
from siteline.errors import NotFound
from siteline.services.assessment_facts import CaseFacts, gather, live_claims
from siteline.store.case_folder import Case

COMPUTED = "computed"  # verdict_by of a computed verdict


def refresh(case: Case) -> dict:
    """Recomputes every incident's certainty and every computable claim's verdict and
    writes the ones that changed. Returns what changed, and what could not be computed."""
    summary: dict = {"incidents": [], "claims": [], "skipped": []}
    with case.write() as transaction:
        facts = gather(case, transaction.connection)
        results = _certainties(facts, summary["skipped"])
        for incident_id, result in results.items():
            row = facts.incidents[incident_id]
            values = _certainty_values(result)
            if any(row[key] != value for key, value in values.items()):
                transaction.update("incident", incident_id, values)
                summary["incidents"].append(_change(row, values, "certainty", "certainty_rule"))
        incident_facts = _incident_facts(facts, results)
        claims = live_claims(transaction.connection)
        for claim in claims:
            values = _verdict_values(claim, incident_facts, facts, summary["skipped"])
            if values and any(claim[key] != value for key, value in values.items()):
                transaction.update("claim", claim["id"], values)
                summary["claims"].append(_change(claim, values, "verdict", "verdict_rule"))
    summary["checked"] = {
        "incidents": len(facts.incidents),
        "claims": sum(1 for claim in claims if claim["proposition_kind"] in COMPUTED_KINDS),
    }
    return summary


def certainty_of(case: Case, incident_id: int) -> dict:
    """An incident's certainty as the evidence gives it now, with the rule and every reason,
    beside what is stored and its native grades. Writes nothing."""
    with case.read() as connection:
        facts = gather(case, connection)
    row = facts.incidents.get(incident_id)
    if row is None:
        raise NotFound(f"incident: no incident #{incident_id} in this case")
    skipped: list = []
    result = _certainties(facts, skipped, only=incident_id).get(incident_id)
    explained = {
        "incident_id": incident_id,
        "stored": {key: row[key] for key in ("certainty", "certainty_rule")},
        "native": json.loads(row["native"]) if row["native"] else None,
    }
    if result is None:
        return {**explained, "certainty": None, "rule": None, "reasons": [skipped[0]["why"]]}
    return {
        **explained,
        "certainty": result.level.value,
        "rule": result.rule,
        "reasons": list(result.reasons),
        "basis": list(result.basis),
    }


explain = certainty_of


def verdict_of(case: Case, claim_id: int) -> dict:
    """A claim's verdict as the evidence gives it now, with its rule, reasons and chain,
    beside what is stored. Writes nothing."""
    with case.read() as connection:
        facts = gather(case, connection)
        claims = {claim["id"]: claim for claim in live_claims(connection)}
    claim = claims.get(claim_id)
    if claim is None:
        raise NotFound(f"claim: no claim #{claim_id} in this case")
    found = {
        "claim_id": claim_id,
        "stored": {key: claim[key] for key in ("verdict", "verdict_rule", "verdict_by")},
        "computed": claim["proposition_kind"] in COMPUTED_KINDS,
    }
    if not found["computed"]:  # a person's verdict, as they gave it
        reasons = (claim["verdict_reasons"] or "").splitlines()
        return {
            **found,
            "verdict": claim["verdict"],
            "rule": claim["verdict_rule"],
            "reasons": reasons,
        }
    skipped: list = []
    incident_facts = _incident_facts(facts, _certainties(facts, skipped))
    values = _verdict_values(claim, incident_facts, facts, skipped)
    if values is None:
        return {**found, "verdict": None, "rule": None, "reasons": [skipped[-1]["why"]]}
    return {
        **found,
        "verdict": values["verdict"],
        "rule": values["verdict_rule"],
        "reasons": values["verdict_reasons"].splitlines(),
        "chain": json.loads(values["verdict_chain"]),
    }


def _change(row: dict, values: dict, field: str, rule: str) -> dict:
    return {"id": row["id"], "before": row[field], "after": values[field], "rule": values[rule]}


def _certainties(
    facts: CaseFacts, skipped: list, only: int | None = None
) -> dict[int, CertaintyResult]:
    results = {}
    for incident_id, row in facts.incidents.items():
        if only is not None and incident_id != only:
            continue
        sealed = facts.sealed_sites.get(row["site_id"])
        if sealed is not None:
            skipped.append(_sealed(f"incident #{incident_id}", sealed))
            continue
        results[incident_id] = assess_certainty(
            facts.links[incident_id],
            facts.window(incident_id),
            facts.analyses[row["site_id"]],
            _native_grades(row["native"]),
        )
    return results


def _sealed(what: str, derived_id: int) -> dict:
    return {
        "object": what,
        "why": f"the change analysis in derived item #{derived_id} is sealed and this session "
        "has no case key: left as it was",
    }


def _native_grades(native: str | None) -> dict[str, str]:
    """The grades an incident's native record carries (its keys naming a certainty or grade)."""
    record = json.loads(native) if native else {}
    return {
        key: str(value)
        for key, value in record.items()
        if value is not None and ("certainty" in key.lower() or "grad" in key.lower())
    }


def _certainty_values(result: CertaintyResult) -> dict:
    return {
        "certainty": result.level.value,
        "certainty_rule": result.rule,
        "certainty_reasons": json.dumps(list(result.reasons), ensure_ascii=False),
    }


def _incident_facts(facts: CaseFacts, results: dict[int, CertaintyResult]) -> list[IncidentFact]:
    """Every incident as the verdict rules read it: its computed certainty, or the stored
    one where it could not be computed."""
    found = []
    for incident_id, row in facts.incidents.items():
        result = results.get(incident_id)
        site = facts.sites.get(row["site_id"]) or {}
        found.append(
            IncidentFact(
                incident_id=incident_id,
                site_id=row["site_id"],
                window=facts.window(incident_id),
                certainty=result.level if result else Certainty(row["certainty"]),
                certainty_rule=result.rule if result else row["certainty_rule"],
                site_kind=site.get("kind"),
                site_geometry=facts.site_geometry(row["site_id"]),
                damage_class=row["damage_class"],
                items=tuple(
                    link.item
                    for link in facts.links[incident_id]
                    if link.role == "supports" and not link.item.discarded
                ),
            )
        )
    return found


def _question(claim: dict) -> Question:
    return Question(
        claim_id=claim["id"],
        kind=claim["proposition_kind"],
        period_start=FuzzyTime.from_stored(
            claim["period_start_at"], claim["period_start_precision"]
        ),
        period_end=FuzzyTime.from_stored(claim["period_end_at"], claim["period_end_precision"]),
        site_id=claim["site_id"],
        site_kind=claim["site_kind"],
        area_wkt=claim["area_wkt"],
        count=claim["count"],
        comparison=claim["count_comparison"] or "at_least",
        min_certainty=Certainty(claim["min_certainty"] or Certainty.PROBABLE),
    )


def _verdict_values(
    claim: dict, incident_facts: list[IncidentFact], facts: CaseFacts, skipped: list
) -> dict | None:
    """The columns of a computed verdict; None for a claim a person judges, or one that
    cannot be computed in this session."""
    if claim["proposition_kind"] not in COMPUTED_KINDS:
        return None
    question = _question(claim)
    if question.kind == "no_change" and question.site_id in facts.sealed_sites:
        skipped.append(_sealed(f"claim #{claim['id']}", facts.sealed_sites[question.site_id]))
        return None
    analyses = facts.analyses[question.site_id] if question.site_id is not None else []
    result = decide(question, incident_facts, analyses)
    return {
        "verdict": result.verdict.value,
        "verdict_reasons": result.text(),
        "verdict_rule": result.rule,
        "verdict_chain": json.dumps(result.chain(question), ensure_ascii=False, sort_keys=True),
        "verdict_by": COMPUTED,
    }
