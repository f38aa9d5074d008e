"""WHO SSA: the real public export, and our own damaged files."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import shared_data

from siteline.domain.values import TimePrecision
from siteline.ingest.datasets import who_ssa

FIXTURES = Path(__file__).parent / "fixtures" / "datasets"


@pytest.fixture(scope="module")
def export():
    path = shared_data("who_ssa_attacks/ssa_attacks.csv")
    with open(path, newline="", encoding="utf-8") as file:
        oracle = list(csv.DictReader(file))
    return who_ssa.parse(path), oracle


def test_every_row_is_read_with_its_columns_exactly_as_written(export):
    result, oracle = export
    assert result.problems == []
    assert [row.native for row in result.records] == oracle
    assert [list(row.native) for row in result.records[:1]] == [list(oracle[0])]
    assert [row.row_id for row in result.records] == [row["Attack ID"] for row in oracle]
    assert [row.line for row in result.records] == list(range(2, len(oracle) + 2))


def test_month_first_two_digit_dates_agree_with_the_weekday_column(export):
    result, _ = export
    for row in result.records:
        start = row.incident.window_start
        assert start.precision is TimePrecision.DAY
        assert start.start.strftime("%a") == row.native["weekday"], row.row_id


def test_the_added_year_column_is_followed_only_where_it_agrees_with_the_date(export):
    result, _ = export
    disagree = [
        row
        for row in result.records
        if row.incident.window_start.start.year != int(row.native["year"])
    ]
    # The added `year` is one too high for a few attacks in the last days of December.
    assert disagree, "the quirk is gone: update the module's notes"
    for row in disagree:
        start = row.incident.window_start.start
        assert (start.month, start.day >= 20, int(row.native["year"])) == (12, True, start.year + 1)
    assert str(result.records[0].incident.window_start) == "2024-02-08"  # '2/8/24 12:00 AM'


def test_float_counts_become_whole_ranges(export):
    result, _ = export
    for row in result.records:
        incident = row.incident
        assert incident.killed_low == incident.killed_high == int(float(row.native["Total Death"]))
        assert incident.injured_low == int(float(row.native["Total Injured"]))


def test_certainty_is_the_who_level_with_the_native_grade_beside_it(export):
    result, _ = export
    grades = {row.incident.native_certainty for row in result.records}
    assert grades == {"Confirmed", "Probable", "Possible"}
    for row in result.records:
        assert row.incident.native_certainty == row.native["Certainty Level"]
        assert row.incident.certainty == row.native["Certainty Level"].lower()


def test_joined_attack_types_split_on_their_edges_and_lose_nothing(export):
    result, _ = export
    prefixes = tuple(prefix for prefix, _, _ in who_ssa.ATTACK_TYPES)
    for row in result.records:
        cell = row.native["Attack Type"]
        names = who_ssa.split_types(cell)
        assert ", ".join(names) == cell
        assert all(name.startswith(prefixes) for name in names), names


def test_the_gravest_attack_type_decides_the_incident_type(export):
    result, _ = export
    by_cell = {row.native["Attack Type"]: row.incident for row in result.records}
    heavy = next(i for cell, i in by_cell.items() if cell.startswith("Violence with heavy"))
    assert (heavy.type, heavy.weapon) == (None, "heavy weapons")
    assert by_cell["Setting fire"].type == "arson"
    mixed = next(
        i for cell, i in by_cell.items() if cell.startswith("Obstruction") and "individual" in cell
    )
    assert mixed.type == "ground_attack"


def test_no_place_finer_than_the_country(export):
    result, _ = export
    assert all(row.incident.location is None for row in result.records)
    assert {row.incident.place_name for row in result.records} == {
        row.native["Country / Territory"] for row in result.records
    }


def test_a_windows_1252_crlf_file_keeps_its_good_rows_and_names_each_bad_one():
    path = FIXTURES / "ssa_cp1252_crlf.csv"
    result = who_ssa.parse(path)
    assert [row.row_id for row in result.records] == ["EGT000101", "EGT000104", "EGT000107"]
    assert [str(problem) for problem in result.problems] == [
        f"{path}:3: Total Injured: 'many' is not a count",
        f"{path}:4: Attack Date: '2/30/21 12:00 AM' is not a real date "
        "(day is out of range for month)",
        f"{path}:6: 4 columns where the header has 25",
        f"{path}:7: Certainty Level: 'Likely' is not a grade this dataset uses "
        "(Confirmed, Probable, Possible, Rumour)",
    ]
    first = result.records[0].incident
    assert first.place_name == "Eastgate Côte"
    assert first.facility == "Other (Clinique Saint-Rémy – annexe)"
    assert (first.injured_low, first.killed_low) == (3, 1)


def test_the_same_rows_read_alike_from_utf8_with_a_byte_order_mark():
    cp1252 = who_ssa.parse(FIXTURES / "ssa_cp1252_crlf.csv").records
    bom = who_ssa.parse(FIXTURES / "ssa_utf8_bom.csv").records
    assert [row.native for row in bom] == [row.native for row in cp1252[:2]]


def test_a_row_without_an_attack_id_gets_a_stable_id_from_its_content(tmp_path):
    source = (FIXTURES / "ssa_utf8_bom.csv").read_text(encoding="utf-8-sig")
    path = tmp_path / "no-id.csv"
    path.write_text(source.replace("EGT000101", ""), encoding="utf-8")
    first = who_ssa.parse(path).records[0].row_id
    assert first.startswith("who_ssa-") and first == who_ssa.parse(path).records[0].row_id
