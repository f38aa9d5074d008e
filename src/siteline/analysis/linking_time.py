"""When an item can have shown an event: a window of instants, from its times and their
precision, and how much weight that window deserves.

Every window is a constraint "the event lies between these two instants". A photo or a
video is taken at or shortly after what it shows; a post, an article or a statement is
published at some time after the event; a dataset row states the event's own date. The
windows of items that record one event therefore overlap, and their intersection is the
tightest window consistent with all of them. A satellite scene is the exception: it shows
the site either before or after an event, so it never narrows a window (see `linking`).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from siteline.domain.values import STORED_FORMAT, FuzzyTime, TimePrecision


@dataclass(frozen=True, order=True)
class Window:
    """Both ends included, as `FuzzyTime.start` and `FuzzyTime.end` are."""

    start: datetime
    end: datetime

    @classmethod
    def of(cls, start: FuzzyTime, end: FuzzyTime | None = None) -> Window:
        return cls(start.start, (end or start).end)

    @classmethod
    def from_stored(cls, pair: list[str] | None) -> Window | None:
        if not pair:
            return None
        start, end = (datetime.strptime(text, STORED_FORMAT).replace(tzinfo=UTC) for text in pair)
        return cls(start, end)

    def stored(self) -> list[str]:
        return [FuzzyTime(self.start, TimePrecision.SECOND).stored, _stored(self.end)]

    @property
    def width(self) -> timedelta:
        return self.end - self.start

    @property
    def centre(self) -> datetime:
        return self.start + self.width / 2

    def overlaps(self, other: Window) -> bool:
        return self.start <= other.end and other.start <= self.end

    def intersect(self, other: Window) -> Window | None:
        start, end = max(self.start, other.start), min(self.end, other.end)
        return Window(start, end) if start <= end else None

    def hull(self, other: Window) -> Window:
        return Window(min(self.start, other.start), max(self.end, other.end))

    def gap(self, moment: datetime) -> timedelta:
        """How far `moment` lies outside the window (zero inside)."""
        if moment < self.start:
            return self.start - moment
        return max(moment - self.end, timedelta(0))

    def __str__(self) -> str:
        start, end = bounds(self)
        return str(start) if end is None else f"{start} to {end}"


def _stored(moment: datetime) -> str:
    return FuzzyTime(moment, TimePrecision.SECOND).stored


_COARSE_FIRST = (
    TimePrecision.YEAR,
    TimePrecision.MONTH,
    TimePrecision.DAY,
    TimePrecision.HOUR,
    TimePrecision.MINUTE,
    TimePrecision.SECOND,
)


def _truncate(moment: datetime, precision: TimePrecision) -> datetime:
    keep = {
        TimePrecision.YEAR: {"month": 1, "day": 1, "hour": 0, "minute": 0, "second": 0},
        TimePrecision.MONTH: {"day": 1, "hour": 0, "minute": 0, "second": 0},
        TimePrecision.DAY: {"hour": 0, "minute": 0, "second": 0},
        TimePrecision.HOUR: {"minute": 0, "second": 0},
        TimePrecision.MINUTE: {"second": 0},
        TimePrecision.SECOND: {},
    }[precision]
    return moment.replace(microsecond=0, **keep)


def bounds(window: Window) -> tuple[FuzzyTime, FuzzyTime | None]:
    """The window as an incident stores it: a start and an end, each at the coarsest
    precision that still says exactly where the window begins or ends (a window from
    midnight to midnight reads '2019-03-13 to 2019-03-14'); no end when one period covers it."""
    start = next(
        FuzzyTime(window.start, precision)
        for precision in _COARSE_FIRST
        if _truncate(window.start, precision) == window.start
        and FuzzyTime(window.start, precision).end <= window.end
    )
    end = next(
        FuzzyTime(_truncate(window.end, precision), precision)
        for precision in _COARSE_FIRST
        if FuzzyTime(_truncate(window.end, precision), precision).end == window.end
        and _truncate(window.end, precision) >= window.start
    )
    return start, (None if end == start else end)


@dataclass(frozen=True)
class TimeRules:
    """How far before a time the event it records may lie."""

    publish_lookback: timedelta = timedelta(days=3)  # a post or report after the event
    capture_lookback: timedelta = timedelta(days=1)  # a photo of the aftermath
    scene_reach: timedelta = timedelta(days=14)  # a scene before or after, as context


# Weight of a time by the length of the period it names: a time to the hour says much,
# a month little, a year almost nothing about which attack an item records.
_PERIOD_WEIGHTS = (
    (timedelta(hours=1), 1.0),
    (timedelta(days=1), 0.95),
    (timedelta(days=31), 0.6),
)
_WIDE_WEIGHT = 0.3
_PUBLISHED_WEIGHT = 0.9  # a publication time bounds the event from one side only
UNKNOWN_TIME_WEIGHT = 0.5


def period_weight(width: timedelta) -> float:
    for limit, weight in _PERIOD_WEIGHTS:
        if width < limit:
            return weight
    return _WIDE_WEIGHT


@dataclass(frozen=True)
class EventTime:
    """When an item's event can have happened, how much that tells, and why."""

    window: Window | None
    weight: float
    reason: str
    basis: str  # captured, published, dataset, scene or unknown


def _named(time: FuzzyTime) -> str:
    return f"{time} ({time.precision})"


def _days(span: timedelta) -> str:
    days = span / timedelta(days=1)
    return f"{days:g} day" + ("" if days == 1 else "s")


def event_time(
    kind: str,
    captured: FuzzyTime | None,
    published: FuzzyTime | None,
    stated: tuple[FuzzyTime | None, FuzzyTime | None] | None = None,
    label: str = "",
    rules: TimeRules | None = None,
) -> EventTime:
    """The window of an item's event: a dataset row's own dates, else the time it was
    captured, else the time it was published, each reaching back as `rules` allow."""
    rules = rules or TimeRules()
    if stated and stated[0] is not None:
        window = Window.of(*stated)
        row = f"dataset row {label}" if label else "the dataset row"
        return EventTime(
            window, period_weight(window.width), f"{row} dates the incident {window}", "dataset"
        )
    if kind == "satellite_scene":
        if captured is None:
            return EventTime(
                None, UNKNOWN_TIME_WEIGHT, "a satellite scene of unknown date", "scene"
            )
        return EventTime(
            Window.of(captured),
            period_weight(Window.of(captured).width),
            f"satellite scene captured {_named(captured)}",
            "scene",
        )
    if captured is not None:
        window = Window(captured.start - rules.capture_lookback, captured.end)
        return EventTime(
            window,
            period_weight(Window.of(captured).width),
            f"captured {_named(captured)}: the event at most "
            f"{_days(rules.capture_lookback)} before",
            "captured",
        )
    if published is not None:
        window = Window(published.start - rules.publish_lookback, published.end)
        return EventTime(
            window,
            period_weight(Window.of(published).width) * _PUBLISHED_WEIGHT,
            f"published {_named(published)}: the event at most "
            f"{_days(rules.publish_lookback)} before",
            "published",
        )
    return EventTime(None, UNKNOWN_TIME_WEIGHT, "its time is unknown", "unknown")
