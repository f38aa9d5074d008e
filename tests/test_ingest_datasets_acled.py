"""ACLED: the real column layout, its precision codes, and writing rows back byte for byte."""

from __future__ import annotations

import csv
import io
from datetime import timedelta
from pathlib import Path

import pytest
from conftest import shared_data

from siteline.domain.values import LocationPrecision, TimePrecision
from siteline.errors import InvalidInput
from siteline.ingest.datasets import acled
from siteline.ingest.datasets.csvio import csv_style

FIXTURES = Path(__file__).parent / "fixtures" / "datasets"


def written(rows, style=None) -> bytes:
    buffer = io.StringIO(newline="")
    acled.write_acled_csv(rows, buffer, style)
    return buffer.getvalue().encode(style.encoding if style else "utf-8")


@pytest.fixture(scope="module")
def events():
    path = shared_data("acled_format/acled_argentina_2022_events.csv")
    with open(path, newline="", encoding="utf-8") as file:
        oracle = list(csv.DictReader(file))
    return path, acled.parse(path), oracle


def test_every_event_is_read_with_its_columns_as_written(events):
    _, result, oracle = events
    assert result.problems == []
    assert [row.native for row in result.records] == oracle
    assert [row.row_id for row in result.records] == [row["event_id_cnty"] for row in oracle]


def test_reading_and_writing_back_gives_the_same_bytes(events):
    path, result, _ = events
    assert written(result.records, csv_style(path)) == path.read_bytes()


def test_our_quoted_crlf_file_round_trips_too(tmp_path):
    path = FIXTURES / "acled_quoted_crlf.csv"
    result = acled.parse(path)
    assert result.problems == [] and len(result.records) == 3
    style = csv_style(path)
    assert (style.quote_all, style.newline) == (True, "\r\n")
    assert written(result.records, style) == path.read_bytes()
    out = tmp_path / "out.csv"
    assert acled.write_acled_csv(result.records, out, style) == 3
    assert out.read_bytes() == path.read_bytes()


def test_without_rows_the_writer_gives_the_current_header():
    assert written([]).decode().splitlines() == [",".join(acled.COLUMNS)]


def test_rows_of_another_dataset_are_refused(events):
    _, result, _ = events
    other = result.records[0]
    stranger = type(other)("who_ssa", "X1", 2, {"Attack ID": "X1"}, "x")
    with pytest.raises(InvalidInput, match="not an ACLED row"):
        written([stranger])
    with pytest.raises(InvalidInput, match="other columns"):
        written([other, stranger])


def test_precision_codes_give_windows_and_location_precision(events):
    _, result, _ = events
    for row in result.records:
        incident = row.incident
        code = int(float(row.native["time_precision"]))
        day = row.native["event_date"]
        if code == 1:
            assert (str(incident.window_start), incident.window_end) == (day, None)
        else:
            assert incident.window_end.start - incident.window_start.start == timedelta(days=6)
            assert str(incident.window_start.start + timedelta(days=3))[:10] == day
        geo = int(float(row.native["geo_precision"]))
        expected = LocationPrecision.AREA if geo == 1 else LocationPrecision.REGION
        assert incident.location.precision is expected
        assert incident.location.lat == float(row.native["latitude"])
        assert incident.location.lon == float(row.native["longitude"])
        assert incident.killed_low == int(float(row.native["fatalities"]))
        assert row.published.stored[:4] == "2022"


def test_our_events_read_their_types_perpetrators_and_month_precision():
    records = acled.parse(FIXTURES / "acled_quoted_crlf.csv").records
    strike, attack, shelling = (row.incident for row in records)
    assert (strike.type, strike.weapon, strike.perpetrator) == (
        "airstrike",
        "Air/drone strike",
        None,  # actor1 of an explosion is not said to be the perpetrator
    )
    assert str(strike.window_start) == "2019-03-14"  # '14 March 2019', ACLED's export form
    assert attack.perpetrator == "Unidentified Armed Group (Eastgate)"
    assert (str(attack.window_start), str(attack.window_end)) == ("2019-03-17", "2019-03-23")
    assert shelling.window_start.precision is TimePrecision.MONTH
    assert (shelling.killed_low, shelling.killed_high) == (1, 3)
    assert records[0].text.endswith("Two nurses were killed.")
    assert records[0].incident.place_name == "Riverside, North Province, Eastgate"


def test_bad_events_are_named_and_the_good_kept():
    path = FIXTURES / "acled_bad_rows.csv"
    result = acled.parse(path)
    assert [row.row_id for row in result.records] == ["EGT2003"]
    assert [str(problem) for problem in result.problems] == [
        f"{path}:2: latitude/longitude: latitude 123.4 is outside -90..90",
        f"{path}:3: time_precision: '4' is not 1, 2 or 3",
        f"{path}:5: event_date: '2019-13-03' is not a real date (month must be in 1..12)",
    ]
