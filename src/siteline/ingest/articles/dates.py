"""Dates named in an article, absolute or relative to the article's own date.

Regular expressions find the candidates and a small resolver turns each into a FuzzyTime
with the precision the words carry: "Sept. 24" is a day, "In December" a month, "in 2015" a
year. A month and day without a year is the latest such day not after the article's date
("Sept. 24" in an article of February 2017 is 24 September 2016); a weekday is the latest such
day on or before it. Without an article date, relative dates are left out, not guessed.
A general date parser per candidate would be far too slow for the speed the ingest needs.
"""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta

from siteline.domain.values import FuzzyTime, TimePrecision
from siteline.errors import InvalidInput
from siteline.ingest.model import FoundDate

_NAMES = [
    "January",
    "February",
    "March",
    "April",
    "May",
    "June",
    "July",
    "August",
    "September",
    "October",
    "November",
    "December",
]
_SHORT = {name[:3]: number for number, name in enumerate(_NAMES, 1)} | {"Sept": 9}
MONTHS = (
    r"(?:January|February|March|April|May|June|July|August|September|October|November|December"
    r"|Jan|Feb|Mar|Apr|Jun|Jul|Aug|Sept|Sep|Oct|Nov|Dec)"
)
_WEEKDAYS = ["Monday", "Tuesday", "Wednesday", "Thursday", "Friday", "Saturday", "Sunday"]

_DAY = r"(?P<day>[0-3]?\d)(?:st|nd|rd|th)?"
_YEAR = r"(?P<year>(?:19|20)\d\d)(?!\d)"
_PATTERNS: list[tuple[str, re.Pattern]] = [
    ("iso", re.compile(r"\b(?P<year>(?:19|20)\d\d)-(?P<mon>[01]\d)-(?P<day>[0-3]\d)\b")),
    ("mdy", re.compile(rf"\b(?P<month>{MONTHS})\.?\s{_DAY},?\s+{_YEAR}")),
    ("dmy", re.compile(rf"\b{_DAY}\s(?P<month>{MONTHS})\.?,?\s+{_YEAR}")),
    ("my", re.compile(rf"\b(?P<month>{MONTHS})\.?,?\s+{_YEAR}")),
    ("md", re.compile(rf"\b(?P<month>{MONTHS})\.?\s{_DAY}\b(?!\s*(?:,\s*)?(?:19|20)\d\d)")),
    ("dm", re.compile(rf"\b{_DAY}\s(?P<month>{MONTHS})\b\.?(?!,?\s*(?:19|20)\d\d)")),
    (
        "m",
        re.compile(
            rf"\b(?:[Ii]n|[Ss]ince|[Uu]ntil|[Bb]y|[Ll]ate|[Ee]arly|[Mm]id-|[Ll]ast|[Tt]his|[Dd]uring)"
            rf"\s?(?P<month>{MONTHS})\b(?![ \t]+[0-3]?\d\b)"
        ),
    ),
    ("weekday", re.compile(rf"\b(?:last\s+|on\s+)?(?P<weekday>{'|'.join(_WEEKDAYS)})\b")),
    ("near", re.compile(r"\b(?P<near>[Yy]esterday|[Tt]oday|[Tt]onight)\b")),
    ("y", re.compile(rf"\b(?:[Ii]n|[Ss]ince|[Uu]ntil|[Bb]y|[Dd]uring|[Ff]rom|[Oo]f)\s+{_YEAR}")),
]


def month_number(name: str) -> int | None:
    return _SHORT.get(name.rstrip(".")[:4] if name.startswith("Sept") else name[:3])


def find_dates(text: str, article_date: FuzzyTime | None) -> list[FoundDate]:
    """Every date in the text, first come first kept where candidates overlap."""
    found: list[FoundDate] = []
    taken: list[tuple[int, int]] = []
    for kind, pattern in _PATTERNS:
        for match in pattern.finditer(text):
            if any(s < match.end() and match.start() < e for s, e in taken):
                continue
            resolved = _resolve(kind, match, article_date)
            if resolved is None:
                continue
            value, relative = resolved
            found.append(
                FoundDate(match.group().strip(), value, match.start(), match.end(), relative)
            )
            taken.append((match.start(), match.end()))
    found.sort(key=lambda d: d.start)
    return found


def _day(year: int, month: int, day: int) -> FuzzyTime | None:
    try:
        return FuzzyTime(datetime(year, month, day, tzinfo=UTC), TimePrecision.DAY)
    except ValueError:
        return None  # "February 30" names no day


def _resolve(kind: str, match: re.Match, anchor: FuzzyTime | None):
    groups = match.groupdict()
    month = month_number(groups["month"]) if groups.get("month") else None
    if kind == "iso":
        value = _day(int(groups["year"]), int(groups["mon"]), int(groups["day"]))
        return (value, False) if value else None
    if kind in ("mdy", "dmy"):
        value = _day(int(groups["year"]), month, int(groups["day"]))
        return (value, False) if value else None
    if kind == "my":
        return FuzzyTime(
            datetime(int(groups["year"]), month, 1, tzinfo=UTC), TimePrecision.MONTH
        ), False
    if kind == "y":
        return FuzzyTime(datetime(int(groups["year"]), 1, 1, tzinfo=UTC), TimePrecision.YEAR), False
    if anchor is None:
        return None
    base = anchor.start
    if kind in ("md", "dm"):
        day = int(groups["day"])
        for year in (base.year, base.year - 1, base.year - 2, base.year - 3, base.year - 4):
            value = _day(year, month, day)  # Feb 29 needs a leap year
            if value and value.start <= base:
                return value, True
        return None
    if kind == "m":
        year = base.year if month <= base.month else base.year - 1
        return FuzzyTime(datetime(year, month, 1, tzinfo=UTC), TimePrecision.MONTH), True
    if anchor.precision not in (
        TimePrecision.DAY,
        TimePrecision.HOUR,
        TimePrecision.MINUTE,
        TimePrecision.SECOND,
    ):
        return None  # a weekday needs a known day to count back from
    day = base.replace(hour=0, minute=0, second=0)
    if kind == "weekday":
        back = (day.weekday() - _WEEKDAYS.index(groups["weekday"])) % 7
        return FuzzyTime(day - timedelta(days=back), TimePrecision.DAY), True
    back = 1 if groups["near"].lower() == "yesterday" else 0
    return FuzzyTime(day - timedelta(days=back), TimePrecision.DAY), True


# The article's own date.

_MARKER = re.compile(r"(?:Published|Posted|Updated|Date|Dated)\s*(?:on|:)?\s*", re.I)


def date_from_header(text: str) -> FuzzyTime | None:
    """A header's date ('2017-02-14T09:30:00Z', 'February 14, 2017'), to the day at most."""
    text = text.strip()
    try:
        parsed = FuzzyTime.parse(text[:10], "date") if len(text) >= 10 else None
    except InvalidInput:
        parsed = None
    if parsed:
        return parsed
    for kind in ("mdy", "dmy"):
        match = dict(_PATTERNS)[kind].search(text)
        if match:
            return _resolve(kind, match, None)[0]
    return None


def date_from_text(text: str) -> FuzzyTime | None:
    """A dateline: a full date on a short first line, or after 'Published', near the top."""
    head = text[:400]
    first_line = head.split("\n", 1)[0]
    for kind in ("iso", "mdy", "dmy"):
        pattern = dict(_PATTERNS)[kind]
        match = pattern.search(first_line)
        if match and len(first_line) <= 120:
            resolved = _resolve(kind, match, None)
            if resolved:
                return resolved[0]
        for marker in _MARKER.finditer(head):
            match = pattern.match(head, marker.end())
            resolved = match and _resolve(kind, match, None)
            if resolved:
                return resolved[0]
    return None
