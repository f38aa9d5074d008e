"""Batch audit entries: dataset rows go in with one entry per batch naming each row's
digest, and `audit verify`, `evidence show` and bundles treat every row as accounted for
exactly as they would a row with an entry of its own."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from sqlalchemy import delete, select, update

from siteline.services import audit, bundles, evidence, verification
from siteline.services.bundle_import import BundleError
from siteline.services.ingest_datasets import ingest_datasets
from siteline.store import audit as chain
from siteline.store import transaction
from siteline.store.schema import audit_log, custody
from siteline.store.schema import evidence as evidence_table

FIXTURES = Path(__file__).parent / "fixtures" / "datasets"
SSA = FIXTURES / "ssa_cp1252_crlf.csv"


@pytest.fixture
def small_batches(monkeypatch):
    """Two rows a batch, so that a small file makes several batch entries."""
    monkeypatch.setattr(transaction, "BATCH_RECORDS", 2)


@pytest.fixture
def ingested(case, small_batches) -> list[dict]:
    report = ingest_datasets(case, [SSA])  # the file has bad rows too; the good ones count
    rows = evidence.list_evidence(case, kind="dataset_row")
    assert len(rows) == report.added - 1 >= 3
    return rows


def entries(case) -> list[dict]:
    with case.read() as connection:
        query = select(audit_log).order_by(audit_log.c.seq)
        return [dict(row) for row in connection.execute(query).mappings()]


def execute(case, statement) -> None:
    with case.engine.begin() as connection:
        connection.execute(statement)


def first_problem(case):
    report = audit.verify(case)
    assert not report.ok, "verification missed the tampering"
    return report.problems[0]


def test_rows_are_recorded_in_batches_with_a_digest_each(case, ingested):
    batches = [entry for entry in entries(case) if entry["action"] == chain.BATCH_ACTION]
    assert len(batches) == -(-len(ingested) // 2)
    named = {}
    for entry in batches:
        recorded = json.loads(entry["after"])
        assert "native" in recorded["columns"] and "id" not in recorded["columns"]
        named.update(dict(recorded["records"]))
    assert sorted(named) == [row["id"] for row in ingested]
    # Each digest is SHA-256 of the JSON array of the row's values, recomputable by anyone.
    row = ingested[0]
    columns = json.loads(batches[0]["after"])["columns"]
    assert named[row["id"]] == chain.record_digest([row[column] for column in columns])
    assert audit.verify(case).ok


def test_rows_share_the_custody_of_their_file(case, ingested):
    with case.read() as connection:
        held = connection.execute(select(custody.c.object_id)).scalars().all()
    file_id = ingested[0]["within_id"]
    assert held == [file_id]
    shown = evidence.show_evidence(case, ingested[0]["id"])
    assert [record["object_id"] for record in shown["custody"]] == [file_id]


def test_a_rows_history_names_the_batch_that_created_it(case, ingested):
    for row in ingested:
        history = evidence.show_evidence(case, row["id"])["history"]
        assert [entry["action"] for entry in history] == [chain.BATCH_ACTION]
        batch = next(entry for entry in entries(case) if entry["seq"] == history[0]["seq"])
        assert row["id"] in dict(json.loads(batch["after"])["records"])
    verification.transition(case, ingested[1]["id"], "in_review")
    history = evidence.show_evidence(case, ingested[1]["id"])["history"]
    assert [entry["action"] for entry in history] == [chain.BATCH_ACTION, "update"]
    assert audit.verify(case).ok


def test_a_row_altered_behind_sitelines_back_is_named(case, ingested):
    target = ingested[2]
    execute(
        case,
        update(evidence_table).where(evidence_table.c.id == target["id"]).values(title="moved"),
    )
    problem = first_problem(case)
    assert problem.where == f"evidence {target['id']}"
    assert problem.what.startswith("altered: differs from its record in audit entry #")


def test_a_column_the_batch_left_empty_filled_in_is_named(case, ingested):
    target = ingested[0]
    execute(
        case,
        update(evidence_table)
        .where(evidence_table.c.id == target["id"])
        .values(author_name="someone"),
    )
    assert first_problem(case).where == f"evidence {target['id']}"


def test_a_row_removed_is_named_with_its_batch_entry(case, ingested):
    target = ingested[-1]
    execute(case, delete(evidence_table).where(evidence_table.c.id == target["id"]))
    problem = first_problem(case)
    assert problem.where == f"evidence {target['id']}"
    assert problem.what.startswith("removed from the database (audit entry #")


def test_a_batch_entry_edited_is_caught_and_its_rows_unaccounted_for(case, ingested):
    batch = next(entry for entry in entries(case) if entry["action"] == chain.BATCH_ACTION)
    execute(case, update(audit_log).where(audit_log.c.seq == batch["seq"]).values(after="[]"))
    problems = audit.verify(case).problems
    assert "altered: its 'after' record does not match its digest" in problems[0].what
    assert any("inserted outside Siteline" in problem.what for problem in problems[1:])


def test_rows_round_trip_through_a_bundle(case, ingested, tmp_path, restore):
    bundle = tmp_path / "bundle"
    bundles.export_bundle(case, bundle)
    restored = restore(bundle)
    assert evidence.list_evidence(restored, kind="dataset_row") == ingested
    assert audit.verify(restored).ok


def test_a_row_altered_in_a_bundle_is_refused(case, ingested, tmp_path, case_dir):
    import bagit

    bundle = tmp_path / "bundle"
    bundles.export_bundle(case, bundle)
    path = bundle / "data" / "records" / "evidence.jsonl"
    lines = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines()]
    target = next(line for line in lines if line["kind"] == "dataset_row")
    target["title"] = "moved"
    path.write_text("".join(json.dumps(line) + "\n" for line in lines), encoding="utf-8")
    bagit.Bag(str(bundle)).save(manifests=True)
    with pytest.raises(BundleError, match=rf"evidence {target['id']} differs from its digest"):
        bundles.import_bundle(bundle, case_dir("restored"))


def test_spans_sort_as_numbers_and_hold_their_ids():
    span = chain.batch_span([12, 13, 2011])
    assert span == "000000000012..000000002011"
    assert chain.in_batch_span(span, 12) and chain.in_batch_span(span, 2011)
    assert not chain.in_batch_span(span, 11) and not chain.in_batch_span(span, 2012)
    assert not chain.in_batch_span("12", 12)
    assert chain.batch_span([9]) < chain.span_upper_bound(10) < chain.batch_span([11])


def test_rows_within_a_file_left_out_go_with_it_and_are_named_left_out(
    case, ingested, tmp_path, restore
):
    file_id = ingested[0]["within_id"]
    with case.write() as writing:  # as if the file had come in confidential
        writing.update("evidence", file_id, {"sensitivity": "confidential"})
    bundle = tmp_path / "without-confidential"
    summary = bundles.export_bundle(case, bundle, confidential="omit")
    carried = (bundle / "data" / "records" / "evidence.jsonl").read_text(encoding="utf-8")
    assert carried == "" and summary["omitted"]["evidence"] == len(ingested) + 1
    restored = restore(bundle)
    assert evidence.list_evidence(restored) == []
    left_out = [entry for entry in entries(restored) if entry["action"] == "left_out"]
    assert sorted(int(entry["object_id"]) for entry in left_out) == [r["id"] for r in ingested]
    assert audit.verify(restored).ok


def test_a_batch_row_missing_from_a_bundle_without_being_named_left_out_is_refused(
    case, ingested, tmp_path, case_dir
):
    import bagit

    bundle = tmp_path / "bundle"
    bundles.export_bundle(case, bundle)
    path = bundle / "data" / "records" / "evidence.jsonl"
    lines = path.read_text(encoding="utf-8").splitlines(keepends=True)
    path.write_text("".join(lines[:-1]), encoding="utf-8")
    bagit.Bag(str(bundle)).save(manifests=True)
    with pytest.raises(BundleError, match=rf"evidence {ingested[-1]['id']} is missing, though"):
        bundles.import_bundle(bundle, case_dir("restored"))


def test_rows_within_a_restricted_file_never_reach_a_public_bundle(case, ingested, tmp_path):
    file_id = ingested[0]["within_id"]
    evidence.update_evidence(case, file_id, title="a restricted register")
    with case.write() as writing:
        writing.update("evidence", file_id, {"sensitivity": "restricted"})
    bundle = tmp_path / "public"
    bundles.export_bundle(case, bundle, public=True)
    carried = (bundle / "data" / "records" / "evidence.jsonl").read_text(encoding="utf-8")
    assert "dataset_row" not in carried and "EGT0001" not in carried
    left_out = (bundle / "data" / "audit" / "left_out.jsonl").read_text(encoding="utf-8")
    assert f'"id":"{ingested[0]["id"]}"' in left_out
