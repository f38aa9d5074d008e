"""Counting attacks: by month, site, site kind, alleged perpetrator or weapon, with filters.

A figure such as "73 attacks on health facilities in the last 6 months in Aleppo" is only as
good as the incidents behind it, and incidents are known to a precision: a window of minutes,
a month, a year. Nothing here reads more into a window than is there. An incident counts in a
period (or a month) only when its whole window lies inside it; one whose window straddles an
edge is neither counted nor dropped but listed as uncertain. Likewise an incident at a site
whose outline straddles the edge of an area, or at a site without a location, is listed and
not counted. Pure: plain values in, plain values out.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from datetime import datetime

from siteline.analysis.grades import at_least
from siteline.analysis.statistics_filters import (
    Area,
    Period,
    describe_last,
    last_period,
    parse_last,
)
from siteline.domain.values import FuzzyTime
from siteline.domain.vocabularies import Certainty, parse_term
from siteline.errors import InvalidInput

# Periods and areas live in statistics_filters; they are part of this module's interface.
__all__ = [
    "GROUPINGS",
    "NOT_STATED",
    "CERTAINTY_ORDER",
    "Area",
    "Filters",
    "Group",
    "IncidentFact",
    "Period",
    "Selection",
    "Tally",
    "count_by",
    "describe",
    "describe_last",
    "last_period",
    "parse_last",
    "select_incidents",
]

GROUPINGS = ("month", "site", "site_kind", "perpetrator", "weapon")
NOT_STATED = "not stated"
# WHO SSA certainty, most certain first: a minimum of 'probable' keeps confirmed and probable.
CERTAINTY_ORDER = (Certainty.CONFIRMED, Certainty.PROBABLE, Certainty.POSSIBLE, Certainty.RUMOUR)


@dataclass(frozen=True)
class IncidentFact:
    """What counting needs of one incident and its site."""

    id: int
    site_id: int
    site_name: str
    site_kind: str
    window_start: FuzzyTime
    window_end: FuzzyTime | None
    certainty: str
    perpetrator: str | None = None
    weapon: str | None = None
    type: str | None = None
    site_geometry_wkt: str | None = None  # a POINT or a POLYGON; none when not located

    @classmethod
    def from_row(cls, row: dict) -> IncidentFact:
        """From an incident's stored record joined with its site's `site_name`, `site_kind`,
        `geometry_wkt`, `lat` and `lon`."""
        geometry = row.get("geometry_wkt")
        if not geometry and row.get("lat") is not None:
            geometry = f"POINT ({row['lon']} {row['lat']})"
        return cls(
            id=row["id"],
            site_id=row["site_id"],
            site_name=row["site_name"],
            site_kind=row["site_kind"],
            window_start=FuzzyTime.from_stored(
                row["window_start_at"], row["window_start_precision"]
            ),
            window_end=FuzzyTime.from_stored(row["window_end_at"], row["window_end_precision"]),
            certainty=row["certainty"],
            perpetrator=row.get("perpetrator"),
            weapon=row.get("weapon"),
            type=row.get("type"),
            site_geometry_wkt=geometry,
        )

    @property
    def first_instant(self) -> datetime:
        return self.window_start.start

    @property
    def last_instant(self) -> datetime:
        return (self.window_end or self.window_start).end


@dataclass(frozen=True)
class Filters:
    min_certainty: str = Certainty.RUMOUR.value
    period: Period | None = None
    area: Area | None = None
    site_kinds: tuple[str, ...] = ()  # none: every kind


@dataclass
class Selection:
    """The incidents a filter counts, and those it can neither count nor rule out."""

    counted: list[IncidentFact] = field(default_factory=list)
    straddling_period: list[int] = field(default_factory=list)
    straddling_area: list[int] = field(default_factory=list)
    unlocated: list[int] = field(default_factory=list)
    below_certainty: list[int] = field(default_factory=list)

    @property
    def uncertain(self) -> list[int]:
        return sorted({*self.straddling_period, *self.straddling_area, *self.unlocated})


def select_incidents(facts: Iterable[IncidentFact], filters: Filters) -> Selection:
    """Each incident, in order of id, counted, ruled out, or listed as uncertain."""
    chosen = Selection()
    minimum = parse_term(Certainty, filters.min_certainty, "minimum certainty").value
    for fact in sorted(facts, key=lambda fact: fact.id):
        if filters.site_kinds and fact.site_kind not in filters.site_kinds:
            continue
        if not at_least(fact.certainty, minimum):
            chosen.below_certainty.append(fact.id)
            continue
        when = (
            filters.period.placement(fact.first_instant, fact.last_instant)
            if filters.period
            else "inside"
        )
        where = filters.area.placement(fact.site_geometry_wkt) if filters.area else "inside"
        if "outside" in (when, where):
            continue
        if when == "straddles":
            chosen.straddling_period.append(fact.id)
        if where == "straddles":
            chosen.straddling_area.append(fact.id)
        if where == "unlocated":
            chosen.unlocated.append(fact.id)
        if when == where == "inside":
            chosen.counted.append(fact)
    return chosen


@dataclass(frozen=True)
class Group:
    key: str
    label: str
    incidents: tuple[int, ...]

    @property
    def count(self) -> int:
        return len(self.incidents)


@dataclass
class Tally:
    """Counts of one grouping over a selection."""

    by: str
    groups: list[Group]
    selection: Selection
    uncertain_month: list[int] = field(default_factory=list)  # windows across months

    @property
    def counted(self) -> int:
        return len(self.selection.counted)


def count_by(facts: Iterable[IncidentFact], by: str, filters: Filters | None = None) -> Tally:
    """The selected incidents grouped by month, site, site_kind, perpetrator or weapon.

    By month, an incident counts in a month only when its whole window lies in it; one whose
    window spans more than a month (a year's precision, a window across a month's end) is
    listed under `uncertain_month`. Months between the first and the last are all given,
    empty ones with a count of 0. Other groupings come largest first, then by name."""
    if by not in GROUPINGS:
        raise InvalidInput("by", f"{by!r} is not one of: {', '.join(GROUPINGS)}")
    selection = select_incidents(facts, filters or Filters())
    members: dict[str, list[IncidentFact]] = {}
    labels: dict[str, str] = {}
    uncertain_month = []
    for fact in selection.counted:
        key, label = _group_of(fact, by)
        if key is None:
            uncertain_month.append(fact.id)
            continue
        members.setdefault(key, []).append(fact)
        labels.setdefault(key, label)
    groups = [
        Group(key, labels[key], tuple(fact.id for fact in found)) for key, found in members.items()
    ]
    if by == "month":
        groups = _every_month(groups)
    else:
        groups.sort(key=lambda group: (-group.count, group.label.casefold(), group.key))
    return Tally(by, groups, selection, uncertain_month)


def _group_of(fact: IncidentFact, by: str) -> tuple[str | None, str]:
    if by == "month":
        first, last = fact.first_instant, fact.last_instant
        if (first.year, first.month) != (last.year, last.month):
            return None, ""
        month = f"{first.year:04d}-{first.month:02d}"
        return month, month
    if by == "site":
        return str(fact.site_id), fact.site_name
    if by == "site_kind":
        return fact.site_kind, fact.site_kind
    text = " ".join((getattr(fact, by) or "").split())
    return (text.casefold(), text) if text else ("", NOT_STATED)


def _every_month(groups: list[Group]) -> list[Group]:
    if not groups:
        return []
    found = {group.key: group for group in groups}
    year, month = (int(part) for part in min(found).split("-"))
    last = max(found)
    every = []
    while True:
        key = f"{year:04d}-{month:02d}"
        every.append(found.get(key, Group(key, key, ())))
        if key == last:
            return every
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)


def describe(selection: Selection, filters: Filters, span: str | None = None) -> str:
    """The figure in words, with exactly what it covers and what it leaves uncertain:
    '3 attacks on hospitals, clinics in the 6 months from 2016-04-01 to 2016-09-30 (UTC) …'."""
    count = len(selection.counted)
    kinds = ", ".join(_plural(kind) for kind in filters.site_kinds) or "sites"
    words = [f"{count} attack{'s' if count != 1 else ''} on {kinds}"]
    if filters.period:
        words.append(f"in the {span} {filters.period} (UTC)" if span else f"{filters.period} (UTC)")
    if filters.area:
        words.append(f"in the area {filters.area.text}")
    minimum = parse_term(Certainty, filters.min_certainty, "minimum certainty")
    if minimum is not Certainty.RUMOUR:
        words.append(f"with a certainty of {minimum} or higher")
    notes = _uncertain_notes(selection)
    return " ".join(words) + (f"; not counted: {'; '.join(notes)}" if notes else "")


def _plural(kind: str) -> str:
    """'hospitals', 'bakeries', 'places of worship', as the sentence names the kinds."""
    return _PLURALS.get(kind) or kind.replace("_", " ") + "s"


_PLURALS = {
    "bakery": "bakeries",
    "place_of_worship": "places of worship",
    "residential": "residential buildings",
    "water_facility": "water facilities",
    "power_facility": "power facilities",
    "other": "other sites",
}


def _uncertain_notes(selection: Selection) -> list[str]:
    notes = []
    for ids, what in (
        (selection.straddling_period, "with a time window across the period's edge"),
        (selection.straddling_area, "at sites whose outline crosses the area's edge"),
        (selection.unlocated, "at sites without a location"),
    ):
        if ids:
            numbers = ", ".join(f"#{number}" for number in ids)
            notes.append(f"{len(ids)} {what} ({numbers})")
    return notes
