"""Verdicts of claims, computed from incidents and change analyses by named rules.

One function for each kind of proposition. Each is strict: an incident counts only when
its whole window lies inside the claimed period, at a site the claim covers, with at least
the claim's least certainty; one that may fall outside (an imprecise date, a window over
the period's edge, a site with no location against an area) or is less certain is named
as a reason the verdict stays unresolved, never counted. The absence of documented attacks
is never taken as evidence of absence. docs/assessment.md states every rule in words.
"""

from __future__ import annotations

from collections.abc import Sequence

from siteline.analysis.facts import ChangeAnalysis
from siteline.analysis.verdict_basis import (
    COMPUTED_KINDS,
    RULES,
    IncidentFact,
    Question,
    VerdictResult,
    counted_reason,
    incident_elements,
    render,
    rule_text,
    sort_incidents,
    uncertain_reasons,
)
from siteline.analysis.verdict_change import no_change
from siteline.domain.vocabularies import CountComparison, PropositionKind, Verdict

__all__ = [
    "COMPUTED_KINDS",
    "RULES",
    "IncidentFact",
    "Question",
    "VerdictResult",
    "decide",
    "render",
]


def decide(
    question: Question,
    incidents: Sequence[IncidentFact],
    analyses: Sequence[ChangeAnalysis] = (),
) -> VerdictResult:
    """The verdict of a claim of a computed kind."""
    missing = _missing(question)
    if missing:
        return VerdictResult(Verdict.UNRESOLVED, rule_text("V-0"), [missing])
    if question.kind == PropositionKind.NO_CHANGE:
        return no_change(question, incidents, analyses)
    if question.kind == PropositionKind.ATTACK_COUNT:
        return attack_count(question, incidents)
    if question.kind == PropositionKind.ATTACKED:
        return attacked(question, incidents)
    return no_attacks(question, incidents)


def _missing(question: Question) -> str | None:
    kind = question.kind
    if kind not in COMPUTED_KINDS:
        return f"a claim of kind {kind!r} takes a person's verdict, not a computed one"
    if question.period is None:
        return f"the claim gives no period: a {kind!r} claim cannot be tested without one"
    needs_site = kind in (
        PropositionKind.NOT_ATTACKED,
        PropositionKind.ATTACKED,
        PropositionKind.NO_CHANGE,
    )
    if needs_site and question.site_id is None:
        return f"the claim names no site: a {kind!r} claim is about one site"
    if kind == PropositionKind.ATTACK_COUNT and question.count is None:
        return "the claim states no number of attacks"
    return None


def no_attacks(question: Question, incidents: Sequence[IncidentFact]) -> VerdictResult:
    """'Site S was not attacked in P' (V-NA…) or 'no site in scope was attacked in P' (V-NP…)."""
    prefix = "V-NA" if question.kind == PropositionKind.NOT_ATTACKED else "V-NP"
    period = question.period
    counted, uncertain = sort_incidents(question, incidents)
    reasons = [counted_reason(incident, period) for incident in counted]
    reasons += uncertain_reasons(uncertain)
    elements = incident_elements(counted, uncertain, "contradicts")
    if counted:
        return VerdictResult(Verdict.CONTRADICTED, rule_text(f"{prefix}1"), reasons, elements)
    if uncertain:
        return VerdictResult(Verdict.UNRESOLVED, rule_text(f"{prefix}2"), reasons, elements)
    reasons.append(
        f"no attack on {question.scope()} is documented in the period {period.text} with "
        f"certainty {question.min_certainty} or more; absence of documented attacks is not "
        "evidence of absence"
    )
    return VerdictResult(Verdict.UNRESOLVED, rule_text(f"{prefix}0"), reasons, elements)


def attacked(question: Question, incidents: Sequence[IncidentFact]) -> VerdictResult:
    """'Site S was attacked on D': supported by a documented attack inside D, else unresolved."""
    period = question.period
    counted, uncertain = sort_incidents(question, incidents)
    reasons = [counted_reason(incident, period) for incident in counted]
    reasons += uncertain_reasons(uncertain)
    elements = incident_elements(counted, uncertain, "supports")
    if counted:
        return VerdictResult(Verdict.SUPPORTED, rule_text("V-AT1"), reasons, elements)
    if uncertain:
        return VerdictResult(Verdict.UNRESOLVED, rule_text("V-AT2"), reasons, elements)
    reasons.append(
        f"no attack on {question.scope()} is documented in {period.text} with certainty "
        f"{question.min_certainty} or more; that does not show there was none"
    )
    return VerdictResult(Verdict.UNRESOLVED, rule_text("V-AT0"), reasons, elements)


def attack_count(question: Question, incidents: Sequence[IncidentFact]) -> VerdictResult:
    """'N attacks happened in P' (at least, exactly or at most N) against the attacks
    documented inside P on the sites the claim covers."""
    stated, comparison = question.count, question.comparison
    counted, uncertain = sort_incidents(question, incidents)
    reasons = [
        f"{len(counted)} attack(s) on {question.scope()} documented wholly inside "
        f"{question.period.text} with certainty {question.min_certainty} or more; "
        f"{len(uncertain)} uncertain; the claim states {comparison.replace('_', ' ')} {stated}"
    ]
    reasons += [counted_reason(incident, question.period) for incident in counted]
    reasons += uncertain_reasons(uncertain)
    elements = incident_elements(counted, uncertain, "counted")
    if comparison == CountComparison.AT_LEAST and len(counted) >= stated:
        return VerdictResult(Verdict.SUPPORTED, rule_text("V-AC1"), reasons, elements)
    if comparison != CountComparison.AT_LEAST and len(counted) > stated:
        return VerdictResult(Verdict.CONTRADICTED, rule_text("V-AC2"), reasons, elements)
    if comparison == CountComparison.EXACTLY and len(counted) == stated and not uncertain:
        return VerdictResult(Verdict.SUPPORTED, rule_text("V-AC3"), reasons, elements)
    if len(counted) < stated or comparison == CountComparison.AT_MOST:
        reasons.append(
            "attacks the case has not documented may exist: a count below the stated one, "
            "or within a stated maximum, decides nothing"
        )
    return VerdictResult(Verdict.UNRESOLVED, rule_text("V-AC0"), reasons, elements)
