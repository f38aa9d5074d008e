"""Whatever a file holds, a dataset parser gives back rows and problems, or refuses the file.

Only ParseResult or InvalidInput may come out: no other exception, whatever the bytes.
"""

from __future__ import annotations

import csv
import io
import json
import tempfile
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siteline.errors import InvalidInput
from siteline.ingest.datasets import READERS, acled, airwars, parse_dataset, syrian_archive
from siteline.ingest.datasets import who_ssa as ssa
from siteline.ingest.model import DatasetRow, ParseResult

FIXTURES = Path(__file__).parent / "fixtures" / "datasets"
HEADERS = {
    "who_ssa": (FIXTURES / "ssa_header_only.csv").read_text().strip().split(","),
    "acled": acled.COLUMNS,
    "syrian_archive": list(syrian_archive.REQUIRED) + ["location_name", "geo_accuracy"],
    "airwars": list(airwars.CSV_REQUIRED) + ["lat", "long", "Civilians reported killed"],
}
SETTINGS = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
# Cells that look like the values the parsers read, and anything at all.
cells = st.one_of(
    st.text(max_size=12),
    st.sampled_from(["", "NA", "1.0", "3 – 7", "10+", "2/30/21", "october-7-2023", "1e999",
                     "nan", "-91", "Confirmed", "Fair", "99999999999999999999", "2022-06-30"]),
    st.from_regex(r"\d{1,2}/\d{1,2}/\d{2,4}( 12:00 AM)?", fullmatch=True),
    st.from_regex(r"-?\d{1,4}(\.\d{1,6})?", fullmatch=True),
)  # fmt: skip


def parse_bytes(data: bytes, dataset: str | None, suffix: str = ".csv"):
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"input{suffix}"
        path.write_bytes(data)
        try:
            result = parse_dataset(path, dataset)
        except InvalidInput as error:
            assert error.field  # names the file, or the dataset asked for
            return None
    assert isinstance(result, ParseResult)
    assert all(isinstance(row, DatasetRow) for row in result.records)
    assert all(problem.file == str(path) for problem in result.problems)
    return result


@pytest.mark.parametrize("dataset", [*READERS, None])
@SETTINGS
@given(data=st.binary(max_size=2048))
def test_random_bytes_never_crash(dataset, data):
    parse_bytes(data, dataset)


@pytest.mark.parametrize("dataset", list(HEADERS))
@SETTINGS
@given(
    rows=st.lists(st.lists(cells, min_size=0, max_size=40), max_size=8),
    tail=st.text(max_size=30),
    newline=st.sampled_from(["\n", "\r\n"]),
    encoding=st.sampled_from(["utf-8", "utf-8-sig", "cp1252"]),
)
def test_random_rows_under_the_right_header_never_crash(dataset, rows, tail, newline, encoding):
    header = HEADERS[dataset]
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator=newline)
    writer.writerow(header)
    for row in rows:
        writer.writerow((row + [""] * len(header))[: len(header)] if len(row) % 3 else row)
    text = buffer.getvalue() + tail
    result = parse_bytes(text.encode(encoding, "replace"), dataset)
    if result is not None:
        assert len(result.records) <= len(rows) + text.count("\n") + 1


json_values = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats() | st.text(max_size=10) | cells,
    lambda inner: (
        st.lists(inner, max_size=3) | st.dictionaries(st.text(max_size=5), inner, max_size=3)
    ),
    max_leaves=8,
)
AIRWARS_KEYS = [
    "airwars_id", "incident_code", "incident_date", "location", "location_ar", "latitude",
    "longitude", "alleged_belligerent", "assessment", "strike_type", "civilian_deaths_min",
    "civilian_deaths_max", "civilian_injuries_min", "civilian_injuries_max", "canonical_url",
    "page_fields", "narrative", "sources",
]  # fmt: skip


@SETTINGS
@given(
    records=st.lists(
        st.dictionaries(st.sampled_from(AIRWARS_KEYS), json_values, max_size=len(AIRWARS_KEYS)),
        max_size=6,
    ),
    junk=st.text(max_size=20),
    suffix=st.sampled_from([".jsonl", ".json"]),
)
def test_random_airwars_json_never_crashes(records, junk, suffix):
    lines = [json.dumps({"airwars_id": "1", **record}) for record in records]
    data = ("\n".join(lines) + "\n" + junk).encode("utf-8", "replace")
    parse_bytes(data, "airwars", suffix)
    parse_bytes(json.dumps(records).encode(), "airwars", ".json")


def test_the_fuzzed_headers_are_those_the_parsers_require():
    for module, name in ((ssa, "who_ssa"), (acled, "acled"), (syrian_archive, "syrian_archive")):
        assert set(module.REQUIRED) <= set(HEADERS[name])
