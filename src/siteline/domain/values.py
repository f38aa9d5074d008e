"""Value types that carry their own uncertainty: times and places with a precision.

Investigators rarely know an exact instant or point. A photo is "from September 2016",
a strike is "in the vicinity of" a hospital. Every time and location in a case keeps
the precision it was known to, so that nothing later reads more into it than was there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from enum import StrEnum
from functools import cached_property

from siteline.domain.vocabularies import parse_term
from siteline.errors import InvalidInput


class TimePrecision(StrEnum):
    SECOND = "second"
    MINUTE = "minute"
    HOUR = "hour"
    DAY = "day"
    MONTH = "month"
    YEAR = "year"


class LocationPrecision(StrEnum):
    EXACT = "exact"  # within about 10 m
    VICINITY = "vicinity"  # within about 100 m
    LOCALITY = "locality"  # within about 1 km
    AREA = "area"  # within about 10 km
    REGION = "region"  # a province or larger


LOCATION_RADIUS_METRES = {
    LocationPrecision.EXACT: 10,
    LocationPrecision.VICINITY: 100,
    LocationPrecision.LOCALITY: 1_000,
    LocationPrecision.AREA: 10_000,
    LocationPrecision.REGION: 100_000,
}

# Stored form: the first instant of the period, in UTC, always the same shape so that
# text comparison in any database orders times correctly.
STORED_FORMAT = "%Y-%m-%dT%H:%M:%SZ"

_PARTIAL = re.compile(r"^(\d{4})(?:-(\d{2}))?(?:-(\d{2}))?$")
_CLOCK = re.compile(
    r"^\d{4}-\d{2}-\d{2}[T ](\d{2})(?::(\d{2}))?(?::(\d{2}(?:\.\d+)?))?(Z|[+-]\d{2}:?\d{2})?$"
)


@dataclass(frozen=True, order=True)
class FuzzyTime:
    """An instant known to a precision: `start` is the first instant of the period."""

    start: datetime
    precision: TimePrecision

    @classmethod
    def parse(cls, text: str, field: str) -> FuzzyTime:
        """Read '2016', '2016-09', '2016-09-25', '2016-09-25T14:03', '…:05Z', '…+03:00'.

        A time of day without an offset is taken as UTC.
        """
        text = str(text).strip()
        if not text:
            raise InvalidInput(field, "empty time")
        partial = _PARTIAL.match(text)
        if partial:
            return cls._from_parts(partial.groups(), text, field)
        clock = _CLOCK.match(text)
        if not clock:
            raise InvalidInput(
                field,
                f"{text!r} is not a time: use YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM]",
            )
        try:
            moment = datetime.fromisoformat(text.replace(" ", "T"))
        except ValueError as error:
            raise InvalidInput(field, f"{text!r} is not a real time ({error})") from None
        if moment.tzinfo is None:
            moment = moment.replace(tzinfo=UTC)
        minutes, seconds = clock.group(2), clock.group(3)
        precision = (
            TimePrecision.SECOND
            if seconds
            else TimePrecision.MINUTE
            if minutes
            else TimePrecision.HOUR
        )
        try:
            in_utc = moment.astimezone(UTC)
        except OverflowError:  # '0001-01-01T00:00+01:00' lies before the first year in UTC
            raise InvalidInput(field, f"{text!r} lies outside the years 1..9999 in UTC") from None
        return cls(in_utc.replace(microsecond=0), precision)

    @classmethod
    def _from_parts(cls, parts: tuple, text: str, field: str) -> FuzzyTime:
        year, month, day = (int(p) if p else None for p in parts)
        # Month and day are tested against None, not for truth: '2016-00' and '2016-09-00'
        # name no real month or day and must be refused, not read as a coarser time.
        precision = (
            TimePrecision.DAY
            if day is not None
            else TimePrecision.MONTH
            if month is not None
            else TimePrecision.YEAR
        )
        try:
            start = datetime(
                year, 1 if month is None else month, 1 if day is None else day, tzinfo=UTC
            )
        except ValueError as error:
            raise InvalidInput(field, f"{text!r} is not a real date ({error})") from None
        return cls(start, precision)

    @classmethod
    def from_stored(cls, stored: str | None, precision: str | None) -> FuzzyTime | None:
        if stored is None:
            return None
        start = datetime.strptime(stored, STORED_FORMAT).replace(tzinfo=UTC)
        return cls(start, TimePrecision(precision))

    @classmethod
    def now(cls) -> FuzzyTime:
        return cls(datetime.now(UTC).replace(microsecond=0), TimePrecision.SECOND)

    @cached_property
    def stored(self) -> str:
        # Formatted by hand: strftime is slow (bulk ingest asks this of every row) and
        # writes years before 1000 without their leading zeros.
        start = self.start
        return (
            f"{start.year:04d}-{start.month:02d}-{start.day:02d}"
            f"T{start.hour:02d}:{start.minute:02d}:{start.second:02d}Z"
        )

    @property
    def end(self) -> datetime:
        """The last instant the period covers."""
        step = {
            TimePrecision.SECOND: timedelta(seconds=1),
            TimePrecision.MINUTE: timedelta(minutes=1),
            TimePrecision.HOUR: timedelta(hours=1),
            TimePrecision.DAY: timedelta(days=1),
        }
        if self.precision in step:
            return self.start + step[self.precision] - timedelta(seconds=1)
        if self.precision is TimePrecision.MONTH:
            following = self.start.replace(
                year=self.start.year + self.start.month // 12, month=self.start.month % 12 + 1
            )
        else:
            following = self.start.replace(year=self.start.year + 1)
        return following - timedelta(seconds=1)

    def __str__(self) -> str:
        return self._text

    @cached_property
    def _text(self) -> str:
        # The stored form cut to the precision. Hours without minutes: '14:00Z' would read
        # back as a time to the minute.
        stored = self.stored
        cut = {
            TimePrecision.YEAR: stored[:4],
            TimePrecision.MONTH: stored[:7],
            TimePrecision.DAY: stored[:10],
            TimePrecision.HOUR: stored[:13] + "Z",
            TimePrecision.MINUTE: stored[:16] + "Z",
        }
        return cut.get(self.precision, stored)


def not_in_future(time: FuzzyTime | None, field: str) -> None:
    """Material cannot have been published or captured after it reached us."""
    if time is not None and time.start > datetime.now(UTC) + timedelta(days=1):
        raise InvalidInput(field, f"{time} is in the future")


def check_window(start: FuzzyTime | None, end: FuzzyTime | None, field: str) -> None:
    if start and end and end.end < start.start:
        raise InvalidInput(field, f"the window ends ({end}) before it starts ({start})")


@dataclass(frozen=True)
class Location:
    """A point on the WGS 84 ellipsoid and how sure we are of it."""

    lat: float
    lon: float
    precision: LocationPrecision

    def __post_init__(self) -> None:
        check_coordinates(self.lat, self.lon, "location")
        object.__setattr__(
            self, "precision", parse_term(LocationPrecision, self.precision, "location precision")
        )

    @classmethod
    def parse(cls, text: str, precision: str | LocationPrecision, field: str) -> Location:
        """Read 'LAT,LON' in decimal degrees."""
        parts = str(text).replace(" ", "").split(",")
        if len(parts) != 2:
            raise InvalidInput(field, f"{text!r} is not 'LAT,LON' in decimal degrees")
        try:
            lat, lon = float(parts[0]), float(parts[1])
        except ValueError:
            raise InvalidInput(field, f"{text!r} is not 'LAT,LON' in decimal degrees") from None
        check_coordinates(lat, lon, field)
        return cls(lat, lon, parse_term(LocationPrecision, precision, f"{field} precision"))

    @property
    def radius_metres(self) -> int:
        return LOCATION_RADIUS_METRES[self.precision]

    def __str__(self) -> str:
        return f"{self.lat:.6f},{self.lon:.6f} ({self.precision}, ±{self.radius_metres} m)"


def check_coordinates(lat: float, lon: float, field: str) -> None:
    if lat != lat or lon != lon:  # NaN never equals itself
        raise InvalidInput(field, "coordinates are not numbers")
    if not -90 <= lat <= 90:
        raise InvalidInput(field, f"latitude {lat} is outside -90..90")
    if not -180 <= lon <= 180:
        raise InvalidInput(field, f"longitude {lon} is outside -180..180")
