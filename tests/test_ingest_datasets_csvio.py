"""Reading dataset CSV files: encodings, line ends, line numbers, and damaged rows."""

from __future__ import annotations

from pathlib import Path

import pytest

from siteline.errors import InvalidInput
from siteline.ingest.datasets.csvio import (
    SNIFF_BYTES,
    csv_style,
    open_csv,
    sniff_encoding,
    unique_names,
)

FIXTURES = Path(__file__).parent / "fixtures" / "datasets"


def read(path: Path) -> tuple[list[str], list[tuple[int, dict[str, str]]], list[str]]:
    with open_csv(path) as table:
        records = list(table.records())
        return table.header, records, [str(problem) for problem in table.problems]


def write(tmp_path: Path, data: bytes, name: str = "input.csv") -> Path:
    path = tmp_path / name
    path.write_bytes(data)
    return path


@pytest.mark.parametrize(
    ("head", "encoding"),
    [
        (b"\xef\xbb\xbfa,b\n", "utf-8-sig"),
        (b"\xff\xfea\x00,\x00", "utf-16"),
        ("a,Côte\n".encode(), "utf-8"),
        ("a,Côte – d\n".encode("cp1252"), "cp1252"),
        (b"a,b\n", "utf-8"),
        ("a,é".encode()[:-1], "utf-8"),  # a sample cut inside a character is still UTF-8
    ],
)
def test_the_encoding_is_told_from_the_first_bytes(head, encoding):
    assert sniff_encoding(head, "f.csv") == encoding


def test_windows_1252_with_crlf_reads_as_text_without_carriage_returns():
    header, records, _ = read(FIXTURES / "ssa_cp1252_crlf.csv")
    assert header[0] == "year" and header[-1] == "Patient Detention"
    first = records[0][1]
    assert first["Country / Territory"] == "Eastgate Côte"
    assert first["Facility Other"] == "Clinique Saint-Rémy – annexe"  # 0x96 is an en dash
    assert all(not value.endswith("\r") for _, row in records for value in row.values())
    assert csv_style(FIXTURES / "ssa_cp1252_crlf.csv").newline == "\r\n"


def test_a_byte_order_mark_is_not_part_of_the_first_column_name():
    header, records, _ = read(FIXTURES / "ssa_utf8_bom.csv")
    assert header[0] == "year"
    assert records[0][1]["year"] == "2021"
    assert csv_style(FIXTURES / "ssa_utf8_bom.csv").encoding == "utf-8-sig"


def test_a_stray_windows_1252_byte_far_into_a_utf8_file_is_read_as_windows_1252(tmp_path):
    # Beyond the sample the encoding is told from, where a row pasted from elsewhere can be.
    padding = b"x,0\n" * (SNIFF_BYTES // 4 + 1)
    path = write(tmp_path, "a,b\nCôte,1\n".encode() + padding + b"caf\xe9,2\n")
    _, records, problems = read(path)
    assert [row["a"] for _, row in records if row["a"] != "x"] == ["Côte", "café"]
    assert problems == []


def test_each_record_has_the_physical_line_it_starts_on(tmp_path):
    path = write(tmp_path, b'a,b\n1,"two\nlines"\n\n3,x\r\n4,y\n')
    _, records, _ = read(path)
    assert [(line, row["a"]) for line, row in records] == [(2, "1"), (5, "3"), (6, "4")]
    assert records[0][1]["b"] == "two\nlines"


def test_a_row_of_the_wrong_width_is_named_and_the_rest_kept():
    _, records, problems = read(FIXTURES / "ssa_cp1252_crlf.csv")
    assert [line for line, _ in records] == [2, 3, 4, 5, 7, 8]
    assert problems == [f"{FIXTURES / 'ssa_cp1252_crlf.csv'}:6: 4 columns where the header has 25"]


def test_an_unbalanced_quote_costs_only_its_own_row():
    path = FIXTURES / "ssa_unbalanced_quote.csv"
    _, records, problems = read(path)
    assert [row["Attack ID"] for _, row in records] == ["EGT000101", "EGT000104", "EGT000107"]
    assert [line for line, _ in records] == [2, 4, 5]
    assert len(problems) == 1 and problems[0].startswith(f"{path}:3: ")
    assert "unbalanced quote" in problems[0]


def test_an_unbalanced_quote_closed_later_names_the_lines_it_ran_over(tmp_path):
    path = write(tmp_path, b'a,b,c\n1,"open,x\n2,x,y\n3,y"\n4,z,w\n')
    _, records, problems = read(path)
    assert [row["a"] for _, row in records] == ["2", "4"]
    assert [problem.split(": ", 1)[0] for problem in problems] == [f"{path}:2", f"{path}:4"]
    assert "runs on to line 4" in problems[0]


def test_text_after_a_closing_quote_is_a_problem_of_its_row(tmp_path):
    path = write(tmp_path, b'a,b\n1,"x"y\n2,z\n')
    _, records, problems = read(path)
    assert [row["a"] for _, row in records] == ["2"]
    assert problems[0].startswith(f"{path}:2: ")


def test_a_truncated_file_keeps_its_whole_rows():
    _, records, problems = read(FIXTURES / "ssa_truncated.csv")
    assert [row["Attack ID"] for _, row in records] == ["EGT000201"]
    assert problems == [
        f"{FIXTURES / 'ssa_truncated.csv'}:3: the file ends inside a quoted field "
        "(an unbalanced quote, or a truncated file)"
    ]


def test_a_header_only_file_has_no_records_and_no_problems():
    header, records, problems = read(FIXTURES / "ssa_header_only.csv")
    assert len(header) == 25 and records == [] and problems == []


def test_an_empty_file_cannot_be_read():
    with pytest.raises(InvalidInput, match="empty"):
        read(FIXTURES / "empty.csv")


def test_a_binary_file_cannot_be_read(tmp_path):
    path = write(tmp_path, b"\x89PNG\r\n\x1a\n\x00\x00\x00\rIHDR" + bytes(range(256)))
    with pytest.raises(InvalidInput, match="binary") as raised:
        read(path)
    assert raised.value.field == str(path)


def test_a_missing_file_cannot_be_read(tmp_path):
    with pytest.raises(InvalidInput, match="cannot be read"):
        read(tmp_path / "absent.csv")


def test_repeated_column_names_keep_every_column():
    assert unique_names(["a", "b", "a", "a"]) == ["a", "b", "a#2", "a#3"]


def test_the_quoting_style_is_told_from_the_header(tmp_path):
    assert csv_style(write(tmp_path, b'"a","b"\n"1","2"\n', "q.csv")).quote_all
    assert not csv_style(write(tmp_path, b'a,"b"\n1,2\n', "m.csv")).quote_all
