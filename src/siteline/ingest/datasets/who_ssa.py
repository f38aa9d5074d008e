"""WHO Surveillance System for Attacks on Health Care (SSA): the public report list as CSV.

Quirks: dates in US order with two-digit years and a midnight that means nothing
('2/8/24 12:00 AM'); counts written as floats ('1.0'); several attack types joined with
commas into one cell, while the type names themselves hold commas (and one an unclosed
parenthesis), and a few types its documentation does not list; a `year` column, added by a
later hand, that is one too high for some late-December attacks (the date is followed); no
place finer than the country, and times of day in local time without an offset.
"""

from __future__ import annotations

from collections.abc import Iterator
from functools import lru_cache
from pathlib import Path

from siteline.domain.vocabularies import IncidentType
from siteline.ingest.datasets import normalise as norm
from siteline.ingest.datasets.csvio import read_csv
from siteline.ingest.model import (
    CandidateIncident,
    DatasetRow,
    ParseResult,
    RowProblem,
    collected,
)

DATASET = "who_ssa"
REQUIRED = ("Attack ID", "Attack Date", "Certainty Level", "Attack Type", "Country / Territory")
AFFECTED = ("Facilities", "Transport", "Personnel", "Supplies Assets", "Warehouse Storage")
DETAINED = (
    "HW Abduction",
    "HW Arrest",
    "HW Detention",
    "Patient Abduction",
    "Patient Arrest",
    "Patient Detention",
)

ZERO = (None, "", "0", "0.0")
# The SSA attack types in the order they decide the incident's type: the gravest first.
# Heavy weapons name no single kind (an airstrike, shelling or a missile), so they give a
# weapon and leave the type to a person.
ATTACK_TYPES: tuple[tuple[str, IncidentType | None, str | None], ...] = (
    ("Violence with heavy weapons", None, "heavy weapons"),
    ("Chemical agent", IncidentType.OTHER, "chemical agent"),
    ("Violence with individual weapons", IncidentType.GROUND_ATTACK, "individual weapons"),
    ("Setting fire", IncidentType.ARSON, None),
    ("Armed or violent search", IncidentType.RAID, None),
    ("Abduction/Arrest/Detention", IncidentType.OTHER, None),
    ("Militarization of a health care asset", IncidentType.OTHER, None),
    ("Removal of health care assets", IncidentType.OTHER, None),
    ("Assault (without weapons)", IncidentType.OTHER, None),
    ("Psychological violence", IncidentType.OTHER, None),
    ("Sexual assault", IncidentType.OTHER, None),  # types the README does not list, but
    ("Criminalization of health care", IncidentType.OTHER, None),  # the export holds
    ("Obstruction to health care delivery", IncidentType.OBSTRUCTION, None),
    ("Other", IncidentType.OTHER, None),
    ("Unknown", None, None),
)
# The names as the export writes them in full, to split a cell of several on their edges.
FULL_NAMES = (
    "Violence with heavy weapons (requires more than one person to use such as firearms, "
    "tanks, missiles, bombs, mortars)",
    "Violence with individual weapons (knives, bricks, clubs, guns, grenades and improvised "
    "explosive devices (IED)",
    "Obstruction to health care delivery (e.g. physical, administrative, legal etc)",
    "Removal of health care assets (e.g. transport, supplies, materials)",
    "Armed or violent search of health care personnel, facility or transport",
)


@lru_cache(maxsize=4096)  # a few hundred distinct cells in the whole export
def split_types(cell: str) -> tuple[str, ...]:
    """The attack types in one cell: names holding commas are matched whole, first."""
    names: list[str] = []
    rest = cell.strip()
    while rest:
        known = next((name for name in FULL_NAMES if rest.startswith(name)), None)
        if known is None:
            known, _, _ = rest.partition(", ")
        names.append(known.strip())
        rest = rest[len(known) :].lstrip(", ")
    return tuple(names)


def short_name(name: str) -> str:
    return name.split(" (", 1)[0]


@lru_cache(maxsize=4096)
def type_and_weapon(names: tuple[str, ...]) -> tuple[str | None, str | None]:
    for prefix, kind, weapon in ATTACK_TYPES:
        if any(name.startswith(prefix) for name in names):
            return (kind.value if kind else None), weapon
    return None, None


def facility(native: dict[str, str]) -> str | None:
    kind = norm.text_or_none(native.get("Type of Facility"))
    other = norm.text_or_none(native.get("Facility Other"))
    if kind and other:
        return f"{kind} ({other})"
    return kind or other


def describe(native: dict[str, str], names: tuple[str, ...]) -> str:
    """The facts the export gives that have no field of their own, in words."""
    parts = [f"Attack types: {'; '.join(names)}." if names else "Attack type not given."]
    affected = [what for what in AFFECTED if native.get(f"HC {what}", "").upper() == "YES"]
    if native.get("HC Patients", "").upper() == "YES":
        affected.append("Patients")
    if affected:
        parts.append(f"Affected: {', '.join(affected).lower()}.")
    time = norm.text_or_none(native.get("Attack Time"))
    if time:
        parts.append(f"Time (local, as reported): {time}.")
    for column in DETAINED:
        value = native.get(column)
        if value not in ZERO and not norm.missing(value) and norm.count(value, column):
            parts.append(f"{column}: {norm.count(value, column)}.")
    return " ".join(parts)


def row(native: dict[str, str], line: int) -> DatasetRow:
    attack_id = norm.text_or_none(native["Attack ID"])
    row_id = attack_id or norm.derived_id(DATASET, native.values())
    start = norm.us_date(native["Attack Date"], "Attack Date")
    names = split_types(native["Attack Type"])
    kind, weapon = type_and_weapon(names)
    killed = norm.count_range(native.get("Total Death"), "Total Death")
    injured = norm.count_range(native.get("Total Injured"), "Total Injured")
    level, grade = norm.certainty(DATASET, native["Certainty Level"], "Certainty Level")
    country = norm.text_or_none(native["Country / Territory"])
    title = f"{row_id}: {', '.join(short_name(n) for n in names) or 'attack'}"
    title += f" ({country}, {start})" if country else f" ({start})"
    incident = CandidateIncident(
        window_start=start,
        type=kind,
        weapon=weapon,
        **norm.casualties(killed, injured),
        certainty=level,
        native_certainty=grade,
        place_name=country,
        facility=facility(native),
        title=title,
        description=describe(native, names),
    )
    return DatasetRow(DATASET, row_id, line, native, title, incident=incident)


def read(path: str | Path) -> Iterator[DatasetRow | RowProblem]:
    """Each row of a WHO SSA export as it is read, or a problem naming the line of one that cannot be."""
    return read_csv(path, REQUIRED, row)


def parse(path: str | Path) -> ParseResult:
    """Every row of a WHO SSA export; rows that cannot be read become problems."""
    return collected(read(path))
