"""Values datasets share: counts as ranges, dates in their many forms, grades, points."""

from __future__ import annotations

from datetime import UTC, datetime

import pytest

from siteline.domain.values import LocationPrecision, TimePrecision
from siteline.domain.vocabularies import Certainty
from siteline.errors import InvalidInput
from siteline.ingest.datasets import normalise as norm


@pytest.mark.parametrize(
    ("written", "low", "high"),
    [
        ("3", 3, 3),
        ("1.0", 1, 1),
        ("3-5", 3, 5),
        ("3 – 7", 3, 7),
        ("12–24", 12, 24),
        ("10+", 10, None),
        ("unknown", None, None),
        ("Unknown", None, None),
        ("NA", None, None),
        ("nan", None, None),  # pandas writes an empty number cell so
        ("", None, None),
        (None, None, None),
        (7, 7, 7),
    ],
)
def test_counts_are_read_as_ranges(written, low, high):
    assert norm.count_range(written, "killed") == (low, high)


@pytest.mark.parametrize("written", ["many", "1.5", "-3", "5-2", "1e3", "²", "3-", True])
def test_what_is_not_a_count_is_refused_naming_the_column(written):
    with pytest.raises(InvalidInput) as raised:
        norm.count_range(written, "Total Death")
    assert raised.value.field.startswith("Total Death")


def test_a_range_in_two_columns_must_not_run_backwards():
    assert norm.min_max(2, 4, "civilian_deaths") == (2, 4)
    assert norm.min_max(None, None, "civilian_deaths") == (None, None)
    with pytest.raises(InvalidInput, match="backwards"):
        norm.min_max(5, 2, "civilian_deaths")


def day(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


@pytest.mark.parametrize(
    ("written", "start", "precision"),
    [
        ("2/8/24 12:00 AM", day(2024, 2, 8), TimePrecision.DAY),
        ("08/21/13 12:00 AM", day(2013, 8, 21), TimePrecision.DAY),
        ("12/31/99", day(1999, 12, 31), TimePrecision.DAY),
        ("1/1/2019", day(2019, 1, 1), TimePrecision.DAY),
        ("october-7-2023", day(2023, 10, 7), TimePrecision.DAY),
        ("6 October 2023", day(2023, 10, 6), TimePrecision.DAY),
        ("16 May 2025", day(2025, 5, 16), TimePrecision.DAY),
        ("October 6, 2023", day(2023, 10, 6), TimePrecision.DAY),
        ("Sept 2016", day(2016, 9, 1), TimePrecision.MONTH),
        ("2022-06-30", day(2022, 6, 30), TimePrecision.DAY),
        ("2022-06", day(2022, 6, 1), TimePrecision.MONTH),
    ],
)
def test_dates_in_every_form_keep_their_precision(written, start, precision):
    time = norm.any_date(written, "date")
    assert (time.start, time.precision) == (start, precision)


@pytest.mark.parametrize(
    "written", ["2/30/21 12:00 AM", "13/1/21", "2/8", "octember-7-2023", "32 May 2020", "x/y/z"]
)
def test_impossible_dates_are_refused_naming_the_column(written):
    with pytest.raises(InvalidInput) as raised:
        norm.any_date(written, "Attack Date")
    assert raised.value.field == "Attack Date"


def test_two_digit_years_follow_the_posix_pivot():
    assert [norm.full_year(year) for year in (0, 24, 68, 69, 99, 2013)] == [
        2000,
        2024,
        2068,
        1969,
        1999,
        2013,
    ]


def test_unix_timestamps_are_seconds_in_utc():
    time = norm.unix_time("1657041386.0", "timestamp")
    assert time.start == datetime(2022, 7, 5, 17, 16, 26, tzinfo=UTC)
    assert time.precision is TimePrecision.SECOND
    with pytest.raises(InvalidInput):
        norm.unix_time("9" * 30, "timestamp")


@pytest.mark.parametrize(
    ("dataset", "grade", "level"),
    [
        ("who_ssa", "Confirmed", Certainty.CONFIRMED),
        ("who_ssa", "Probable", Certainty.PROBABLE),
        ("who_ssa", "Possible", Certainty.POSSIBLE),
        ("who_ssa", "Rumour", Certainty.RUMOUR),
        ("airwars", "Confirmed", Certainty.CONFIRMED),
        ("airwars", "Fair", Certainty.PROBABLE),
        ("airwars", "Weak", Certainty.POSSIBLE),
        ("airwars", "Contested", Certainty.POSSIBLE),
        ("airwars", "Discounted", None),
    ],
)
def test_native_grades_map_to_certainty_and_are_kept_as_written(dataset, grade, level):
    assert norm.certainty(dataset, grade, "grade") == (level, grade)


def test_a_grade_the_dataset_does_not_use_is_refused():
    with pytest.raises(InvalidInput, match="Fair"):
        norm.certainty("airwars", "Likely", "assessment")
    assert norm.certainty("airwars", None, "assessment") == (None, None)


def test_points_need_both_coordinates_in_range():
    point = norm.location("33.5", "36.3", LocationPrecision.AREA, "geo")
    assert (point.lat, point.lon, point.precision) == (33.5, 36.3, LocationPrecision.AREA)
    assert norm.location("NA", None, LocationPrecision.AREA, "geo") is None
    with pytest.raises(InvalidInput, match="latitude 123.4 is outside -90..90"):
        norm.location("123.4", "36.3", LocationPrecision.AREA, "geo")
    for lat, lon in (("33.5", None), ("x", "36.3"), ("nan", "1"), ("inf", "1")):
        with pytest.raises(InvalidInput):
            norm.location(lat, lon, LocationPrecision.AREA, "geo")


def test_a_derived_id_is_stable_and_depends_on_every_value():
    first = norm.derived_id("who_ssa", ["a", "b"])
    assert first == norm.derived_id("who_ssa", ["a", "b"])
    assert first.startswith("who_ssa-")
    assert first not in {norm.derived_id("who_ssa", ["a", "c"]), norm.derived_id("who_ssa", ["ab"])}
