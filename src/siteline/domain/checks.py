"""The checks a verification step can require, read from what a person gave.

- geolocation: how the place was found (`method`), how closely (`precision`, a location
  precision) and, optionally, the place itself (`location`, 'LAT,LON');
- chronolocation: how the time was found (`method`) and, optionally, the time itself
  (`time`, in any of the forms a time takes, its form giving its precision);
- source assessment: the Admiralty grade, the reliability of the source (A-F) and the
  credibility of the item (1-6), given apart or together as a grade like "B2", and a note.

Each field is checked on its own and refused with an error naming it ("geolocation.method"),
so that a face can point at the option the person typed. Pure: no database here.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any

from siteline.domain.values import FuzzyTime, Location, LocationPrecision, not_in_future
from siteline.domain.vocabularies import Reliability, parse_term
from siteline.errors import InvalidInput

GEOLOCATION = "geolocation"
CHRONOLOCATION = "chronolocation"
SOURCE_ASSESSMENT = "source_assessment"
CHECK_KINDS = (GEOLOCATION, CHRONOLOCATION, SOURCE_ASSESSMENT)

# What each check is made of, in the words an error shows.
CHECK_FIELDS = {
    GEOLOCATION: ("method", "precision", "location"),
    CHRONOLOCATION: ("method", "time"),
    SOURCE_ASSESSMENT: ("grade", "reliability", "credibility", "note"),
}
WHAT_IS_NEEDED = {
    GEOLOCATION: "its method and precision (and the place, unless the claimed one is confirmed)",
    CHRONOLOCATION: "its method (and the time, if established)",
    SOURCE_ASSESSMENT: "the Admiralty grade: source reliability A-F and item credibility 1-6",
}

_GRADE = re.compile(r"^\s*([A-Fa-f])\s*([1-6])\s*$")


def parse_checks(given: Mapping[str, Any] | None, required: Iterable[str], reaching: str) -> dict:
    """The checks given, each read and validated; every required one must be among them."""
    given = {kind: values for kind, values in (given or {}).items() if values}
    for kind in given:
        if kind not in CHECK_KINDS:
            raise InvalidInput("checks", f"{kind!r} is not a check; the checks are: {_kinds()}")
    for kind in required:
        if kind not in given:
            raise InvalidInput(
                kind, f"reaching '{reaching}' needs a {label(kind)}: {WHAT_IS_NEEDED[kind]}"
            )
    return {
        kind: _PARSERS[kind](_fields(kind, given[kind])) for kind in CHECK_KINDS if kind in given
    }


def label(kind: str) -> str:
    return kind.replace("_", " ")


def _kinds() -> str:
    return ", ".join(CHECK_KINDS)


def _fields(kind: str, values: Any) -> dict:
    if not isinstance(values, Mapping):
        raise InvalidInput(
            kind, f"a {label(kind)} is given as its fields: {', '.join(CHECK_FIELDS[kind])}"
        )
    for name in values:
        if name not in CHECK_FIELDS[kind]:
            raise InvalidInput(
                f"{kind}.{name}",
                f"not a field of a {label(kind)}; its fields are: {', '.join(CHECK_FIELDS[kind])}",
            )
    return {name: value for name, value in values.items() if value not in (None, "")}


def _text(values: dict, kind: str, name: str, required: bool) -> str | None:
    value = values.get(name)
    if value is None and not required:
        return None
    if not isinstance(value, str) or not value.strip():
        raise InvalidInput(f"{kind}.{name}", f"a {label(kind)} needs its {name}, in words")
    return " ".join(value.split())


def _geolocation(values: dict) -> dict:
    method = _text(values, GEOLOCATION, "method", required=True)
    if "precision" not in values:
        raise InvalidInput(
            "geolocation.precision",
            f"a geolocation needs its precision: one of {', '.join(LocationPrecision)}",
        )
    precision = parse_term(LocationPrecision, values["precision"], "geolocation.precision")
    found = {"method": method, "precision": precision.value}
    place = values.get("location")
    if place is not None:
        location = _location(place, precision)
        found.update(lat=location.lat, lon=location.lon)
    return found


def _location(place: Any, precision: LocationPrecision) -> Location:
    field = "geolocation.location"
    if isinstance(place, Location):
        return Location(place.lat, place.lon, precision)
    if isinstance(place, list | tuple) and len(place) == 2:
        place = f"{place[0]},{place[1]}"
    if not isinstance(place, str):
        raise InvalidInput(field, f"{place!r} is not 'LAT,LON' in decimal degrees")
    return Location.parse(place, precision, field)


def _chronolocation(values: dict) -> dict:
    found = {"method": _text(values, CHRONOLOCATION, "method", required=True)}
    if "time" in values:
        time = FuzzyTime.parse(str(values["time"]), "chronolocation.time")
        not_in_future(time, "chronolocation.time")
        found.update(time=time.stored, time_precision=time.precision.value)
    return found


def _source_assessment(values: dict) -> dict:
    reliability, credibility = values.get("reliability"), values.get("credibility")
    if "grade" in values:
        if reliability is not None or credibility is not None:
            raise InvalidInput(
                "source_assessment.grade", "give the grade, or reliability and credibility"
            )
        reliability, credibility = parse_grade(values["grade"], "source_assessment.grade")
    if reliability is None:
        raise InvalidInput("source_assessment.reliability", "the source's reliability, A to F")
    reliability = parse_term(Reliability, reliability, "source_assessment.reliability")
    credibility = _credibility(credibility)
    found = {
        "reliability": reliability.value,
        "credibility": credibility,
        "grade": f"{reliability.value}{credibility}",
    }
    note = _text(values, SOURCE_ASSESSMENT, "note", required=False)
    if note:
        found["note"] = note
    return found


def _credibility(value: Any) -> int:
    field = "source_assessment.credibility"
    if value is None:
        raise InvalidInput(field, "the item's credibility, 1 (confirmed) to 6 (cannot be judged)")
    if isinstance(value, bool) or not str(value).strip().isdigit():
        raise InvalidInput(field, f"{value!r} is not a number 1 to 6")
    if not 1 <= int(value) <= 6:
        raise InvalidInput(field, f"{value} is outside 1..6 (Admiralty code)")
    return int(value)


def parse_grade(text: Any, field: str) -> tuple[str, int]:
    """An Admiralty grade as written, 'B2': the source's reliability and the item's
    credibility."""
    found = _GRADE.match(str(text))
    if not found:
        raise InvalidInput(
            field,
            f"{text!r} is not an Admiralty grade: a letter A-F (the source's reliability) "
            "and a figure 1-6 (the item's credibility), like B2",
        )
    return found.group(1).upper(), int(found.group(2))


_PARSERS = {
    GEOLOCATION: _geolocation,
    CHRONOLOCATION: _chronolocation,
    SOURCE_ASSESSMENT: _source_assessment,
}


def evidence_changes(checks: Mapping[str, dict]) -> dict:
    """What checks establish about the item itself: the verified place (geolocation with a
    place) and the item's credibility (source assessment). A time found by chronolocation
    stays in the review: the item's own times are what its source said."""
    changes: dict = {}
    geolocation = checks.get(GEOLOCATION)
    if geolocation and geolocation.get("lat") is not None:
        changes.update(
            verified_lat=geolocation["lat"],
            verified_lon=geolocation["lon"],
            verified_precision=geolocation["precision"],
        )
    assessment = checks.get(SOURCE_ASSESSMENT)
    if assessment:
        changes["credibility"] = assessment["credibility"]
    return changes


def describe(checks: Mapping[str, Any]) -> str:
    """The checks in one line, for people: 'geolocation: … (vicinity, 36.2,37.1); source: B2'."""
    parts = []
    geolocation = checks.get(GEOLOCATION)
    if geolocation:
        where = f", {geolocation['lat']},{geolocation['lon']}" if "lat" in geolocation else ""
        parts.append(f"geolocation: {geolocation['method']} ({geolocation['precision']}{where})")
    chronolocation = checks.get(CHRONOLOCATION)
    if chronolocation:
        when = FuzzyTime.from_stored(
            chronolocation.get("time"), chronolocation.get("time_precision")
        )
        parts.append(f"chronolocation: {chronolocation['method']}" + (f" ({when})" if when else ""))
    assessment = checks.get(SOURCE_ASSESSMENT)
    if assessment:
        note = f" ({assessment['note']})" if assessment.get("note") else ""
        parts.append(f"source assessment: {assessment['grade']}{note}")
    return "; ".join(parts)
