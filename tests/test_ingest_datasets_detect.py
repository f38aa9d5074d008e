"""Telling a dataset from its file, and refusing files that are none of them."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import shared_data

from siteline.errors import InvalidInput
from siteline.ingest.datasets import detect_dataset, parse_dataset

FIXTURES = Path(__file__).parent / "fixtures" / "datasets"


@pytest.mark.parametrize(
    ("relative", "dataset"),
    [
        ("who_ssa_attacks/ssa_attacks.csv", "who_ssa"),
        ("airwars_incidents/airwars_syria_incidents.jsonl", "airwars"),
        ("airwars_incidents/airwars_gaza_scrape_subset.csv", "airwars"),
        ("airwars_incidents/raw_examples/airwars-100736.json", "airwars"),
        ("acled_format/acled_argentina_2022_events.csv", "acled"),
        ("syrian_archive_incidents/chemweap.csv", "syrian_archive"),
    ],
)
def test_each_real_file_is_told_by_its_header_or_keys(relative, dataset):
    path = shared_data(relative)
    assert detect_dataset(path) == dataset
    result = parse_dataset(path)
    assert result.records and {row.dataset for row in result.records} == {dataset}


@pytest.mark.parametrize(
    "relative", ["acled_format/acled_codebook.csv", "syria_gazetteer/geonames_aleppo_sample.json"]
)
def test_files_of_no_known_dataset_are_refused_by_name(relative):
    path = shared_data(relative)
    with pytest.raises(InvalidInput, match="not a dataset Siteline knows") as raised:
        detect_dataset(path)
    assert raised.value.field == str(path)


def test_a_named_dataset_whose_columns_are_absent_is_refused():
    with pytest.raises(InvalidInput, match="the header lacks 'event_id_cnty'"):
        parse_dataset(FIXTURES / "ssa_utf8_bom.csv", "acled")


def test_an_unknown_dataset_name_is_refused():
    with pytest.raises(InvalidInput, match="who_ssa, airwars, acled, syrian_archive"):
        parse_dataset(FIXTURES / "ssa_utf8_bom.csv", "gdelt")


def test_empty_and_binary_files_are_refused(tmp_path):
    binary = tmp_path / "photo.csv"
    binary.write_bytes(b"\xff\xd8\xff\xe0\x00\x10JFIF\x00" + bytes(200))
    for path in (FIXTURES / "empty.csv", binary):
        with pytest.raises(InvalidInput):
            parse_dataset(path)


def test_a_header_only_file_is_its_dataset_with_no_rows():
    path = FIXTURES / "ssa_header_only.csv"
    assert detect_dataset(path) == "who_ssa"
    result = parse_dataset(path)
    assert (result.records, result.problems) == ([], [])
