"""Reading the values datasets share, each in the many forms the datasets write them.

Every function takes the text as written and the column it came from, and raises
InvalidInput naming that column when the text cannot mean what the column says. Nothing
here guesses: a count of "unknown" is no count, a date with no day is a month.
"""

from __future__ import annotations

import hashlib
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from functools import lru_cache

from siteline.domain.values import FuzzyTime, Location, LocationPrecision, TimePrecision
from siteline.domain.vocabularies import Certainty
from siteline.errors import InvalidInput

# What datasets write for "no value": R's NA, pandas' None, Excel's empty cell.
MISSING = frozenset({"", "na", "n/a", "none", "null", "nan", "unknown", "time unknown", "-"})
# Dashes seen between the ends of a range: hyphen, en dash ("3–7"), em dash, minus sign.
DASHES = ("-", "\u2013", "\u2014", "\u2212")
MONTHS = {
    name: number
    for number, names in enumerate(
        [
            ("january", "jan"),
            ("february", "feb"),
            ("march", "mar"),
            ("april", "apr"),
            ("may",),
            ("june", "jun"),
            ("july", "jul"),
            ("august", "aug"),
            ("september", "sep", "sept"),
            ("october", "oct"),
            ("november", "nov"),
            ("december", "dec"),
        ],
        start=1,
    )
    for name in names
}


def missing(value: object) -> bool:
    return value is None or (isinstance(value, str) and value.strip().lower() in MISSING)


def text_or_none(value: object) -> str | None:
    """A column's text, or None where the dataset says there is none."""
    return None if missing(value) else str(value).strip()


# Native certainty grades and the Certainty (WHO SSA) level each is read as. The WHO SSA
# levels are the vocabulary itself. Airwars grades the civilian-harm claim: "Fair" (two or
# more credible sources, a strike by the belligerent likely) reads as probable; "Weak" (a
# single source) and "Contested" (competing claims of responsibility, so the attribution is
# in doubt) as possible; "Discounted" (Airwars judged the harm or the strike not to have
# happened as claimed) gets no level at all: the native grade says what it is. ACLED and the
# Syrian Archive grade no certainty; their rows have none.
CERTAINTY: dict[str, dict[str, Certainty | None]] = {
    "who_ssa": {
        "confirmed": Certainty.CONFIRMED,
        "probable": Certainty.PROBABLE,
        "possible": Certainty.POSSIBLE,
        "rumour": Certainty.RUMOUR,
    },
    "airwars": {
        "confirmed": Certainty.CONFIRMED,
        "fair": Certainty.PROBABLE,
        "weak": Certainty.POSSIBLE,
        "contested": Certainty.POSSIBLE,
        "discounted": None,
    },
}


def certainty(dataset: str, grade: object, field: str) -> tuple[str | None, str | None]:
    """(the Certainty level, the grade as written) for a dataset's native grade."""
    native = text_or_none(grade)
    if native is None:
        return None, None
    table = CERTAINTY.get(dataset, {})
    key = native.lower()
    if key not in table:
        allowed = ", ".join(name.capitalize() for name in table) or "none"
        raise InvalidInput(field, f"{native!r} is not a grade this dataset uses ({allowed})")
    level = table[key]
    return (level.value if level else None), native


# Counts and dates repeat from row to row ("0.0", the same day), so their readings are
# cached: a dataset of a million rows holds a few thousand distinct values.
CACHE = lru_cache(maxsize=65536)

# Counts.


@CACHE
def count(text: str, field: str) -> int:
    """A whole, non-negative number as written: '3', '3.0' (pandas writes integers as floats)."""
    whole, point, fraction = text.strip().partition(".")
    if not (whole.isascii() and whole.isdigit()) or fraction.strip("0"):
        raise InvalidInput(field, f"{text!r} is not a count")
    return int(whole)


def count_range(value: object, field: str) -> tuple[int | None, int | None]:
    """(low, high) from '3', '3-5', '3 – 7', '10+', 'unknown', 'NA', or a JSON integer."""
    if type(value) is str:
        return _text_range(value, field)
    if missing(value):
        return None, None
    if isinstance(value, int) and not isinstance(value, bool):
        if value < 0:
            raise InvalidInput(field, f"{value} is not a count")
        return value, value
    return _text_range(str(value), field)


@CACHE
def _text_range(value: str, field: str) -> tuple[int | None, int | None]:
    if missing(value):
        return None, None
    text = value.strip()
    if text.endswith("+"):  # "10+": at least ten, no upper bound given
        return count(text[:-1], field), None
    for dash in DASHES:
        low, found, high = text.partition(dash)
        if found and low.strip():
            return ordered(count(low, field), count(high, field), field)
    number = count(text, field)
    return number, number


def ordered(low: int, high: int, field: str) -> tuple[int, int]:
    if high < low:
        raise InvalidInput(field, f"the range {low}-{high} runs backwards")
    return low, high


def min_max(low: object, high: object, field: str) -> tuple[int | None, int | None]:
    """A range given as two columns (Airwars' civilian_deaths_min and _max)."""
    low_value, _ = count_range(low, f"{field}_min")
    _, high_value = count_range(high, f"{field}_max")
    if low_value is not None and high_value is not None:
        ordered(low_value, high_value, field)
    return low_value, high_value


# Dates.


def _day(year: int, month: int, day: int, text: str, field: str) -> FuzzyTime:
    try:
        return FuzzyTime(datetime(year, month, day, tzinfo=UTC), TimePrecision.DAY)
    except ValueError as error:
        raise InvalidInput(field, f"{text!r} is not a real date ({error})") from None


def _number(part: str, text: str, field: str) -> int:
    if not (part.isascii() and part.isdigit()):
        raise InvalidInput(field, f"{text!r} is not a date")
    return int(part)


def full_year(year: int) -> int:
    """Two-digit years as POSIX strptime reads them: 69-99 are 1900s, 00-68 are 2000s."""
    if year >= 100:
        return year
    return year + (1900 if year >= 69 else 2000)


@CACHE
def us_date(text: str, field: str) -> FuzzyTime:
    """'2/8/24', '08/21/13 12:00 AM', '2/8/2024': month first, to the day.

    The time that follows the date in WHO SSA and Syrian Archive exports is always midnight
    (a spreadsheet's date cell, not a time of day), so it is left out of the precision.
    """
    date = text.strip().split(" ", 1)[0]
    parts = date.split("/")
    if len(parts) != 3:
        raise InvalidInput(field, f"{text!r} is not a date in M/D/YY form")
    month, day, year = (_number(part, text, field) for part in parts)
    return _day(full_year(year), month, day, text, field)


def _month(name: str, text: str, field: str) -> int:
    month = MONTHS.get(name.strip(".").lower())
    if month is None:
        raise InvalidInput(field, f"{text!r} is not a date: {name!r} is not a month")
    return month


@CACHE
def slug_date(text: str, field: str) -> FuzzyTime:
    """Airwars' URL slugs: 'october-7-2023'."""
    parts = text.strip().split("-")
    if len(parts) != 3:
        raise InvalidInput(field, f"{text!r} is not a date in month-day-year form")
    month = _month(parts[0], text, field)
    return _day(_number(parts[2], text, field), month, _number(parts[1], text, field), text, field)


@CACHE
def words_date(text: str, field: str) -> FuzzyTime:
    """'6 October 2023', '16 May 2025', 'October 6, 2023', 'September 2016'."""
    words = text.replace(",", " ").split()
    if len(words) == 2:  # a month and a year
        month = _month(words[0], text, field)
        year = _number(words[1], text, field)
        return FuzzyTime(_day(year, month, 1, text, field).start, TimePrecision.MONTH)
    if len(words) != 3:
        raise InvalidInput(field, f"{text!r} is not a date")
    if words[0].isdigit():
        day, month = _number(words[0], text, field), _month(words[1], text, field)
    else:
        month, day = _month(words[0], text, field), _number(words[1], text, field)
    return _day(_number(words[2], text, field), month, day, text, field)


@CACHE
def any_date(text: str, field: str) -> FuzzyTime:
    """A date in any form the datasets use, told apart by its shape, not by trying each."""
    text = text.strip()
    if "/" in text:
        return us_date(text, field)
    if text[:1].isdigit() and text[4:5] == "-":
        return FuzzyTime.parse(text, field)
    if text[:1].isalpha() and text.count("-") == 2 and " " not in text:
        return slug_date(text, field)
    return words_date(text, field)


def unix_time(text: str, field: str) -> FuzzyTime:
    """Seconds since 1970 in UTC, as ACLED's timestamp ('1657041386.0')."""
    seconds = count(text, field)
    try:
        moment = datetime(1970, 1, 1, tzinfo=UTC) + timedelta(seconds=seconds)
    except OverflowError:
        raise InvalidInput(field, f"{text!r} is not a time") from None
    return FuzzyTime(moment, TimePrecision.SECOND)


# Places.


def number(value: object, field: str) -> float:
    try:
        result = float(value)  # type: ignore[arg-type]
    except (TypeError, ValueError):
        raise InvalidInput(field, f"{value!r} is not a number") from None
    if result != result or result in (float("inf"), float("-inf")):
        raise InvalidInput(field, f"{value!r} is not a number")
    return result


def location(lat: object, lon: object, precision: LocationPrecision, field: str) -> Location | None:
    """A point from latitude and longitude columns; None where the dataset gives none."""
    if missing(lat) and missing(lon):
        return None
    if missing(lat) or missing(lon):
        raise InvalidInput(field, "only one of latitude and longitude is given")
    try:
        return Location(number(lat, field), number(lon, field), precision)
    except InvalidInput as error:
        raise InvalidInput(field, error.problem) from None


# Types.


def one_of(types: Iterable[str | None]) -> str | None:
    """The incident type that several named kinds agree on; None where they disagree."""
    found = set(types)
    return found.pop() if len(found) == 1 else None


def derived_id(dataset: str, values: Iterable[object]) -> str:
    """A stable id for a row that has none of its own: a hash of everything it says."""
    joined = "\x1f".join("" if value is None else str(value) for value in values)
    return f"{dataset}-{hashlib.sha256(joined.encode('utf-8', 'surrogatepass')).hexdigest()[:16]}"


def casualties(
    killed: tuple[int | None, int | None], injured: tuple[int | None, int | None] = (None, None)
) -> dict[str, int | None]:
    """A candidate incident's count fields from (low, high) ranges."""
    return {
        "killed_low": killed[0],
        "killed_high": killed[1],
        "injured_low": injured[0],
        "injured_high": injured[1],
    }
