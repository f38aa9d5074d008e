"""'No change at site S between t1 and t2': the verdict from change analyses and incidents.

- Contradicted (V-NC1) by a change analysis of the site whose before and after scenes all
  lie inside the period and that shows change: the site changed more than the ring around
  it with a block p-value of at most 0.05, or a crater-like object lies inside the site
  (the reason says which). Contradicted (V-NC2) by a damaging attack on the site (damage
  destroyed, severe or moderate) documented wholly inside the period with the claim's least
  certainty.
- Supported (V-NC3) only by an analysis whose scenes span the period (the before scenes
  taken no later than the period's first unit, the after scenes no earlier than its last,
  at the precision the claim states it) and that shows no change, with nothing that may
  speak against it.
- Unresolved otherwise, every piece of evidence named: for and against at once (V-NC4);
  evidence that may bear on the claim without deciding it (V-NC5: a change whose scenes
  reach outside the period, an attack whose date or damage is uncertain); or none (V-NC0).
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from siteline.analysis.facts import ChangeAnalysis
from siteline.analysis.grades import at_least
from siteline.analysis.verdict_basis import (
    DAMAGING,
    IncidentFact,
    Question,
    VerdictResult,
    rule_text,
)
from siteline.domain.vocabularies import Verdict

Weighed = list[tuple[dict[str, Any], str]]  # (chain element, reason)


class _Evidence:
    """The evidence sorted by what it says of the claim."""

    def __init__(self) -> None:
        self.against: Weighed = []
        self.support: Weighed = []
        self.doubts: Weighed = []
        self.named: Weighed = []
        self.mentions: dict[str, dict[str, Any]] = {}

    def add(self, bucket: Weighed, role: str, element: dict[str, Any], reason: str) -> None:
        bucket.append(({**element, "role": role}, reason))


def no_change(
    question: Question,
    incidents: Sequence[IncidentFact],
    analyses: Sequence[ChangeAnalysis],
) -> VerdictResult:
    found = _Evidence()
    for analysis in analyses:
        if analysis.site_id == question.site_id:
            _weigh_analysis(question, analysis, found)
    for incident in incidents:
        if incident.site_id == question.site_id and incident.window.overlaps(question.period):
            _weigh_incident(question, incident, found)
    return _decide(question, found)


def _weigh_analysis(question: Question, analysis: ChangeAnalysis, found: _Evidence) -> None:
    token = f"d{analysis.derived_id}"
    found.mentions[token] = {
        "text": _analysis_name(analysis),
        "evidence_ids": [scene.evidence_id for scene in analysis.scenes],
    }
    name, element = f"[[{token}]]", analysis.chain()
    if not analysis.usable:
        problem = analysis.problem or "one of its scenes was discarded"
        found.add(found.named, "unusable", element, f"{name} cannot be used: {problem}")
        return
    outcome, measure = analysis.reading()
    period = question.period
    before, after = analysis.before_span, analysis.after_span
    if before is None or after is None:
        bucket = found.doubts if outcome == "change" else found.named
        found.add(
            bucket,
            "uncertain" if outcome == "change" else "named",
            element,
            f"{name} reads {outcome.replace('_', ' ')} ({measure}), but a scene's date is "
            "unknown: it cannot be placed in the period",
        )
        return
    if after.end < period.start or before.start > period.end:
        return  # wholly before or after the period: it says nothing of it
    inside = before.start >= period.start and after.end <= period.end
    last = question.period_end or question.period_start
    spans = before.end <= question.period_start.end and after.start >= last.start
    if outcome == "change" and inside:
        found.add(
            found.against,
            "contradicts",
            element,
            f"{name} shows change ({measure}); both its scenes lie inside the period {period.text}",
        )
    elif outcome == "change":
        found.add(
            found.doubts,
            "uncertain",
            element,
            f"{name} shows change ({measure}), but its scenes reach outside the period "
            f"{period.text}: the change may lie outside it",
        )
    elif outcome == "no_change" and spans:
        found.add(
            found.support,
            "supports",
            element,
            f"{name} shows no change ({measure}); its scenes span the period {period.text}",
        )
    else:
        what = "shows no change" if outcome == "no_change" else "is inconclusive"
        found.add(
            found.named,
            "named",
            element,
            f"{name} {what} ({measure}), but it does not span the period {period.text}",
        )


def _analysis_name(analysis: ChangeAnalysis) -> str:
    def scenes(group) -> str:
        return ", ".join(
            f"#{scene.evidence_id} ({scene.captured or 'date unknown'})" for scene in group
        )

    return (
        f"the change analysis in derived item #{analysis.derived_id} (before {scenes(analysis.before)}; "
        f"after {scenes(analysis.after)})"
    )


def _weigh_incident(question: Question, incident: IncidentFact, found: _Evidence) -> None:
    element = incident.chain("")
    if incident.damage_class == "no_visible":
        found.add(found.named, "named", element, f"{incident.describe()}: no visible damage")
        return
    problems = []
    if incident.damage_class not in DAMAGING:
        problems.append(f"its damage is {incident.damage_class or 'not assessed'}")
    if not incident.window.within(question.period):
        problems.append(
            f"its window {incident.window.text} reaches outside the period {question.period.text}"
        )
    if not at_least(incident.certainty, question.min_certainty):
        problems.append(
            f"its certainty {incident.certainty} is below the {question.min_certainty} "
            "the claim needs"
        )
    if problems:
        found.add(
            found.doubts,
            "uncertain",
            element,
            f"{incident.describe()} ({incident.certainty_rule or 'certainty as computed'}) may "
            "bear on the claim but cannot decide it: " + "; ".join(problems),
        )
    else:
        found.add(
            found.against,
            "contradicts",
            element,
            f"{incident.describe()} ({incident.certainty_rule or 'certainty as computed'}) lies "
            f"wholly inside the period {question.period.text}",
        )


def _decide(question: Question, found: _Evidence) -> VerdictResult:
    weighed = found.against + found.support + found.doubts + found.named
    reasons = [reason for _, reason in weighed]
    elements = [element for element, _ in weighed]

    def result(verdict: Verdict, rule: str) -> VerdictResult:
        return VerdictResult(verdict, rule_text(rule), reasons, elements, found.mentions)

    if found.against and found.support:
        reasons.append("the evidence is contradictory: the claim cannot be decided on it")
        return result(Verdict.UNRESOLVED, "V-NC4")
    if found.against:
        by_analysis = any(element["type"] == "change_analysis" for element, _ in found.against)
        return result(Verdict.CONTRADICTED, "V-NC1" if by_analysis else "V-NC2")
    if found.support and not found.doubts:
        return result(Verdict.SUPPORTED, "V-NC3")
    if found.support or found.doubts:
        return result(Verdict.UNRESOLVED, "V-NC5")
    reasons.append(
        f"no change analysis of site #{question.site_id} spans the period "
        f"{question.period.text} and no damaging attack on it is documented there"
    )
    return result(Verdict.UNRESOLVED, "V-NC0")
