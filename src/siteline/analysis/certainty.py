"""An incident's certainty, computed from its linked evidence: Siteline's reading of the WHO
Surveillance System for Attacks on Health Care (SSA) levels as named rules.

Each rule has a name (SSA-0 … SSA-8) that the result carries, and the reasons name every
item weighed with its Admiralty grade, so that a reader can follow the result without
Siteline. docs/assessment.md states the rules in words.

The ladder, weakest first; the highest level whose rule holds is the result, and a
contradiction may then cap it:

- rumour: no supporting evidence (SSA-0), or only unverified reports from sources graded
  E/F or of credibility 5–6 (SSA-1);
- possible: a supporting report of some standing (not only E/F, credibility 5–6), short
  of probable: one source, or several that are not well graded (SSA-2);
- probable: well-graded reports (source A–C or credibility 1–3) from two or more
  independent sources (SSA-3), or one verified item (SSA-4), or a dataset that graded the
  incident probable or confirmed (SSA-5);
- confirmed: probable on other evidence plus verified visual evidence, a photo, video or
  satellite scene, or a change analysis of the site around the incident's window showing
  change from verified scenes (SSA-6); or a verified eyewitness testimony plus an
  independent well-graded or verified source (SSA-7);
- SSA-8: a contradicting item that is verified, or whose source is at least as reliable as
  the best supporting one, caps the result at possible. Contradicting statements by
  official bodies (the alleged perpetrator's side denying) are named and do not lower it.

Discarded items count for nothing; context items are named but not weighed.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from dataclasses import dataclass

from siteline.analysis.facts import ChangeAnalysis, Item, Link, Span
from siteline.analysis.grades import reliability_rank, weakly_sourced, well_sourced
from siteline.domain.vocabularies import Certainty

RULES = {
    "SSA-0": "no supporting evidence → rumour",
    "SSA-1": "only unverified reports from sources graded E/F or of credibility 5–6 → rumour",
    "SSA-2": "a supporting report of some standing, short of probable → possible",
    "SSA-3": "well-graded reports from two or more independent sources → probable",
    "SSA-4": "a verified supporting item → probable",
    "SSA-5": "a dataset graded the incident probable or confirmed → probable",
    "SSA-6": "probable + verified visual evidence → confirmed",
    "SSA-7": "a verified eyewitness testimony + an independent source → confirmed",
    "SSA-8": "contradicted by evidence at least as reliable as the support → at most possible",
}

_PROBABLE_OR_BETTER = {Certainty.PROBABLE.value, Certainty.CONFIRMED.value}


def rule_text(name: str) -> str:
    """'SSA-6: probable + verified visual evidence → confirmed'."""
    return f"{name}: {RULES[name]}"


@dataclass(frozen=True)
class CertaintyResult:
    level: Certainty
    rule: str  # the rule applied, named and stated
    reasons: tuple[str, ...]
    basis: tuple[int, ...] = ()  # the evidence items the level rests on


def assess_certainty(
    links: Sequence[Link],
    window: Span | None = None,
    analyses: Iterable[ChangeAnalysis] = (),
    native_grades: dict[str, str] | None = None,
) -> CertaintyResult:
    """The certainty its linked evidence gives an incident. `analyses` are change analyses
    of the incident's site; one counts as visual evidence only when its before scenes were
    all taken before `window` began and its after scenes after it ended."""
    support = [link.item for link in links if link.role == "supports" and not link.item.discarded]
    against = [
        link.item for link in links if link.role == "contradicts" and not link.item.discarded
    ]
    reasons = _item_reasons(links)
    brackets = [a for a in analyses if window is not None and _brackets(a, window)]
    reasons += [_analysis_reason(analysis) for analysis in brackets]
    level, rule, basis = _ladder(support, brackets)
    reasons.append(f"{rule_text(rule)}{_basis_text(basis)}")
    level, rule, capped = _cap(level, rule, support, against, reasons)
    for name, grade in sorted((native_grades or {}).items()):
        reasons.append(f"native grade {name}: {grade!r} (kept as recorded, not weighed)")
    return CertaintyResult(level, rule_text(rule), tuple(reasons), tuple(basis + capped))


def _item_reasons(links: Sequence[Link]) -> list[str]:
    reasons = []
    for link in links:
        item = link.item
        if item.discarded:
            reasons.append(f"{link.role}: {item.describe()}: discarded, counts for nothing")
        elif link.role == "context":
            reasons.append(f"context: {item.describe()}: named, not weighed")
        else:
            reasons.append(f"{link.role}: {item.describe()}")
    return reasons


def _analysis_reason(analysis: ChangeAnalysis) -> str:
    outcome, measure = analysis.reading()
    standing = (
        "cannot be used (a scene discarded or gone)"
        if not analysis.usable
        else "scenes verified"
        if analysis.verified
        else "scenes not all verified"
    )
    scenes = ", #".join(str(scene.evidence_id) for scene in analysis.scenes)
    return (
        f"change analysis in derived item #{analysis.derived_id} of the site, scenes #{scenes} "
        f"taken before and after the window: {outcome.replace('_', ' ')} ({measure}); {standing}"
    )


def _basis_text(basis: list[int]) -> str:
    return f" (#{', #'.join(map(str, basis))})" if basis else ""


def _ladder(
    support: list[Item], analyses: list[ChangeAnalysis]
) -> tuple[Certainty, str, list[int]]:
    """The highest level the supporting evidence reaches, its rule and the items it rests on."""
    confirmed = _confirmed(support, analyses)
    if confirmed:
        return Certainty.CONFIRMED, *confirmed
    probable = _probable(support)
    if probable:
        return Certainty.PROBABLE, *probable
    if not support:
        return Certainty.RUMOUR, "SSA-0", []
    standing = [
        item.evidence_id
        for item in support
        if item.verified or not weakly_sourced(item.reliability, item.credibility)
    ]
    if standing:
        return Certainty.POSSIBLE, "SSA-2", standing[:1]
    return Certainty.RUMOUR, "SSA-1", []


def _probable(support: list[Item]) -> tuple[str, list[int]] | None:
    by_source: dict[int, int] = {}
    for item in support:
        if item.source_id is not None and well_sourced(item.reliability, item.credibility):
            by_source.setdefault(item.source_id, item.evidence_id)
    if len(by_source) >= 2:
        return "SSA-3", sorted(by_source.values())
    verified = [item.evidence_id for item in support if item.verified]
    if verified:
        return "SSA-4", verified[:1]
    graded = [item.evidence_id for item in support if item.dataset_certainty in _PROBABLE_OR_BETTER]
    if graded:
        return "SSA-5", graded[:1]
    return None


def _confirmed(support: list[Item], analyses: list[ChangeAnalysis]) -> tuple[str, list[int]] | None:
    for visual in support:
        if visual.visual and visual.verified:
            others = [item for item in support if item is not visual]
            probable = _probable(others)
            if probable:
                return "SSA-6", [*probable[1], visual.evidence_id]
    probable = _probable(support)
    if probable:
        for analysis in analyses:
            if analysis.usable and analysis.verified and analysis.reading()[0] == "change":
                scenes = [scene.evidence_id for scene in analysis.scenes]
                return "SSA-6", [*probable[1], *scenes]
    for testimony in support:
        if testimony.kind == "testimony" and testimony.verified:
            for other in support:
                if _independent(testimony, other) and (
                    other.verified or well_sourced(other.reliability, other.credibility)
                ):
                    return "SSA-7", [testimony.evidence_id, other.evidence_id]
    return None


def _independent(first: Item, second: Item) -> bool:
    """Two items from different named sources (unnamed sources cannot be shown apart)."""
    return (
        first is not second
        and first.source_id is not None
        and second.source_id is not None
        and first.source_id != second.source_id
    )


def _brackets(analysis: ChangeAnalysis, window: Span) -> bool:
    before, after = analysis.before_span, analysis.after_span
    return (
        before is not None
        and after is not None
        and before.end <= window.start
        and after.start >= window.end
    )


def _denial(item: Item) -> bool:
    return item.kind == "statement" or item.source_kind == "official_body"


def _cap(
    level: Certainty, rule: str, support: list[Item], against: list[Item], reasons: list[str]
) -> tuple[Certainty, str, list[int]]:
    """SSA-8: contradicting evidence as reliable as the best support caps at possible."""
    best = min((reliability_rank(item.reliability) for item in support), default=None)
    capping = []
    for item in against:
        if _denial(item):
            reasons.append(
                f"#{item.evidence_id} is a denial by an official body or in an official "
                "statement: named, does not lower the certainty"
            )
        elif item.verified or (best is not None and reliability_rank(item.reliability) <= best):
            capping.append(item.evidence_id)
        else:
            reasons.append(
                f"#{item.evidence_id} contradicts, but is unverified and its source is less "
                "reliable than the best supporting one: named, does not lower the certainty"
            )
    if not capping or level in (Certainty.RUMOUR, Certainty.POSSIBLE):
        if capping:
            reasons.append(f"contradicted by #{', #'.join(map(str, capping))} (already {level})")
        return level, rule, []
    reasons.append(
        f"{rule_text('SSA-8')}: #{', #'.join(map(str, capping))} contradict(s) the support; "
        f"without them the evidence would give {level}"
    )
    return Certainty.POSSIBLE, "SSA-8", capping
