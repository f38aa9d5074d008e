"""Airwars: JSON lines, whole JSON records, the CSV scrape, and damaged input of each."""

from __future__ import annotations

import csv
import json
from pathlib import Path

import pytest
from conftest import shared_data

from siteline.domain.values import LocationPrecision
from siteline.ingest.datasets import airwars

FIXTURES = Path(__file__).parent / "fixtures" / "datasets"


@pytest.fixture(scope="module")
def syria():
    path = shared_data("airwars_incidents/airwars_syria_incidents.jsonl")
    with open(path, encoding="utf-8") as file:
        oracle = [json.loads(line) for line in file]
    return path, airwars.parse(path), oracle


def test_each_json_line_is_a_row_with_the_object_kept_whole(syria):
    path, result, oracle = syria
    read = {row.line: row for row in result.records}
    assert len(result.records) + len(result.problems) == len(oracle)
    for number, record in enumerate(oracle, start=1):
        if number in read:
            assert read[number].native == record
            assert read[number].row_id == record["airwars_id"]
            assert read[number].source_url == record["canonical_url"]


def test_a_longitude_out_of_range_in_the_real_data_is_named_not_guessed(syria):
    path, result, oracle = syria
    wrong = [n for n, r in enumerate(oracle, 1) if r["longitude"] and abs(r["longitude"]) > 180]
    assert [(problem.file, problem.line) for problem in result.problems] == [
        (str(path), n) for n in wrong
    ]
    assert all("longitude" in problem.message for problem in result.problems)


def test_ranges_grades_and_accuracy_come_from_their_own_fields(syria):
    _, result, _ = syria
    scale = {
        "Fair": "probable",
        "Contested": "possible",
        "Weak": "possible",
        "Confirmed": "confirmed",
    }
    for row in result.records:
        record, incident = row.native, row.incident
        assert (incident.killed_low, incident.killed_high) == (
            record["civilian_deaths_min"],
            record["civilian_deaths_max"],
        )
        if record["assessment"]:
            assert incident.native_certainty == record["assessment"]
            assert incident.certainty == scale[record["assessment"]]
        geolocation = record["page_fields"].get("Geolocation") or ""
        if incident.location and "Accuracy: Village" in geolocation:
            assert incident.location.precision is LocationPrecision.LOCALITY
        if incident.location and "Accuracy: Town" in geolocation:
            assert incident.location.precision is LocationPrecision.AREA
        assert (incident.location is None) == (record["latitude"] is None)


def test_strike_types_give_a_type_only_where_they_name_one_kind(syria):
    _, result, _ = syria
    by_strike = {row.native["strike_type"]: row.incident.type for row in result.records}
    assert by_strike["Artillery"] == "shelling"
    assert by_strike["Airstrike, Drone Strike"] == "airstrike"
    assert by_strike["Airstrike and/or Artillery"] is None
    assert by_strike["Artillery, Ground operation"] is None


@pytest.mark.parametrize("name", ["airwars-100736.json", "airwars-100737.json"])
def test_a_whole_raw_record_is_read_as_one_row(name):
    path = shared_data(f"airwars_incidents/raw_examples/{name}")
    result = airwars.parse(path)
    record = json.loads(path.read_text(encoding="utf-8"))
    assert result.problems == []
    [row] = result.records
    assert (row.row_id, row.line, row.native) == (record["airwars_id"], 1, record)
    assert str(row.incident.window_start) == record["incident_date"]


def test_the_csv_scrape_reads_slug_dates_and_en_dash_ranges():
    path = shared_data("airwars_incidents/airwars_gaza_scrape_subset.csv")
    result = airwars.parse(path)
    with open(path, newline="", encoding="utf-8") as file:
        oracle = list(csv.DictReader(file))
    assert result.problems == []
    assert [row.native for row in result.records] == oracle
    for row in result.records:
        month, day, year = row.native["Incidence_date"].split("-")
        start = row.incident.window_start.start
        assert (start.strftime("%B").lower(), start.day, start.year) == (month, int(day), int(year))
        killed = row.native["Civilians reported killed"]
        if "–" in killed:
            low, high = (int(part) for part in killed.split("–"))
            assert (row.incident.killed_low, row.incident.killed_high) == (low, high)
        if killed == "Unknown":
            assert row.incident.killed_low is None


def test_damaged_json_lines_are_named_and_the_good_kept():
    path = FIXTURES / "airwars_bad_lines.jsonl"
    result = airwars.parse(path)
    assert [row.row_id for row in result.records] == ["1", "7"]
    assert [(problem.line, problem.message.split(" (")[0]) for problem in result.problems] == [
        (2, "not valid JSON"),
        (3, "not a JSON object"),
        (4, "civilian_deaths: the range 5-2 runs backwards"),
        (6, "latitude/longitude: only one of latitude and longitude is given"),
        (8, "assessment: 'Probably' is not a grade this dataset uses"),
    ]
    first, fallback = (row.incident for row in result.records)
    assert first.location.precision is LocationPrecision.LOCALITY  # "Accuracy: Village"
    assert (first.killed_low, first.killed_high, first.certainty) == (2, 4, "probable")
    # No assessment and no ISO date: the page header's grading and date are used.
    assert (fallback.native_certainty, fallback.certainty) == ("Weak", "possible")
    assert str(fallback.window_start) == "2019-05-16"


def test_damaged_scrape_rows_are_named_and_both_longitude_columns_read():
    path = FIXTURES / "airwars_scrape_bad_rows.csv"
    result = airwars.parse(path)
    assert [row.row_id for row in result.records] == ["egz001", "egz004", "egz005"]
    assert [str(problem) for problem in result.problems] == [
        f"{path}:3: Civilians reported killed: 'a few' is not a count",
        f"{path}:4: Incidence_date: 'octember-7-2019' is not a date: 'octember' is not a month",
    ]
    ranged, open_ended, lon_column = (row.incident for row in result.records)
    assert (ranged.killed_low, ranged.killed_high, ranged.injured_low, ranged.injured_high) == (
        3,
        7,
        12,
        24,
    )
    assert (open_ended.killed_low, open_ended.killed_high, open_ended.location) == (10, None, None)
    assert lon_column.location.lon == -33.3
