"""`stats`: counts of attacks in a case, read from its live incidents and their sites.

Options arrive as a person types them (a time, '6m', 'hospital,clinic', WKT or W,S,E,N);
each is read here so that a bad one is refused naming the option, and the counting itself
is `analysis.statistics`.
"""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from siteline.analysis.statistics import (
    Area,
    Filters,
    IncidentFact,
    Period,
    Tally,
    count_by,
    describe,
    describe_last,
    last_period,
    parse_last,
)
from siteline.domain.values import FuzzyTime, TimePrecision
from siteline.domain.vocabularies import Certainty, SiteKind, parse_term
from siteline.errors import InvalidInput
from siteline.store.case_folder import Case
from siteline.store.schema import incidents, sites


def incident_facts(case: Case) -> list[IncidentFact]:
    """Every live incident with what counting needs of its site, in order of id."""
    query = (
        select(
            incidents,
            sites.c.name.label("site_name"),
            sites.c.kind.label("site_kind"),
            sites.c.geometry_wkt,
            sites.c.lat,
            sites.c.lon,
        )
        .join(sites, sites.c.id == incidents.c.site_id)
        .where(incidents.c.deleted_at.is_(None))
        .order_by(incidents.c.id)
    )
    with case.read() as connection:
        return [IncidentFact.from_row(dict(row)) for row in connection.execute(query).mappings()]


def read_filters(
    *,
    min_certainty: str | None = None,
    since: str | None = None,
    until: str | None = None,
    last: str | None = None,
    kinds: str | list[str] | None = None,
    area: str | None = None,
    today: datetime | None = None,
) -> tuple[Filters, str | None]:
    """Filters from the options as typed, and the span `--last` names ('6 months')."""
    minimum = parse_term(Certainty, min_certainty or "rumour", "--min-certainty").value
    site_kinds = _kinds(kinds)
    start = FuzzyTime.parse(since, "--since") if since else None
    end = FuzzyTime.parse(until, "--until") if until else None
    span = None
    if last:
        if start:
            raise InvalidInput("--last", "give --last or --since, not both: --last sets the start")
        amount, unit = parse_last(last, "--last")
        # Without --until, the period ends with today (UTC), the whole day included.
        day = (today or datetime.now(UTC)).date()
        as_of = end or FuzzyTime(
            datetime(day.year, day.month, day.day, tzinfo=UTC), TimePrecision.DAY
        )
        period = last_period(amount, unit, as_of)
        span = describe_last(amount, unit)
    else:
        period = Period.between(start, end) if (start or end) else None
    return Filters(minimum, period, Area.parse(area, "--area") if area else None, site_kinds), span


def _kinds(kinds: str | list[str] | None) -> tuple[str, ...]:
    if not kinds:
        return ()
    given = kinds.split(",") if isinstance(kinds, str) else kinds
    found = [parse_term(SiteKind, kind, "--kind").value for kind in given if kind.strip()]
    return tuple(sorted(set(found), key=found.index))


def statistics(case: Case, by: str = "month", **options) -> dict:
    """Counts of the case's attacks grouped `by` one of month, site, site_kind, perpetrator
    or weapon, with the figure in words. Options as `read_filters` takes them."""
    filters, span = read_filters(**options)
    tally = count_by(incident_facts(case), by, filters)
    return tally_dict(tally, filters, span)


def tally_dict(tally: Tally, filters: Filters, span: str | None) -> dict:
    selection = tally.selection
    return {
        "by": tally.by,
        "figure": describe(selection, filters, span),
        "counted": tally.counted,
        "groups": [
            {
                "key": group.key,
                "label": group.label,
                "count": group.count,
                "incidents": list(group.incidents),
            }
            for group in tally.groups
        ],  # fmt: skip
        "uncertain": {
            "straddling_period": selection.straddling_period,
            "straddling_area": selection.straddling_area,
            "unlocated": selection.unlocated,
            "month": tally.uncertain_month,
        },
        "below_certainty": selection.below_certainty,
        "filters": {
            "min_certainty": filters.min_certainty,
            "period": filters.period.as_dict() if filters.period else None,
            "last": span,
            "area": filters.area.text if filters.area else None,
            "site_kinds": list(filters.site_kinds),
        },
    }
