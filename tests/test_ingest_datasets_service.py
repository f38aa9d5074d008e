"""Conflict datasets into a case: rows within their file with native columns and a
candidate incident, runs that add nothing twice, bad rows named, and ACLED back out."""

from __future__ import annotations

import json
import shutil
from pathlib import Path

import pytest
from click.testing import CliRunner
from conftest import shared_data

from siteline.cli import cli
from siteline.domain.workflow import Workflow
from siteline.errors import InvalidInput
from siteline.ingest.datasets import parse_dataset
from siteline.services import audit, cases, evidence, verification
from siteline.services.export_datasets import export_acled
from siteline.services.ingest_datasets import candidate_of, ingest_datasets

FIXTURES = Path(__file__).parent / "fixtures" / "datasets"


def rows(case) -> list[dict]:
    return evidence.list_evidence(case, kind="dataset_row")


def test_who_rows_become_items_within_the_file_with_candidates(case):
    path = shared_data("who_ssa_attacks/ssa_attacks.csv")
    parsed = parse_dataset(path)
    report = ingest_datasets(case, [path])
    found = rows(case)
    assert len(found) == len(parsed.records) == report.added - 1
    file_item = evidence.get_evidence(case, found[0]["within_id"])
    assert evidence.read_original(case, file_item["id"]) == path.read_bytes()
    first = parsed.records[0]
    assert found[0]["ingest_key"] == f"who_ssa:{first.row_id}"
    assert json.loads(found[0]["native"]) == first.native
    candidate = candidate_of(found[0])
    assert candidate is not None and candidate["certainty"] == first.incident.certainty
    assert audit.verify(case).ok


def test_the_same_dataset_twice_adds_nothing(case):
    path = shared_data("syrian_archive_incidents/chemweap.csv")
    ingest_datasets(case, [path])
    before = cases.summary(case)
    again = ingest_datasets(case, [path])
    assert again.added == 0 and again.unchanged == 1 + len(parse_dataset(path).records)
    assert cases.summary(case) == before


def test_a_changed_row_is_a_new_version(case, tmp_path):
    original = FIXTURES / "acled_quoted_crlf.csv"
    ingest_datasets(case, [original])
    changed = tmp_path / "acled_changed.csv"
    changed.write_bytes(original.read_bytes().replace(b"Riverside", b"Riverbank", 1))
    report = ingest_datasets(case, [changed])
    assert report.versions == 1 and report.added == 2  # the new file and one new version


def test_bad_rows_are_named_and_good_rows_kept(case):
    path = FIXTURES / "acled_bad_rows.csv"
    parsed = parse_dataset(path)
    assert parsed.problems and parsed.records
    report = ingest_datasets(case, [path])
    assert [(p.file, p.line) for p in report.problems] == [
        (p.file, p.line) for p in parsed.problems
    ]
    assert len(rows(case)) == len(parsed.records)


def test_an_unreadable_file_is_named_and_the_others_kept(case, tmp_path):
    binary = tmp_path / "noise.csv"
    binary.write_bytes(bytes(range(256)) * 4)
    report = ingest_datasets(case, [binary, FIXTURES / "acled_quoted_crlf.csv"])
    assert [problem.file for problem in report.problems] == [str(binary)]
    assert rows(case)


def test_an_unknown_dataset_name_or_missing_file_is_refused(case, tmp_path):
    with pytest.raises(InvalidInput, match="'gdelt' is not one of"):
        ingest_datasets(case, [FIXTURES / "empty.csv"], "gdelt")
    with pytest.raises(InvalidInput, match="no such file or folder"):
        ingest_datasets(case, [tmp_path / "absent.csv"])


def test_acled_rows_export_back_byte_for_byte(case, tmp_path):
    path = shared_data("acled_format/acled_argentina_2022_events.csv")
    ingest_datasets(case, [path])
    out = tmp_path / "out.csv"
    assert export_acled(case, out) == len(parse_dataset(path).records)
    assert out.read_bytes() == path.read_bytes()


def test_the_commands_ingest_and_export(case, tmp_path):
    source = tmp_path / "acled.csv"
    shutil.copy(FIXTURES / "acled_quoted_crlf.csv", source)
    case.close()
    runner = CliRunner()
    base = ["-C", str(case.folder)]
    result = runner.invoke(cli, [*base, "ingest", "dataset", str(source), "--dataset", "acled"])
    assert result.exit_code == 0, result.output
    out = tmp_path / "back.csv"
    result = runner.invoke(cli, [*base, "export", "acled", str(out)])
    assert result.exit_code == 0, result.output
    assert out.read_bytes() == source.read_bytes()
    result = runner.invoke(cli, [*base, "ingest", "dataset", str(FIXTURES / "acled_bad_rows.csv")])
    assert result.exit_code == 8 and "acled_bad_rows.csv:" in result.output


def test_an_export_to_a_folder_that_does_not_exist_is_refused_naming_it(case, tmp_path):
    ingest_datasets(case, [FIXTURES / "acled_quoted_crlf.csv"])
    out = tmp_path / "absent" / "out.csv"
    with pytest.raises(InvalidInput, match=f"{out}: cannot be written"):
        export_acled(case, out)
    assert not out.parent.exists()


def test_an_export_of_a_case_without_acled_rows_is_refused(case, tmp_path):
    with pytest.raises(InvalidInput, match="no ACLED rows"):
        export_acled(case, tmp_path / "out.csv")
    assert not (tmp_path / "out.csv").exists()


def test_rows_start_at_the_first_status_of_the_case_workflow(case):
    """Rows are made in another process with the default first status; a case whose
    workflow starts elsewhere stores its own first status."""
    workflow = {
        "statuses": ["received", "checked", "set_aside"],
        "initial": "received",
        "transitions": {"received": ["checked"]},
        "from_any": ["set_aside"],
        "verified": "checked",
        "discarded": "set_aside",
        "note_required": ["set_aside"],
    }
    verification.set_workflow(case, Workflow.from_dict(workflow))
    ingest_datasets(case, [FIXTURES / "acled_quoted_crlf.csv"])
    statuses = {item["verification_status"] for item in evidence.list_evidence(case)}
    assert statuses == {"received"}
    assert audit.verify(case).ok
