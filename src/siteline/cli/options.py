"""Readers for option values, so each command states what it takes in one line."""

from __future__ import annotations

import json

from siteline.domain.values import FuzzyTime, Location
from siteline.errors import InvalidInput


def time_or_none(value: str | None, field: str) -> FuzzyTime | None:
    return FuzzyTime.parse(value, field) if value else None


def location_or_none(value: str | None, precision: str, field: str) -> Location | None:
    return Location.parse(value, precision, field) if value else None


def parameters(pairs: tuple[str, ...]) -> dict:
    """`--param name=value` pairs; a value that reads as JSON keeps its type."""
    found = {}
    for pair in pairs:
        name, equals, raw = pair.partition("=")
        if not equals or not name.strip():
            raise InvalidInput("--param", f"{pair!r} is not NAME=VALUE")
        try:
            found[name.strip()] = json.loads(raw)
        except json.JSONDecodeError:
            found[name.strip()] = raw
    return found
