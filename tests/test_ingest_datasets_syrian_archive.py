"""Syrian Archive: longitude first, US dates, a summary over two lines, CRLF."""

from __future__ import annotations

import csv
from pathlib import Path

import pytest
from conftest import shared_data

from siteline.domain.values import LocationPrecision
from siteline.ingest.datasets import syrian_archive

FIXTURES = Path(__file__).parent / "fixtures" / "datasets"


@pytest.fixture(scope="module")
def export():
    path = shared_data("syrian_archive_incidents/chemweap.csv")
    with open(path, newline="", encoding="utf-8") as file:
        reader = csv.DictReader(file)
        oracle = []
        for row in reader:
            oracle.append((reader.line_num, row))
    return syrian_archive.parse(path), oracle


def test_every_row_is_read_with_its_columns_as_written(export):
    result, oracle = export
    assert result.problems == []
    assert [row.native for row in result.records] == [row for _, row in oracle]
    assert {row.row_id for row in result.records} == {row["unique_event_ID"] for _, row in oracle}


def test_lines_count_the_summary_that_runs_over_two_lines(export):
    result, oracle = export
    # csv's line_num is the last line of a row: the rows after the two-line one start later.
    ends = [end for end, _ in oracle]
    starts = [row.line for row in result.records]
    assert starts[0] == 2
    assert all(start == previous + 1 for start, previous in zip(starts[1:], ends, strict=False))
    assert any(
        row.line + 1 != following.line
        for row, following in zip(result.records, result.records[1:], strict=False)
    )


def test_longitude_first_is_read_as_a_latitude_and_longitude(export):
    result, _ = export
    placed = [row for row in result.records if row.native["geo_latitude"]]
    assert len(placed) > len(result.records) * 0.9  # a few rows name no place at all
    assert all(row.incident.location is None for row in result.records if row not in placed)
    for row in placed:
        point = row.incident.location
        assert (point.lat, point.lon) == (
            float(row.native["geo_latitude"]),
            float(row.native["geo_longitude"]),
        )
        assert 32 < point.lat < 34 and 36 < point.lon < 37  # Damascus countryside, not the sea
        assert point.precision is LocationPrecision.AREA


def test_us_dates_and_the_preserved_video(export):
    result, _ = export
    ghouta = [row for row in result.records if row.native["date_time"].startswith("08/21/13")]
    assert ghouta and all(str(row.incident.window_start) == "2013-08-21" for row in ghouta)
    assert all(row.source_url == row.native["embedded_videos"] for row in result.records)
    assert all(row.incident.certainty is None for row in result.records)


def test_a_latitude_out_of_range_is_named_and_the_next_row_kept():
    path = FIXTURES / "syrian_archive_bad_rows.csv"
    result = syrian_archive.parse(path)
    assert [row.row_id for row in result.records] == ["EG_1", "EG_3"]
    assert [str(problem) for problem in result.problems] == [
        f"{path}:4: geo_latitude/geo_longitude: latitude 123.4 is outside -90..90"
    ]
    assert result.records[0].text == "Smoke over the hospital"
    assert result.records[1].line == 5
