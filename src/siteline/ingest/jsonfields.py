"""Taking fields out of untrusted JSON: every value may be missing or of any type.

An export may be damaged or written to mislead, so no field is assumed to be what the
format promises: a wrong type reads as absent, and what a record cannot do without (an
id, a readable date) raises RecordError, which the parser reports as a RowProblem.
"""

from __future__ import annotations

import mimetypes
from collections.abc import Iterable
from datetime import UTC, datetime
from typing import Any

from siteline.domain.values import FuzzyTime, TimePrecision
from siteline.errors import InvalidInput


class RecordError(ValueError):
    """One record cannot be read; the message says why, for a RowProblem."""


def as_dict(value: Any) -> dict:
    return value if isinstance(value, dict) else {}


def dicts(value: Any) -> list[dict]:
    """The objects of a list, passing over anything else."""
    return [item for item in value if isinstance(item, dict)] if isinstance(value, list) else []


def text(value: Any) -> str | None:
    """A non-empty string, or None."""
    return value if isinstance(value, str) and value.strip() else None


def an_id(value: Any) -> str | None:
    """A platform id: a non-empty string or an integer (never a bool or a float)."""
    if isinstance(value, bool):
        return None
    if isinstance(value, int):
        return str(value)
    return value.strip() if isinstance(value, str) and value.strip() else None


def unique(values: Iterable[str | None]) -> list[str]:
    """The strings, each once, in their first order."""
    return list(dict.fromkeys(value for value in values if value))


def required_id(value: Any, what: str) -> str:
    found = an_id(value)
    if found is None:
        raise RecordError(f"{what} has no id" if value is None else f"{what} has no usable id")
    return found


def iso_time(value: Any, field: str) -> FuzzyTime | None:
    """An ISO 8601 time; None when absent; RecordError when present but unreadable."""
    if value is None:
        return None
    if not isinstance(value, str):
        raise RecordError(f"{field} {value!r} is not a time")
    try:
        return FuzzyTime.parse(value, field)
    except InvalidInput as error:
        raise RecordError(f"{field} {error.problem}") from None
    except OverflowError:  # '0001-01-01T00:00+01:00' is before year 1 in UTC
        raise RecordError(f"{field} {value!r} is out of range") from None


def unix_time(value: Any, field: str) -> FuzzyTime:
    """Seconds since 1970 (a number, or digits in a string), to the second, in UTC."""
    if isinstance(value, str) and value.strip().lstrip("-").isdigit():
        value = int(value.strip())
    if isinstance(value, bool) or not isinstance(value, int | float) or value != value:
        raise RecordError(f"{field} {value!r} is not a time")
    try:
        moment = datetime.fromtimestamp(int(value), UTC)
    except (OverflowError, OSError, ValueError):
        raise RecordError(f"{field} {value!r} is out of range") from None
    return FuzzyTime(moment, TimePrecision.SECOND)


def media_type_of(name: str | None) -> str | None:
    """The media type a file name or URL's extension says (no file is opened)."""
    if not name:
        return None
    return mimetypes.guess_type(name.split("?", 1)[0], strict=False)[0]
