"""What the verdict rules share: the named rules, the claim and incidents as they read them,
the result with its chain of evidence, and which incidents a claim can count.

Reasons are written as templates: `[[e12]]` stands for evidence #12 and `[[d7]]` for the
change analysis in derived item #7, each described in `mentions`, so that a public output
can name an item that is confidential as "a confidential item" (see `render`).
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from shapely import wkt

from siteline.analysis.facts import Item, Span
from siteline.analysis.grades import at_least
from siteline.domain.values import FuzzyTime
from siteline.domain.vocabularies import Certainty, CountComparison, PropositionKind, Verdict

RULES = {
    "V-0": "the claim lacks what its kind needs to be tested → unresolved",
    "V-NA1": "an attack on the site documented inside the period → contradicted",
    "V-NA2": "attacks on the site that may fall outside the period, or are less certain "
    "than the claim needs → unresolved",
    "V-NA0": "no attack on the site documented in the period; absence of documented "
    "attacks is not evidence of absence → unresolved",
    "V-NP1": "an attack on a site the claim covers documented inside the period → contradicted",
    "V-NP2": "attacks that may fall outside the period or the area, or are less certain than "
    "the claim needs → unresolved",
    "V-NP0": "no attack on a site the claim covers documented in the period; absence of "
    "documented attacks is not evidence of absence → unresolved",
    "V-AT1": "an attack on the site documented inside the period → supported",
    "V-AT2": "attacks on the site that may fall outside the period, or are less certain "
    "than the claim needs → unresolved",
    "V-AT0": "no attack on the site documented in the period → unresolved",
    "V-NC1": "a change analysis with both scenes inside the period shows change → contradicted",
    "V-NC2": "a damaging attack on the site documented inside the period → contradicted",
    "V-NC3": "a change analysis spanning the period shows no change, and nothing "
    "speaks against it → supported",
    "V-NC4": "evidence both for and against the claim → unresolved",
    "V-NC5": "evidence that bears on the claim but does not decide it → unresolved",
    "V-NC0": "no change analysis spans the period and no damaging attack is documented "
    "→ unresolved",
    "V-AC1": "at least N stated, N or more attacks documented → supported",
    "V-AC2": "at most (or exactly) N stated, more than N attacks documented → contradicted",
    "V-AC3": "exactly N stated, exactly N attacks documented and none uncertain → supported",
    "V-AC0": "the documented attacks do not decide the stated count → unresolved",
}

DAMAGING = frozenset({"destroyed", "severe", "moderate"})
COMPUTED_KINDS = frozenset(
    kind.value for kind in PropositionKind if kind is not PropositionKind.OTHER
)
_TOKEN = re.compile(r"\[\[([ed])(\d+)\]\]")


def rule_text(name: str) -> str:
    return f"{name}: {RULES[name]}"


@dataclass(frozen=True)
class IncidentFact:
    """An incident as the verdict rules read it, with its computed certainty."""

    incident_id: int
    site_id: int
    window: Span
    certainty: Certainty
    certainty_rule: str | None = None
    site_kind: str | None = None
    site_geometry: str | None = None  # the site's polygon or point as WKT; none if unknown
    damage_class: str | None = None
    items: tuple[Item, ...] = ()  # its supporting evidence, for the chain

    def describe(self) -> str:
        damage = f", damage {self.damage_class}" if self.damage_class else ""
        return (
            f"incident #{self.incident_id} at site #{self.site_id} ({self.window.text}), "
            f"certainty {self.certainty}{damage}"
        )

    def chain(self, role: str) -> dict[str, Any]:
        return {
            "type": "incident",
            "id": self.incident_id,
            "role": role,
            "site_id": self.site_id,
            "window": self.window.text,
            "certainty": str(self.certainty),
            "certainty_rule": self.certainty_rule,
            "damage_class": self.damage_class,
            "items": [item.chain() for item in self.items],
        }


@dataclass(frozen=True)
class Question:
    """A claim's proposition as the rules test it."""

    claim_id: int
    kind: str
    period_start: FuzzyTime | None = None
    period_end: FuzzyTime | None = None
    site_id: int | None = None
    site_kind: str | None = None
    area_wkt: str | None = None
    count: int | None = None
    comparison: str = CountComparison.AT_LEAST.value
    min_certainty: Certainty = Certainty.PROBABLE

    @property
    def period(self) -> Span | None:
        return Span.of(self.period_start, self.period_end) if self.period_start else None

    def scope(self) -> str:
        where = (
            f"site #{self.site_id}"
            if self.site_id is not None
            else f"any {self.site_kind} site"
            if self.site_kind
            else "any site"
        )
        return where + (" in the claimed area" if self.area_wkt else "")


@dataclass
class VerdictResult:
    verdict: Verdict
    rule: str
    reasons: list[str]  # templates: see `render`
    elements: list[dict[str, Any]] = field(default_factory=list)
    mentions: dict[str, dict[str, Any]] = field(default_factory=dict)

    def chain(self, question: Question) -> dict[str, Any]:
        """The chain of evidence as stored with the claim (JSON)."""
        return {
            "verdict": self.verdict.value,
            "rule": self.rule,
            "min_certainty": str(question.min_certainty),
            "period": question.period.text if question.period else None,
            "elements": self.elements,
            "reasons": self.reasons,
            "mentions": self.mentions,
        }

    def text(self) -> str:
        return "\n".join(render(self.reasons, self.mentions))


def render(
    reasons: Iterable[str],
    mentions: dict[str, dict[str, Any]],
    hidden: dict[int, str] | None = None,
) -> list[str]:
    """The reasons in words. An item in `hidden` (evidence id → its sensitivity), or an
    analysis of a hidden scene, is named only as 'a confidential item' (or restricted)."""
    hidden = hidden or {}

    def name(match: re.Match) -> str:
        mention = mentions.get(match.group(1) + match.group(2))
        if mention is None:
            return match.group(0)
        levels = {hidden[number] for number in mention["evidence_ids"] if number in hidden}
        if levels:
            return "a confidential item" if "confidential" in levels else "a restricted item"
        return mention["text"]

    return [_TOKEN.sub(name, reason) for reason in reasons]


def sort_incidents(
    question: Question, incidents: Iterable[IncidentFact]
) -> tuple[list[IncidentFact], list[tuple[IncidentFact, str]]]:
    """(incidents that count, [(incident, why it cannot count)]); those outside the claim's
    scope or period are left out."""
    period = question.period
    counted, uncertain = [], []
    for incident in incidents:
        if not _in_scope(question, incident) or not incident.window.overlaps(period):
            continue
        problems = []
        placement = _placement(question, incident)
        if placement == "out":
            continue
        if placement:
            problems.append(placement)
        if not incident.window.within(period):
            problems.append(
                f"its window {incident.window.text} reaches outside the period {period.text}"
            )
        if not at_least(incident.certainty, question.min_certainty):
            problems.append(
                f"its certainty {incident.certainty} is below the {question.min_certainty} "
                "the claim needs"
            )
        if problems:
            uncertain.append((incident, "; ".join(problems)))
        else:
            counted.append(incident)
    return counted, uncertain


def _in_scope(question: Question, incident: IncidentFact) -> bool:
    if question.site_id is not None and incident.site_id != question.site_id:
        return False
    return not (question.site_kind and incident.site_kind != question.site_kind)


def _placement(question: Question, incident: IncidentFact) -> str | None:
    """None when the incident's site lies in the claim's area (or the claim has none),
    'out' when outside, else why it cannot be placed."""
    if not question.area_wkt:
        return None
    if not incident.site_geometry:
        return f"site #{incident.site_id} has no location: it cannot be placed in the area"
    area, place = wkt.loads(question.area_wkt), wkt.loads(incident.site_geometry)
    if area.covers(place):
        return None
    if area.intersects(place):
        return f"site #{incident.site_id} lies across the edge of the area"
    return "out"


def counted_reason(incident: IncidentFact, period: Span) -> str:
    return f"{_with_rule(incident)} lies wholly inside the period {period.text}"


def uncertain_reasons(uncertain: list[tuple[IncidentFact, str]]) -> list[str]:
    return [f"{_with_rule(incident)} cannot count: {why}" for incident, why in uncertain]


def _with_rule(incident: IncidentFact) -> str:
    """The incident, and the rule that gave its certainty (a contradiction's cap shows)."""
    rule = f" ({incident.certainty_rule})" if incident.certainty_rule else ""
    return f"{incident.describe()}{rule}"


def incident_elements(counted, uncertain, role: str) -> list[dict[str, Any]]:
    return [incident.chain(role) for incident in counted] + [
        incident.chain("uncertain") for incident, _ in uncertain
    ]
