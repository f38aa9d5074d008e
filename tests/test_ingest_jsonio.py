"""Reading JSON as people hold it (through the Twitter reader, the plainest of them):
encodings, line ends, files cut short, hostile nesting, size limits and streaming."""

from __future__ import annotations

import json
import tracemalloc
from pathlib import Path

import pytest

from siteline.errors import InvalidInput
from siteline.ingest.jsonio import read_document, read_records
from siteline.ingest.model import RowProblem
from siteline.ingest.twitter import parse_twitter

FIXTURES = Path(__file__).parent / "fixtures" / "exports" / "twitter"


# Encodings, line ends and damage.


def twarc_line(tweet_id: str, text: str) -> str:
    return json.dumps(
        {"id_str": tweet_id, "text": text, "created_at": "Tue Sep 27 10:00:00 +0000 2016",
         "user": {"screen_name": "eastgate_medic"}},
        ensure_ascii=False,
    )  # fmt: skip


@pytest.mark.parametrize(
    ("encoding", "newline"),
    [
        ("utf-8", "\n"),
        ("utf-8-sig", "\r\n"),
        ("utf-16", "\r\n"),
        ("utf-16-le", "\n"),
        ("utf-16-be", "\n"),
        ("cp1252", "\r\n"),
    ],
)
def test_any_common_encoding_and_line_end_is_read(tmp_path, encoding, newline):
    lines = [twarc_line("1", "Café near the clinic — «east wing»"), twarc_line("2", "Second")]
    path = tmp_path / "tweets.jsonl"
    path.write_bytes((newline.join(lines) + newline).encode(encoding))
    result = parse_twitter(path)
    assert result.problems == []
    assert [post.text for post in result.records] == [
        "Café near the clinic — «east wing»",
        "Second",
    ]


def test_a_document_in_utf16_is_read(tmp_path):
    path = tmp_path / "v2.json"
    path.write_bytes((FIXTURES / "v2_response.json").read_text().encode("utf-16"))
    assert len(parse_twitter(path).records) == 3


def test_an_array_cut_short_keeps_the_records_before_the_cut(tmp_path):
    text = (FIXTURES / "v1_array.json").read_text()
    path = tmp_path / "cut.json"
    path.write_text(text[: text.index("Generators still")])
    result = parse_twitter(path)
    assert [post.post_id for post in result.records] == ["780000000000000400"]
    assert result.problems[-1].line == 3
    assert "the rest of the array was not read" in result.problems[-1].message


def test_an_array_with_no_closing_bracket_says_it_is_cut_short(tmp_path):
    path = tmp_path / "cut.json"
    path.write_text("[" + twarc_line("1", "kept") + ",\n" + twarc_line("2", "kept too") + "\n")
    result = parse_twitter(path)
    assert len(result.records) == 2
    assert result.problems == [
        RowProblem(str(path), 3, "the array is cut short: the file ends after record 2")
    ]


def test_deep_nesting_nan_and_huge_numbers_are_problems_of_their_line(tmp_path):
    path = tmp_path / "t.jsonl"
    bad = ["[" * 100_000, '{"id_str": "1", "user": {}, "x": NaN}', '{"id": ' + "9" * 5000 + "}"]
    path.write_text("\n".join([twarc_line("1", "kept"), *bad, twarc_line("2", "kept")]))
    result = parse_twitter(path)
    assert [post.post_id for post in result.records] == ["1", "2"]
    assert [(p.line, p.message) for p in result.problems] == [
        (2, "not readable JSON (nested too deeply)"),
        (3, "not valid JSON (NaN is not a JSON value)"),
        (4, "not valid JSON (Exceeds the limit (4300 digits) for integer string conversion)"),
    ]


def test_a_lone_surrogate_escape_is_a_problem_of_its_line_and_a_pair_is_kept(tmp_path):
    path = tmp_path / "t.jsonl"
    lone = twarc_line("2", "x").replace('"text": "x"', '"text": "broken \\ud83d here"')
    paired = twarc_line("3", "x").replace('"text": "x"', '"text": "smile \\ud83d\\ude00"')
    escaped = twarc_line("4", "x").replace('"text": "x"', '"text": "a path \\\\ud800"')
    path.write_text("\n".join([twarc_line("1", "kept"), lone, paired, escaped]))
    result = parse_twitter(path)
    assert [post.post_id for post in result.records] == ["1", "3", "4"]
    assert result.records[1].text == "smile \U0001f600"
    assert result.records[2].text == "a path \\ud800"  # a backslash, then letters
    assert [(p.line, "surrogate" in p.message) for p in result.problems] == [(2, True)]


# Size limits and streaming.


def test_a_document_above_the_limit_is_refused_before_it_is_read(tmp_path):
    path = tmp_path / "big.json"
    path.write_text("[" + ",".join(["1"] * 1000) + "]")
    with pytest.raises(InvalidInput, match="larger than 100 bytes"):
        read_document(path, max_bytes=100)
    with pytest.raises(InvalidInput, match="larger than 100 bytes"):
        list(read_records(path, max_bytes=100))


def test_an_overlong_line_is_a_problem_and_its_neighbours_are_kept(tmp_path):
    path = tmp_path / "t.jsonl"
    path.write_text("\n".join(['{"a": 1}', '{"b": "' + "x" * 500 + '"}', '{"c": 3}']))
    found = list(read_records(path, max_line=100))
    assert [r.value for r in found if not isinstance(r, RowProblem)] == [{"a": 1}, {"c": 3}]
    assert found[1] == RowProblem(str(path), 2, "longer than 100 bytes; not read")


def test_json_lines_are_streamed_not_loaded_whole(tmp_path):
    path = tmp_path / "many.jsonl"
    line = json.dumps({"id_str": "1", "text": "y" * 1000}) + "\n"
    path.write_text(line * 20_000)  # about 20 MB
    tracemalloc.start()
    try:
        count = sum(1 for _ in read_records(path))
        peak = tracemalloc.get_traced_memory()[1]
    finally:
        tracemalloc.stop()
    assert count == 20_000
    assert peak < 2_000_000
