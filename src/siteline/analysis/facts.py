"""The plain facts the assessment rules read: evidence items with their grades, time spans,
and what a before/after change analysis of a site says.

The services read these from the case; the rules in `certainty` and `verdicts` take them
as they are, so that every rule can be tested without a database.
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime
from typing import Any

from shapely import wkt
from shapely.errors import ShapelyError
from shapely.geometry import Point

from siteline.analysis.grades import admiralty
from siteline.domain.values import FuzzyTime

# Kinds of evidence that show the place itself.
VISUAL_KINDS = frozenset({"photo", "video", "satellite_scene"})

# A change analysis shows change at the site when the site changed more than the ring
# around it with a block p-value at most this, or a crater-like object lies inside it.
CHANGE_P_VALUE = 0.05


@dataclass(frozen=True)
class Item:
    """One evidence item as the rules weigh it."""

    evidence_id: int
    kind: str
    credibility: int = 6
    reliability: str | None = None  # the source's, A–F; none when no source is named
    source_id: int | None = None
    source_kind: str | None = None
    status: str = "collected"
    verified: bool = False
    discarded: bool = False
    sha256: str | None = None
    sensitivity: str = "public"
    dataset_certainty: str | None = None  # a dataset row's native grade, as a WHO SSA level
    native_certainty: str | None = None  # that grade as the dataset wrote it

    @property
    def grade(self) -> str:
        return admiralty(self.reliability, self.credibility)

    @property
    def visual(self) -> bool:
        return self.kind in VISUAL_KINDS

    def describe(self) -> str:
        """'#12 photo from source #3 (B), credibility 2 → B2, verified'."""
        source = (
            f"from source #{self.source_id} ({self.reliability or 'F'})"
            if self.source_id is not None
            else "with no source named"
        )
        text = (
            f"#{self.evidence_id} {self.kind} {source}, credibility {self.credibility} → "
            f"{self.grade}, {self.status}"
        )
        if self.native_certainty:
            level = self.dataset_certainty or "no level"
            text += f" (dataset grade {self.native_certainty!r} → {level})"
        return text

    def chain(self) -> dict[str, Any]:
        return {
            "evidence_id": self.evidence_id,
            "kind": self.kind,
            "grade": self.grade,
            "status": self.status,
            "sha256": self.sha256,
            "sensitivity": self.sensitivity,
        }


@dataclass(frozen=True)
class Link:
    """An item linked to an incident, with its role: supports, contradicts or context."""

    item: Item
    role: str


@dataclass(frozen=True)
class Span:
    """The instants a time (or a window from one time to another) may cover."""

    start: datetime
    end: datetime
    text: str

    @classmethod
    def of(cls, first: FuzzyTime, last: FuzzyTime | None = None) -> Span:
        last = last or first
        text = str(first) if last == first else f"{first} to {last}"
        return cls(first.start, max(first.end, last.end), text)

    def within(self, other: Span) -> bool:
        return other.start <= self.start and self.end <= other.end

    def overlaps(self, other: Span) -> bool:
        return self.start <= other.end and other.start <= self.end


@dataclass(frozen=True)
class Scene:
    """A satellite scene an analysis compared."""

    evidence_id: int
    sha256: str | None
    captured: FuzzyTime | None
    status: str = "collected"
    verified: bool = False
    discarded: bool = False
    sensitivity: str = "public"

    def chain(self, period: str) -> dict[str, Any]:
        return {
            "evidence_id": self.evidence_id,
            "period": period,
            "sha256": self.sha256,
            "captured": str(self.captured) if self.captured else None,
            "status": self.status,
            "sensitivity": self.sensitivity,
        }


@dataclass(frozen=True)
class ChangeAnalysis:
    """A stored change analysis (derived item of kind change_analysis) of one site."""

    derived_id: int
    sha256: str | None
    site_id: int
    before: tuple[Scene, ...]
    after: tuple[Scene, ...]
    site_changed_fraction: float | None = None
    ring_changed_fraction: float | None = None
    block_p_value: float | None = None
    craters_in_site: int = 0
    problem: str | None = None  # why it could not be read, if it could not

    @property
    def scenes(self) -> tuple[Scene, ...]:
        return self.before + self.after

    @property
    def before_span(self) -> Span | None:
        return _span_of(self.before)

    @property
    def after_span(self) -> Span | None:
        return _span_of(self.after)

    @property
    def usable(self) -> bool:
        return self.problem is None and not any(scene.discarded for scene in self.scenes)

    @property
    def verified(self) -> bool:
        return all(scene.verified for scene in self.scenes)

    def reading(self) -> tuple[str, str]:
        """('change' | 'no_change' | 'inconclusive', the measure in words)."""
        site, ring, p = self.site_changed_fraction, self.ring_changed_fraction, self.block_p_value
        craters = f"{self.craters_in_site} crater-like object(s) inside the site"
        if site is None or ring is None or p is None:
            if self.craters_in_site:
                return "change", craters
            return "inconclusive", "no valid pixels to compare in the site or the ring"
        measure = (
            f"{100 * site:.1f} % of the site changed against {100 * ring:.1f} % of the ring "
            f"(block p = {p:.3g}); {craters}"
        )
        if (p <= CHANGE_P_VALUE and site > ring) or self.craters_in_site:
            return "change", measure
        return "no_change", measure

    def chain(self) -> dict[str, Any]:
        outcome, measure = self.reading()
        return {
            "type": "change_analysis",
            "id": self.derived_id,
            "sha256": self.sha256,
            "site_id": self.site_id,
            "reading": outcome,
            "measure": measure,
            "scenes": [scene.chain("before") for scene in self.before]
            + [scene.chain("after") for scene in self.after],
        }


def _span_of(scenes: tuple[Scene, ...]) -> Span | None:
    """From the earliest to the latest instant the scenes may have been taken; none when
    any scene's date is unknown."""
    if not scenes or any(scene.captured is None for scene in scenes):
        return None
    first = min(scenes, key=lambda scene: scene.captured.start).captured
    last = max(scenes, key=lambda scene: scene.captured.end).captured
    return Span.of(first, last)


def read_change_analysis(
    derived_id: int,
    sha256: str | None,
    analysis: dict[str, Any],
    scenes: dict[int, Scene],
) -> ChangeAnalysis:
    """A change analysis from its stored JSON (see services/imagery_compare.py) and the
    current state of its scenes; scenes no longer in the case are named as a problem."""
    named = [scene["evidence_id"] for scene in analysis["before"] + analysis["after"]]
    missing = [number for number in named if number not in scenes]
    result = analysis.get("result") or {}
    return ChangeAnalysis(
        derived_id=derived_id,
        sha256=sha256,
        site_id=analysis["site"]["id"],
        before=tuple(
            scenes[s["evidence_id"]] for s in analysis["before"] if s["evidence_id"] in scenes
        ),
        after=tuple(
            scenes[s["evidence_id"]] for s in analysis["after"] if s["evidence_id"] in scenes
        ),
        site_changed_fraction=result.get("site_changed_fraction"),
        ring_changed_fraction=result.get("ring_changed_fraction"),
        block_p_value=result.get("block_p_value"),
        craters_in_site=_craters_inside(analysis),
        problem=f"its scene #{missing[0]} is no longer in the case" if missing else None,
    )


def _craters_inside(analysis: dict[str, Any]) -> int:
    """Crater-like objects whose centre lies inside the site's outline."""
    try:
        outline = wkt.loads(analysis["site"]["outline_wgs84"])
    except (KeyError, TypeError, ShapelyError):
        return 0
    objects = (analysis.get("result") or {}).get("objects") or []
    return sum(
        1
        for found in objects
        if found.get("crater_like")
        and found.get("lat") is not None
        and outline.covers(Point(found["lon"], found["lat"]))
    )
