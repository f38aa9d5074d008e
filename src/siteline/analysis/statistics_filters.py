"""The period and the area a count covers, as a person gives them, read exactly.

A period runs from the first instant of its start to the last instant of its end, both
included ('--until 2016-09' takes in all of September); "the last 6 months" is stated as
the exact days it covers. An area is a polygon, or a box W,S,E,N, in longitude and latitude.
Each tells whether an incident's window, or a site, lies inside, outside, or across its
edge. Pure.
"""

from __future__ import annotations

import calendar
import re
from dataclasses import dataclass
from datetime import datetime, timedelta

from shapely import wkt
from shapely.errors import ShapelyError
from shapely.geometry import MultiPolygon, Point, Polygon, box
from shapely.geometry.base import BaseGeometry

from siteline.domain.values import FuzzyTime, TimePrecision, check_coordinates
from siteline.errors import InvalidInput

_SPAN = re.compile(r"^\s*(\d+)\s*([dwmy])\s*$", re.IGNORECASE)
_UNITS = {"d": "day", "w": "week", "m": "month", "y": "year"}


@dataclass(frozen=True)
class Period:
    """From the first instant to the last, both included (UTC); an open end is None."""

    start: datetime | None
    end: datetime | None

    @classmethod
    def between(cls, since: FuzzyTime | None, until: FuzzyTime | None) -> Period:
        """From the start of `since` to the end of `until`: '--until 2016-09' takes in all
        of September."""
        period = cls(since.start if since else None, until.end if until else None)
        if period.start and period.end and period.end < period.start:
            raise InvalidInput("period", f"it ends ({until}) before it starts ({since})")
        return period

    def placement(self, first: datetime, last: datetime) -> str:
        """'inside', 'outside', or 'straddles' when the window crosses an edge."""
        if (self.end and first > self.end) or (self.start and last < self.start):
            return "outside"
        if (self.start and first < self.start) or (self.end and last > self.end):
            return "straddles"
        return "inside"

    def as_dict(self) -> dict:
        return {"start": _stored(self.start), "end": _stored(self.end)}

    def __str__(self) -> str:
        """'from 2016-04-01 to 2016-09-30', 'since 2016-04-01' or 'until 2016-09-30'."""
        start = _day_or_instant(self.start, (0, 0, 0))
        end = _day_or_instant(self.end, (23, 59, 59))
        if start and end:
            return f"from {start} to {end}"
        return f"since {start}" if start else f"until {end}"


def last_period(amount: int, unit: str, as_of: FuzzyTime) -> Period:
    """The `amount` days, weeks, months or years that end with `as_of`'s period: the 6 months
    as of 2016-09-30 run from 2016-04-01 to 2016-09-30, both days included."""
    if amount < 1:
        raise InvalidInput("last", "give a period of at least one day, week, month or year")
    boundary = as_of.end + timedelta(seconds=1)
    if unit in ("d", "w"):
        start = boundary - timedelta(days=amount * (7 if unit == "w" else 1))
    else:
        start = _months_before(boundary, amount * (12 if unit == "y" else 1))
    return Period(start, as_of.end)


def parse_last(text: str, field: str = "last") -> tuple[int, str]:
    """'6m' → (6, 'm'): days (d), weeks (w), months (m) or years (y)."""
    found = _SPAN.match(str(text))
    if not found:
        raise InvalidInput(field, f"{text!r} is not a period such as 30d, 8w, 6m or 1y")
    return int(found.group(1)), found.group(2).lower()


def describe_last(amount: int, unit: str) -> str:
    name = _UNITS[unit]
    return f"{amount} {name}" + ("s" if amount != 1 else "")


def _months_before(moment: datetime, months: int) -> datetime:
    index = moment.year * 12 + moment.month - 1 - months
    year, month = divmod(index, 12)
    if year < 1:
        raise InvalidInput("last", "the period reaches back before the year 1")
    day = min(moment.day, calendar.monthrange(year, month + 1)[1])
    return moment.replace(year=year, month=month + 1, day=day)


@dataclass(frozen=True)
class Area:
    """A polygon (or a box) in longitude and latitude, as it was given."""

    geometry: BaseGeometry
    text: str

    @classmethod
    def parse(cls, text: str, field: str = "area") -> Area:
        """WKT ('POLYGON((lon lat, …))', MULTIPOLYGON) or a box 'W,S,E,N' in degrees."""
        given = str(text).strip()
        if not given:
            raise InvalidInput(field, "empty area: give WKT or W,S,E,N")
        if given[0].isalpha():
            return cls(_polygon_from_wkt(given, field), given)
        parts = given.split(",")
        try:
            west, south, east, north = (float(part) for part in parts)
        except ValueError:
            raise InvalidInput(
                field, f"{given!r} is neither WKT nor a box W,S,E,N in decimal degrees"
            ) from None
        check_coordinates(south, west, field)
        check_coordinates(north, east, field)
        if west >= east or south >= north:
            raise InvalidInput(
                field, f"{given!r}: a box is W,S,E,N with west < east, south < north"
            )
        return cls(box(west, south, east, north), given)

    def placement(self, site_wkt: str | None) -> str:
        """'inside', 'outside', 'straddles' (a site outline across the edge), 'unlocated'."""
        if not site_wkt:
            return "unlocated"
        shape = wkt.loads(site_wkt)
        if isinstance(shape, Point):
            return "inside" if self.geometry.covers(shape) else "outside"
        if self.geometry.covers(shape):
            return "inside"
        return "straddles" if self.geometry.intersects(shape) else "outside"


def _polygon_from_wkt(text: str, field: str) -> BaseGeometry:
    try:
        shape = wkt.loads(text)
    except (ShapelyError, ValueError, TypeError):
        raise InvalidInput(
            field, f"{text[:60]!r} is not WKT (e.g. 'POLYGON((lon lat, …))')"
        ) from None
    if not isinstance(shape, Polygon | MultiPolygon) or shape.is_empty:
        raise InvalidInput(field, f"an area is a POLYGON or MULTIPOLYGON, not {shape.geom_type}")
    for polygon in getattr(shape, "geoms", [shape]):
        for lon, lat in polygon.exterior.coords:
            check_coordinates(lat, lon, field)
    if not shape.is_valid:
        raise InvalidInput(field, "the polygon crosses itself")
    return shape


def _stored(moment: datetime | None) -> str | None:
    return FuzzyTime(moment, TimePrecision.SECOND).stored if moment else None


def _day_or_instant(moment: datetime | None, whole_day: tuple) -> str | None:
    """A day when the edge falls on a day's edge, else the instant."""
    if moment is None:
        return None
    if (moment.hour, moment.minute, moment.second) == whole_day:
        return FuzzyTime(moment, TimePrecision.DAY).stored[:10]
    return _stored(moment)
