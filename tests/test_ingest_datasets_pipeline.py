"""Dataset ingest with the reading in a second process: the same case as reading here, rows
met again across chunks recognised, and a failure there leaving the case as it was."""

from __future__ import annotations

import csv
import os
from pathlib import Path

import pytest

from siteline.services import audit, cases, evidence
from siteline.services import dataset_rows as dataset_rows_module
from siteline.services.dataset_rows import CHUNK
from siteline.services.ingest_datasets import ingest_datasets
from siteline.services.second_process import SecondProcessFailed, items_from_second_process

FIXTURES = Path(__file__).parent / "fixtures" / "datasets"
# Columns that differ between two runs by their nature: when each ran.
RUN_TIMES = {"id", "within_id", "collected_at", "created_at"}


def who_rows(folder: Path, count: int, name: str = "ssa_many.csv") -> Path:
    """A WHO SSA file of `count` rows: the fixture's rows again and again, each its own id."""
    with open(FIXTURES / "ssa_utf8_bom.csv", newline="", encoding="utf-8-sig") as reading:
        header, *body = list(csv.reader(reading))
    id_column = header.index("Attack ID")
    path = folder / name
    with open(path, "w", newline="", encoding="utf-8") as writing:
        writer = csv.writer(writing)
        writer.writerow(header)
        for number in range(count):
            row = list(body[number % len(body)])
            row[id_column] = f"EGT{number:07d}"
            writer.writerow(row)
    return path


def stored_rows(case) -> list[dict]:
    found = evidence.list_evidence(case, kind="dataset_row", limit=100_000)
    return [{k: v for k, v in row.items() if k not in RUN_TIMES} for row in found]


def problems_of(report) -> list[tuple]:
    return [(problem.file, problem.line, problem.message) for problem in report.problems]


def test_reading_in_a_second_process_gives_the_same_case(case_dir, tmp_path):
    inputs = [
        who_rows(tmp_path, CHUNK * 2 + 17),
        FIXTURES / "acled_bad_rows.csv",
        FIXTURES / "airwars_bad_lines.jsonl",
        FIXTURES / "ssa_unbalanced_quote.csv",
    ]
    here = cases.init_case(case_dir("here"), "read here")
    there = cases.init_case(case_dir("there"), "read in a second process")
    try:
        by_here = ingest_datasets(here, inputs, second_process=False)
        by_there = ingest_datasets(there, inputs, second_process=True)
        assert problems_of(by_here) == problems_of(by_there) != []
        assert (by_here.added, by_here.files) == (by_there.added, by_there.files)
        assert by_there.added > CHUNK * 2
        assert stored_rows(here) == stored_rows(there)
        assert audit.verify(there).ok
    finally:
        here.close()
        there.close()


def test_a_row_met_again_in_a_later_chunk_is_recognised(case, tmp_path):
    path = who_rows(tmp_path, CHUNK + 5)
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    # The second row again at the end (the same content), and the third changed.
    changed = lines[3].replace("Confirmed", "Probable", 1)
    assert changed != lines[3]
    path.write_text("".join([*lines, lines[2], changed]), encoding="utf-8")
    report = ingest_datasets(case, [path], second_process=True)
    assert report.ok
    assert report.added == 1 + CHUNK + 5 + 1  # the file, its rows, one new version
    assert (report.unchanged, report.versions) == (1, 1)
    assert audit.verify(case).ok


def test_a_failure_in_the_second_process_leaves_the_case_as_it_was(case, tmp_path, monkeypatch):
    before = cases.summary(case)
    original = dataset_rows_module.row_values
    seen = []

    def failing_after_a_chunk(row, file_name, now):
        seen.append(row)
        if len(seen) > CHUNK + 3:
            raise RuntimeError("the disk went away")
        return original(row, file_name, now)

    # The second process is forked from this one: it runs the function set here.
    monkeypatch.setattr(dataset_rows_module, "row_values", failing_after_a_chunk)
    with pytest.raises(SecondProcessFailed, match="RuntimeError: the disk went away"):
        ingest_datasets(case, [who_rows(tmp_path, CHUNK * 3)], second_process=True)
    assert seen == []  # the rows were made there, not here
    assert cases.summary(case) == before
    assert audit.verify(case).ok


def test_a_lone_surrogate_escape_is_a_problem_of_its_line_not_a_crash(case, tmp_path):
    good = (FIXTURES / "airwars_bad_lines.jsonl").read_text(encoding="utf-8").splitlines()[0]
    bad = good.replace('"incident_code": "', '"incident_code": "\\ud800', 1)
    assert bad != good
    path = tmp_path / "airwars_surrogate.jsonl"
    path.write_text(f"{bad}\n{good}\n", encoding="utf-8")
    report = ingest_datasets(case, [path])
    assert [(p.line, "surrogate" in p.message) for p in report.problems] == [(1, True)]
    assert report.added == 2  # the file and its good line


def items_then_failure(count: int):
    yield from range(count)
    raise ValueError(f"after {count}")


def items_then_exit(count: int):
    yield from range(count)
    os._exit(3)


def test_items_come_back_in_order_and_a_failure_there_is_raised_here():
    assert list(items_from_second_process(range, 5)) == [0, 1, 2, 3, 4]
    got = []
    with pytest.raises(SecondProcessFailed, match="ValueError: after 3"):
        got.extend(items_from_second_process(items_then_failure, 3))
    assert got == [0, 1, 2]


def test_a_second_process_that_dies_is_named_with_its_exit_code():
    with pytest.raises(SecondProcessFailed, match="exit code 3"):
        list(items_from_second_process(items_then_exit, 2))
