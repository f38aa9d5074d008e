"""Times and places with their precision: parsing, UTC, refusing what cannot be, and sites'
polygons."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siteline.domain.entities import Site, parse_polygon
from siteline.domain.values import (
    FuzzyTime,
    Location,
    LocationPrecision,
    TimePrecision,
    check_window,
)
from siteline.errors import InvalidInput


def utc(*parts: int) -> datetime:
    return datetime(*parts, tzinfo=UTC)


# FuzzyTime.


@pytest.mark.parametrize(
    ("text", "start", "precision"),
    [
        ("2016", utc(2016, 1, 1), TimePrecision.YEAR),
        ("2016-09", utc(2016, 9, 1), TimePrecision.MONTH),
        ("2016-09-25", utc(2016, 9, 25), TimePrecision.DAY),
        ("2016-09-25T14", utc(2016, 9, 25, 14), TimePrecision.HOUR),
        ("2016-09-25T14Z", utc(2016, 9, 25, 14), TimePrecision.HOUR),
        ("2016-09-25T14:03", utc(2016, 9, 25, 14, 3), TimePrecision.MINUTE),
        ("2016-09-25 14:03", utc(2016, 9, 25, 14, 3), TimePrecision.MINUTE),
        ("2016-09-25T14:03:05Z", utc(2016, 9, 25, 14, 3, 5), TimePrecision.SECOND),
        ("2016-09-25T14:03:05.75Z", utc(2016, 9, 25, 14, 3, 5), TimePrecision.SECOND),
        ("  2016-09-25  ", utc(2016, 9, 25), TimePrecision.DAY),
    ],
)
def test_every_precision_is_read(text, start, precision):
    time = FuzzyTime.parse(text, "published")
    assert (time.start, time.precision) == (start, precision)


@pytest.mark.parametrize(
    ("text", "start"),
    [
        ("2016-09-25T14:03+03:00", utc(2016, 9, 25, 11, 3)),
        ("2016-09-25T14:03+0300", utc(2016, 9, 25, 11, 3)),
        ("2016-09-25T14:03-05:30", utc(2016, 9, 25, 19, 33)),
        ("2016-09-25T01:30:00+03:00", utc(2016, 9, 24, 22, 30)),  # the day before, in UTC
        ("2016-12-31T23:00-02:00", utc(2017, 1, 1, 1, 0)),  # the year after, in UTC
        ("2016-09-25T14:03Z", utc(2016, 9, 25, 14, 3)),
        ("2016-09-25T14:03", utc(2016, 9, 25, 14, 3)),  # no offset: taken as UTC
    ],
)
def test_offsets_are_converted_to_utc(text, start):
    time = FuzzyTime.parse(text, "captured")
    assert time.start == start
    assert time.start.utcoffset() == timedelta(0)
    assert time.stored == start.strftime("%Y-%m-%dT%H:%M:%SZ")


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("2016-02-30", "not a real date"),
        ("2015-02-29", "not a real date"),  # not a leap year
        ("2016-13", "not a real date"),
        ("2016-00", "not a real date"),
        ("2016-09-00", "not a real date"),
        ("2016-09-31", "not a real date"),
        ("2016-09-25T25:00", "not a real time"),
        ("2016-09-25T14:60", "not a real time"),
        ("2016-09-25T14:03:61", "not a real time"),
        ("2016-09-25T14:03+25:00", "not a real time"),
        ("25/09/2016", "is not a time"),
        ("yesterday", "is not a time"),
        ("2016-9-25", "is not a time"),
        ("", "empty time"),
    ],
)
def test_impossible_times_are_refused_naming_the_field(text, complaint):
    with pytest.raises(InvalidInput) as refused:
        FuzzyTime.parse(text, "captured")
    assert refused.value.field == "captured"
    assert complaint in refused.value.problem
    assert str(refused.value).startswith("captured: ")


def test_a_leap_day_is_a_real_date():
    assert FuzzyTime.parse("2016-02-29", "published").end == utc(2016, 2, 29, 23, 59, 59)


@pytest.mark.parametrize(
    ("text", "end"),
    [
        ("2016", utc(2016, 12, 31, 23, 59, 59)),
        ("2016-02", utc(2016, 2, 29, 23, 59, 59)),
        ("2016-12", utc(2016, 12, 31, 23, 59, 59)),
        ("2016-09-25", utc(2016, 9, 25, 23, 59, 59)),
        ("2016-09-25T14", utc(2016, 9, 25, 14, 59, 59)),
        ("2016-09-25T14:03", utc(2016, 9, 25, 14, 3, 59)),
        ("2016-09-25T14:03:05", utc(2016, 9, 25, 14, 3, 5)),
    ],
)
def test_a_time_covers_its_whole_period(text, end):
    assert FuzzyTime.parse(text, "t").end == end


def test_a_window_that_ends_before_it_starts_is_refused():
    check_window(FuzzyTime.parse("2016-09", "s"), FuzzyTime.parse("2016-09-30", "e"), "window")
    with pytest.raises(InvalidInput, match="window: the window ends"):
        check_window(FuzzyTime.parse("2016-09", "s"), FuzzyTime.parse("2016-08-31", "e"), "window")


def test_stored_form_comes_back_unchanged():
    time = FuzzyTime.parse("2016-09-25T14:03+03:00", "t")
    assert FuzzyTime.from_stored(time.stored, time.precision.value) == time
    assert FuzzyTime.from_stored(None, None) is None


# Properties. Years stay within four digits, as the stored form requires.

instants = st.datetimes(
    min_value=datetime(1000, 1, 1), max_value=datetime(9998, 12, 31), timezones=st.just(UTC)
)


def truncate(moment: datetime, precision: TimePrecision) -> datetime:
    moment = moment.replace(microsecond=0)
    cuts = {
        TimePrecision.SECOND: {},
        TimePrecision.MINUTE: {"second": 0},
        TimePrecision.HOUR: {"minute": 0, "second": 0},
        TimePrecision.DAY: {"hour": 0, "minute": 0, "second": 0},
        TimePrecision.MONTH: {"day": 1, "hour": 0, "minute": 0, "second": 0},
        TimePrecision.YEAR: {"month": 1, "day": 1, "hour": 0, "minute": 0, "second": 0},
    }
    return moment.replace(**cuts[precision])


fuzzy_times = st.builds(
    lambda moment, precision: FuzzyTime(truncate(moment, precision), precision),
    instants,
    st.sampled_from(TimePrecision),
)


@given(fuzzy_times)
def test_text_form_reads_back_to_the_same_time(time):
    again = FuzzyTime.parse(str(time), "t")
    assert (again.start, again.precision) == (time.start, time.precision)


@given(fuzzy_times)
def test_stored_form_reads_back_to_the_same_time(time):
    assert FuzzyTime.from_stored(time.stored, time.precision.value) == time


@given(fuzzy_times)
def test_a_period_ends_after_it_starts_and_no_later_than_it_must(time):
    assert time.end >= time.start
    assert truncate(time.end, time.precision) == time.start  # the end is inside the period
    after = time.end + timedelta(seconds=1)
    assert truncate(after, time.precision) > time.start  # the next second is not


@given(instants, st.integers(min_value=-14 * 60, max_value=14 * 60))
def test_any_offset_lands_on_the_same_utc_instant(moment, offset_minutes):
    moment = moment.replace(microsecond=0)
    offset = timedelta(minutes=offset_minutes)
    local = moment + offset
    sign = "+" if offset_minutes >= 0 else "-"
    hours, minutes = divmod(abs(offset_minutes), 60)
    text = local.strftime("%Y-%m-%dT%H:%M:%S") + f"{sign}{hours:02d}:{minutes:02d}"
    if not 1000 <= local.year <= 9998:
        return
    assert FuzzyTime.parse(text, "t").start == moment


@given(st.text(max_size=30))
def test_any_text_is_read_or_refused_with_invalid_input(text):
    try:
        time = FuzzyTime.parse(text, "t")
    except InvalidInput as refused:
        assert refused.field == "t"
    else:
        assert time.start.tzinfo is UTC


# Location.


def test_a_location_is_read_with_its_precision():
    location = Location.parse(" 36.2021, 37.1343 ", "vicinity", "claimed location")
    assert (location.lat, location.lon) == (36.2021, 37.1343)
    assert location.precision is LocationPrecision.VICINITY
    assert location.radius_metres == 100
    assert str(location) == "36.202100,37.134300 (vicinity, ±100 m)"


@pytest.mark.parametrize(
    ("text", "complaint"),
    [
        ("91,37", "latitude 91.0 is outside -90..90"),
        ("-90.5,37", "latitude -90.5 is outside -90..90"),
        ("36,181", "longitude 181.0 is outside -180..180"),
        ("36,-180.01", "longitude -180.01 is outside -180..180"),
        ("nan,37", "not numbers"),
        ("inf,37", "latitude inf is outside"),
        ("36.2", "is not 'LAT,LON'"),
        ("36.2,37.1,5", "is not 'LAT,LON'"),
        ("north,east", "is not 'LAT,LON'"),
    ],
)
def test_invalid_coordinates_are_refused_naming_the_field(text, complaint):
    with pytest.raises(InvalidInput) as refused:
        Location.parse(text, "exact", "claimed location")
    assert refused.value.field == "claimed location"
    assert complaint in refused.value.problem


def test_the_poles_and_the_antimeridian_are_valid():
    assert Location.parse("90,180", "exact", "l").lat == 90
    assert Location.parse("-90,-180", "region", "l").lon == -180


def test_an_unknown_precision_is_refused():
    with pytest.raises(InvalidInput, match="claimed location precision: 'somewhere'"):
        Location.parse("36,37", "somewhere", "claimed location")
    with pytest.raises(InvalidInput, match="location"):
        Location(100.0, 37.0, "exact")


@given(
    st.floats(min_value=-90, max_value=90, allow_nan=False),
    st.floats(min_value=-180, max_value=180, allow_nan=False),
    st.sampled_from(LocationPrecision),
)
def test_any_valid_point_reads_back_from_its_text(lat, lon, precision):
    location = Location.parse(f"{lat!r},{lon!r}", precision, "l")
    assert (location.lat, location.lon, location.precision) == (lat, lon, precision)


# Sites.

SQUARE = "POLYGON((37.10 36.20, 37.11 36.20, 37.11 36.21, 37.10 36.21, 37.10 36.20))"


def test_a_site_with_a_polygon_gets_a_point_inside_it():
    site = Site("Northgate Hospital", polygon_wkt=SQUARE)
    assert 36.20 < site.lat < 36.21 and 37.10 < site.lon < 37.11
    assert site.geometry_wkt.startswith("POLYGON")
    assert parse_polygon(site.geometry_wkt).equals(parse_polygon(SQUARE))


def test_a_site_point_is_its_geometry():
    assert Site("Clinic", lat=36.2, lon=37.1).geometry_wkt == "POINT (37.1 36.2)"
    assert Site("Clinic").geometry_wkt is None


@pytest.mark.parametrize(
    ("wkt", "complaint"),
    [
        ("POLYGON((0 0, 1 1, 1 0, 0 1, 0 0))", "crosses itself"),
        ("POINT (37.1 36.2)", "expected a POLYGON, got Point"),
        ("POLYGON((0 0, 1 0, 1 1))", "is not WKT"),
        ("a hospital", "is not WKT"),
        ("POLYGON((37 36, 200 36, 200 37, 37 37, 37 36))", "longitude 200.0 is outside"),
        ("POLYGON((37 36, 38 36, 38 95, 37 95, 37 36))", "latitude 95.0 is outside"),
        ("POLYGON EMPTY", "empty"),
    ],
)
def test_a_bad_polygon_is_refused(wkt, complaint):
    with pytest.raises(InvalidInput) as refused:
        Site("Northgate Hospital", polygon_wkt=wkt)
    assert refused.value.field == "polygon"
    assert complaint in refused.value.problem


@pytest.mark.parametrize(
    ("fields", "field", "complaint"),
    [
        ({"lat": 36.2}, "location", "give both"),
        ({"lat": 95.0, "lon": 37.1}, "location", "latitude 95.0"),
        ({"kind": "castle"}, "kind", "'castle' is not one of"),
        ({"name": "  "}, "name", "must not be empty"),
    ],
)
def test_a_bad_site_is_refused_naming_the_field(fields, field, complaint):
    with pytest.raises(InvalidInput) as refused:
        Site(**{"name": "Northgate Hospital", **fields})
    assert refused.value.field == field
    assert complaint in refused.value.problem


@pytest.mark.parametrize("text", ["0001-01-01T00:00:00+01:00", "9999-12-31T23:30-01:00"])
def test_a_time_that_leaves_the_calendar_in_utc_is_refused(text):
    with pytest.raises(InvalidInput, match="outside the years 1..9999 in UTC"):
        FuzzyTime.parse(text, "published")
