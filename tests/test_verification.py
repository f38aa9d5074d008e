"""Verification through the service layer and the command line: items moved through the
case's workflow by two people, every step audited, every refusal leaving no trace."""

from __future__ import annotations

import json
from contextlib import contextmanager

import pytest
from click.testing import CliRunner
from sqlalchemy import select

from siteline.cli import cli
from siteline.domain.entities import Custody, EvidenceItem, Source
from siteline.domain.values import Location
from siteline.domain.workflow import DEFAULT_WORKFLOW, Workflow
from siteline.errors import CaseError, InvalidInput, NotFound
from siteline.services import audit, bundles, evidence, sources, verification
from siteline.store.case_folder import read_head
from siteline.store.schema import AUDITED_TABLES, settings

GEOLOCATION = {"method": "landmarks matched to satellite imagery", "precision": "vicinity"}
CHRONOLOCATION = {"method": "shadow length against the sun's position", "time": "2016-09-28T04"}
ASSESSMENT = {"grade": "B2", "note": "a stringer known to the team"}

CUSTOM = {
    "statuses": ["new", "checked", "confirmed", "set_aside"],
    "initial": "new",
    "transitions": {"new": ["checked"], "checked": ["confirmed", "new"]},
    "from_any": ["set_aside"],
    "requires": {"checked": ["chronolocation"]},
    "sign_off": ["confirmed"],
    "note_required": [],
    "verified": "confirmed",
    "discarded": "set_aside",
}


@contextmanager
def acting_as(case, name: str):
    """Another person working on the same case (what SITELINE_ACTOR names)."""
    before, case.actor = case.actor, name
    try:
        yield
    finally:
        case.actor = before


def add_item(case, text: str = "The hospital's east wing was hit at dawn.", **fields) -> dict:
    fields.setdefault("claimed_location", Location(36.2001, 37.1502, "locality"))
    return evidence.add_evidence(
        case, EvidenceItem(kind="social_post", text=text, **fields), Custody("copied")
    )


def everything(case) -> tuple:
    """What a refused step must leave exactly as it was: every row, and the chain's head."""
    with case.read() as connection:
        rows = {
            object_type: [dict(row) for row in connection.execute(select(table)).mappings()]
            for object_type, table in AUDITED_TABLES.items()
        }
    return rows, read_head(case.folder)


def status(case, item: dict) -> str:
    return evidence.get_evidence(case, item["id"])["verification_status"]


def walk_to_chronolocated(case, item: dict) -> None:
    verification.transition(case, item["id"], "in_review")
    verification.transition(case, item["id"], "geolocated", {"geolocation": GEOLOCATION})
    verification.transition(case, item["id"], "chronolocated", {"chronolocation": CHRONOLOCATION})


# The default workflow, end to end.


def test_an_item_goes_from_collected_to_verified_with_two_people(case):
    item = add_item(case)
    assert item["verification_status"] == "collected"

    reviewed = verification.transition(case, item["id"], "in review", note="looks first-hand")
    assert (reviewed["from_status"], reviewed["to_status"], reviewed["state"]) == (
        "collected",
        "in_review",
        "done",
    )
    assert (reviewed["actor"], reviewed["note"], reviewed["checks"]) == (
        "tester",
        "looks first-hand",
        {},
    )
    verification.transition(case, item["id"], "geolocated", {"geolocation": GEOLOCATION})
    located = evidence.get_evidence(case, item["id"])
    # No place given: the geolocation confirms the place the item claims, at its precision.
    assert (located["verified_lat"], located["verified_lon"]) == (36.2001, 37.1502)
    assert located["verified_precision"] == "vicinity"
    timed = verification.transition(
        case, item["id"], "chronolocated", {"chronolocation": CHRONOLOCATION}
    )
    assert timed["checks"]["chronolocation"]["time"] == "2016-09-28T04:00:00Z"
    assert status(case, item) == "chronolocated"

    asked = verification.transition(
        case, item["id"], "verified", {"source_assessment": ASSESSMENT}, note="ready"
    )
    assert asked["state"] == "awaiting_sign_off"
    assert status(case, item) == "chronolocated"  # until a second person signs off
    assert evidence.get_evidence(case, item["id"])["credibility"] == 6
    assert [review["id"] for review in verification.pending(case)] == [asked["id"]]

    entries_before = len(audit.load_chain(case))
    with acting_as(case, "second reviewer"):
        signed = verification.sign_off(case, item["id"], note="checked the landmarks again")
    assert (signed["id"], signed["state"], signed["signed_off_by"]) == (
        asked["id"],
        "done",
        "second reviewer",
    )
    assert signed["signed_off_at"] is not None
    assert signed["checks"]["sign_off"] == {"note": "checked the landmarks again"}
    verified = evidence.get_evidence(case, item["id"])
    assert (verified["verification_status"], verified["credibility"]) == ("verified", 2)
    assert verification.pending(case) == []
    assert verification.workflow_of(case).verified_status == verified["verification_status"]

    # The sign-off is one step: the review's update and the item's, by the second person.
    new_entries = audit.load_chain(case)[entries_before:]
    assert [(e["action"], e["object_type"], e["actor"]) for e in new_entries] == [
        ("update", "review", "second reviewer"),
        ("update", "evidence", "second reviewer"),
    ]
    steps = verification.history(case, item["id"])
    assert [(s["from_status"], s["to_status"], s["state"]) for s in steps] == [
        ("collected", "in_review", "done"),
        ("in_review", "geolocated", "done"),
        ("geolocated", "chronolocated", "done"),
        ("chronolocated", "verified", "done"),
    ]
    assert steps[1]["checks"]["geolocation"]["location_from"] == "claimed"
    assert steps[3]["checks"]["source_assessment"]["grade"] == "B2"
    report = audit.verify(case)
    assert report.ok, report.problems


def test_every_step_is_a_review_and_an_update_in_the_chain(case):
    item = add_item(case)
    before = len(audit.load_chain(case))
    review = verification.transition(case, item["id"], "in_review")
    entries = audit.load_chain(case)[before:]
    assert [(e["action"], e["object_type"], e["object_id"]) for e in entries] == [
        ("create", "review", str(review["id"])),
        ("update", "evidence", str(item["id"])),
    ]
    changed = json.loads(entries[1]["before"]), json.loads(entries[1]["after"])
    assert [record["verification_status"] for record in changed] == ["collected", "in_review"]


def test_a_place_given_with_the_geolocation_becomes_the_verified_place(case):
    item = add_item(case, claimed_location=None)
    verification.transition(case, item["id"], "in_review")
    verification.transition(
        case,
        item["id"],
        "geolocated",
        {"geolocation": {**GEOLOCATION, "precision": "exact", "location": "36.21,37.16"}},
    )
    found = evidence.get_evidence(case, item["id"])
    assert (found["verified_lat"], found["verified_lon"], found["verified_precision"]) == (
        36.21,
        37.16,
        "exact",
    )
    assert "location_from" not in verification.history(case, item["id"])[-1]["checks"]


def test_an_item_is_discarded_from_any_status_with_a_note(case):
    early, late = add_item(case, "first"), add_item(case, "second")
    walk_to_chronolocated(case, late)
    for item in (early, late):
        review = verification.transition(case, item["id"], "discarded", note="staged footage")
        assert (review["state"], review["note"]) == ("done", "staged footage")
        assert status(case, item) == "discarded"
    assert verification.workflow_of(case).discarded_status == "discarded"
    with pytest.raises(InvalidInput, match="from 'discarded' it can go to: nowhere"):
        verification.transition(case, early["id"], "in_review")


def test_a_pending_sign_off_can_be_withdrawn_and_asked_again(case):
    item = add_item(case)
    walk_to_chronolocated(case, item)
    first = verification.transition(case, item["id"], "verified", {"source_assessment": ASSESSMENT})
    with acting_as(case, "second reviewer"):
        withdrawn = verification.withdraw(case, item["id"], note="the grade is too high")
    assert withdrawn["state"] == "withdrawn"
    assert withdrawn["checks"]["withdrawal"] == {
        "by": "second reviewer",
        "note": "the grade is too high",
    }
    assert status(case, item) == "chronolocated"
    with pytest.raises(NotFound, match="no step awaits a sign-off"):
        verification.sign_off(case, item["id"])
    again = verification.transition(
        case, item["id"], "verified", {"source_assessment": {"grade": "C3"}}
    )
    assert again["id"] != first["id"]
    with acting_as(case, "second reviewer"):
        verification.sign_off(case, item["id"])
    found = evidence.get_evidence(case, item["id"])
    assert (found["verification_status"], found["credibility"]) == ("verified", 3)
    states = [step["state"] for step in verification.history(case, item["id"])]
    assert states[-2:] == ["withdrawn", "done"]
    assert audit.verify(case).ok


# Refusals: each names the problem, and leaves everything as it was.


def refused(case, call, error, message):
    before = everything(case)
    with pytest.raises(error, match=message):
        call()
    assert everything(case) == before


def test_a_move_the_workflow_does_not_allow_names_the_allowed_ones(case):
    item = add_item(case)
    refused(
        case,
        lambda: verification.transition(case, item["id"], "verified"),
        InvalidInput,
        r"status: evidence #\d+ is 'collected' and cannot go to 'verified'; "
        "from 'collected' it can go to: in_review, discarded",
    )
    refused(
        case,
        lambda: verification.transition(case, item["id"], "collected"),
        InvalidInput,
        "is already 'collected'",
    )
    refused(
        case,
        lambda: verification.transition(case, item["id"], "approved"),
        InvalidInput,
        "'approved' is not a status of this case's workflow",
    )


@pytest.mark.parametrize(
    ("to_status", "checks", "message"),
    [
        ("geolocated", None, "geolocation: reaching 'geolocated' needs a geolocation"),
        ("geolocated", {"geolocation": {"method": "landmarks"}}, "geolocation.precision"),
        (
            "geolocated",
            {"geolocation": {**GEOLOCATION, "location": "360,0"}},
            "geolocation.location: latitude 360.0",
        ),
        (
            "geolocated",
            {"geolocation": GEOLOCATION, "satellite": {"x": 1}},
            "checks: 'satellite' is not a check",
        ),
    ],
)
def test_a_missing_or_bad_check_is_refused(case, to_status, checks, message):
    item = add_item(case)
    verification.transition(case, item["id"], "in_review")
    refused(
        case,
        lambda: verification.transition(case, item["id"], to_status, checks),
        InvalidInput,
        message,
    )


def test_a_geolocation_without_a_place_needs_a_claimed_one(case):
    item = add_item(case, claimed_location=None)
    verification.transition(case, item["id"], "in_review")
    refused(
        case,
        lambda: verification.transition(
            case, item["id"], "geolocated", {"geolocation": GEOLOCATION}
        ),
        InvalidInput,
        "geolocation.location: .* claims no place to confirm",
    )


def test_discarding_needs_a_note(case):
    item = add_item(case)
    refused(
        case,
        lambda: verification.transition(case, item["id"], "discarded", note="  "),
        InvalidInput,
        "note: reaching 'discarded' needs a note",
    )


def test_the_person_who_asked_cannot_sign_off(case):
    item = add_item(case)
    walk_to_chronolocated(case, item)
    verification.transition(case, item["id"], "verified", {"source_assessment": ASSESSMENT})
    refused(
        case,
        lambda: verification.sign_off(case, item["id"]),
        InvalidInput,
        "actor: 'tester' asked for review #\\d+ .* a second person must sign it off",
    )
    with acting_as(case, " TESTER "):  # the same name, typed otherwise
        refused(case, lambda: verification.sign_off(case, item["id"]), InvalidInput, "second")


def test_a_step_awaiting_sign_off_blocks_other_steps(case):
    item = add_item(case)
    walk_to_chronolocated(case, item)
    verification.transition(case, item["id"], "verified", {"source_assessment": ASSESSMENT})
    refused(
        case,
        lambda: verification.transition(case, item["id"], "discarded", note="wrong place"),
        InvalidInput,
        "awaits a sign-off of review #\\d+ .* sign it off or withdraw it first",
    )


def test_signing_off_or_withdrawing_nothing_is_refused(case):
    item = add_item(case)
    for call in (verification.sign_off, verification.withdraw):
        refused(case, lambda call=call: call(case, item["id"]), NotFound, "no step awaits")


def test_an_unknown_item_is_named(case):
    for call in (
        lambda: verification.transition(case, 99, "in_review"),
        lambda: verification.sign_off(case, 99),
        lambda: verification.withdraw(case, 99),
        lambda: verification.history(case, 99),
    ):
        refused(case, call, NotFound, "#99")


def test_a_deleted_item_takes_no_more_steps(case):
    item = add_item(case)
    evidence.delete_evidence(case, item["id"], "duplicate")
    refused(
        case,
        lambda: verification.transition(case, item["id"], "in_review"),
        NotFound,
        "no evidence #",
    )


def test_a_deleted_items_pending_step_can_still_be_withdrawn(case):
    item = add_item(case)
    walk_to_chronolocated(case, item)
    verification.transition(case, item["id"], "verified", {"source_assessment": ASSESSMENT})
    evidence.delete_evidence(case, item["id"], "a copy of another post")
    with acting_as(case, "editor"):
        refused(case, lambda: verification.sign_off(case, item["id"]), NotFound, "no evidence #")
        assert verification.withdraw(case, item["id"])["state"] == "withdrawn"
    assert verification.pending(case) == []
    assert [step["state"] for step in verification.history(case, item["id"])][-1] == "withdrawn"


def test_the_status_changes_only_through_the_workflow(case):
    item = add_item(case)
    refused(
        case,
        lambda: evidence.update_evidence(case, item["id"], verification_status="verified"),
        InvalidInput,
        "verification_status: .* only through the case's workflow: use 'siteline review",
    )


# A workflow of the case's own.


def test_a_custom_workflow_from_json_drives_the_case(case):
    setting = verification.set_workflow(case, Workflow.from_json(json.dumps(CUSTOM)))
    assert (setting["name"], json.loads(setting["value"])) == ("workflow", CUSTOM)
    workflow = verification.workflow_of(case)
    assert (workflow.verified_status, workflow.discarded_status) == ("confirmed", "set_aside")

    item = add_item(case)
    assert item["verification_status"] == "new"
    with pytest.raises(InvalidInput, match="'in_review' is not a status of this case's workflow"):
        verification.transition(case, item["id"], "in_review")
    with pytest.raises(InvalidInput, match="needs a chronolocation"):
        verification.transition(case, item["id"], "checked")
    verification.transition(case, item["id"], "checked", {"chronolocation": {"method": "sun"}})
    verification.transition(case, item["id"], "new")  # a move back, as this workflow allows
    verification.transition(case, item["id"], "checked", {"chronolocation": {"method": "sun"}})
    asked = verification.transition(case, item["id"], "confirmed")
    assert asked["state"] == "awaiting_sign_off"
    with acting_as(case, "editor"):
        verification.sign_off(case, item["id"])
    assert status(case, item) == "confirmed"
    assert [row["id"] for row in evidence.list_evidence(case, status="confirmed")] == [item["id"]]
    verification.transition(case, item["id"], "set_aside")  # no note needed here

    # Set again: the setting is updated, not duplicated; the default can come back only
    # once no item is in a status it lacks.
    verification.set_workflow(case, Workflow.from_dict({**CUSTOM, "sign_off": []}))
    with case.read() as connection:
        assert len(connection.execute(select(settings)).all()) == 1
    refused(
        case,
        lambda: verification.set_workflow(case, DEFAULT_WORKFLOW),
        InvalidInput,
        r"workflow: it has no status for items the case holds \('set_aside': 1 item \(#\d+\)\)",
    )
    assert audit.verify(case).ok


def test_a_workflow_that_strands_items_names_them(case):
    items = [add_item(case, f"post {n}") for n in range(12)]
    for item in items[:11]:
        verification.transition(case, item["id"], "in_review")
    narrower = {**CUSTOM, "statuses": ["collected", "checked", "confirmed", "set_aside"]}
    narrower.update(initial="collected", transitions={"collected": ["checked"]})
    narrower.update(requires={}, sign_off=[], verified="confirmed")
    narrower["transitions"]["checked"] = ["confirmed"]
    refused(
        case,
        lambda: verification.set_workflow(case, Workflow.from_dict(narrower)),
        InvalidInput,
        r"'in_review': 11 items \(#1, #2, .*#10 and 1 more\)",
    )


def test_a_workflow_that_drops_a_pending_steps_status_is_refused(case):
    verification.set_workflow(case, Workflow.from_dict(CUSTOM))
    item = add_item(case)
    verification.transition(case, item["id"], "checked", {"chronolocation": {"method": "sun"}})
    verification.transition(case, item["id"], "confirmed")
    without = {**CUSTOM, "statuses": ["new", "checked", "set_aside"], "sign_off": []}
    without.update(transitions={"new": ["checked"]}, verified="checked")
    refused(
        case,
        lambda: verification.set_workflow(case, Workflow.from_dict(without)),
        InvalidInput,
        "review #\\d+ of evidence #\\d+ awaits sign-off to 'confirmed'",
    )


def test_a_stored_workflow_that_cannot_be_read_is_a_case_error(case):
    with case.write() as transaction:
        transaction.insert("setting", {"name": "workflow", "value": '{"statuses": []}'})
    with pytest.raises(CaseError, match="stored workflow cannot be read .*initial: missing"):
        verification.workflow_of(case)
    verification.set_workflow(case, DEFAULT_WORKFLOW)  # a readable one mends it
    assert verification.workflow_of(case) == DEFAULT_WORKFLOW


def test_legacy_statuses_are_read_without_rewriting_them(case):
    old, older = add_item(case, "old"), add_item(case, "older")
    with case.write() as transaction:  # as a case from before workflows holds them
        transaction.update("evidence", old["id"], {"verification_status": "unverified"})
        transaction.update("evidence", older["id"], {"verification_status": "disputed"})
    assert [row["id"] for row in evidence.list_evidence(case, status="collected")] == [old["id"]]
    assert [row["id"] for row in evidence.list_evidence(case, status="in_review")] == [older["id"]]
    assert status(case, old) == "unverified"
    review = verification.transition(case, older["id"], "geolocated", {"geolocation": GEOLOCATION})
    assert review["from_status"] == "in_review"
    assert status(case, older) == "geolocated"
    verification.set_workflow(case, DEFAULT_WORKFLOW)  # 'unverified' is read as 'collected'
    with pytest.raises(InvalidInput, match="'stalled' is not a status"):
        evidence.list_evidence(case, status="stalled")


# What leaves the case.


def test_a_public_bundle_carries_no_review_of_an_item_it_leaves_out(case, tmp_path):
    public = add_item(case, "public post")
    restricted = add_item(case, "internal damage report", sensitivity="restricted")
    witness = sources.add_source(case, Source("Witness W-2", kind="witness", identity="A name"))
    by_witness = add_item(case, "I saw it", source_id=witness["id"])
    for item in (public, restricted, by_witness):
        verification.transition(case, item["id"], "in_review", note=f"about {item['text']}")
    bundle = tmp_path / "public"
    summary = bundles.export_bundle(case, bundle, public=True)
    lines = (bundle / "data/records/review.jsonl").read_text().splitlines()
    assert [json.loads(line)["evidence_id"] for line in lines] == [public["id"]]
    assert summary["omitted"]["review"] == 2
    for path in bundle.rglob("*.jsonl"):
        assert "internal damage report" not in path.read_text(), path
    kept = (bundle / "data/records/review.jsonl").read_text()
    assert "about public post" in kept


# The command line.


@pytest.fixture
def run(case_dir, key_file, monkeypatch):
    folder = case_dir()
    runner = CliRunner()

    def invoke(*args: str, actor: str = "tester"):
        monkeypatch.setenv("SITELINE_ACTOR", actor)
        return runner.invoke(cli, ["-C", str(folder), "--key-file", str(key_file), *args])

    assert invoke("init", str(folder)).exit_code == 0
    return invoke


def test_the_command_line_runs_the_workflow_with_two_people(run, tmp_path):
    added = run("evidence", "add", "--kind", "photo", "--text", "crater", "--location", "1,2")
    assert added.exit_code == 0, added.output
    assert run("review", "1", "in_review").exit_code == 0
    refused = run("review", "1", "geolocated", "--geolocation-method", "landmarks")
    assert refused.exit_code == 2
    assert "--geolocation-precision: a geolocation needs its precision" in refused.output
    steps = [
        ("geolocated", "--geolocation-method", "landmarks", "--geolocation-precision", "exact"),
        ("chronolocated", "--chronolocation-method", "shadows", "--chronolocation-time", "2016"),
    ]
    for step in steps:
        result = run("review", "move", "1", *step)
        assert result.exit_code == 0, result.output
    bad_grade = run("review", "1", "verified", "--source-assessment", "B9")
    assert bad_grade.exit_code == 2 and "--source-assessment: 'B9'" in bad_grade.output
    asked = run("review", "1", "verified", "--source-assessment", "b2", "--json")
    assert json.loads(asked.output)["state"] == "awaiting_sign_off"
    pending = run("review", "pending").output.splitlines()
    assert len(pending) == 2 and pending[1].split()[:2] == ["4", "1"]
    assert "awaiting_sign_off" in pending[1]
    same = run("review", "sign-off", "1")
    assert same.exit_code == 2 and "a second person must sign it off" in same.output
    signed = run("review", "sign-off", "1", "--note", "agreed", actor="editor")
    assert signed.exit_code == 0 and "signed off by editor" in signed.output
    history = json.loads(run("review", "history", "1", "--json").output)
    assert [step["to_status"] for step in history][-1] == "verified"
    assert "source assessment: B2" in run("review", "history", "1").output
    listed = run("evidence", "list", "--status", "verified", "--json")
    assert [row["id"] for row in json.loads(listed.output)] == [1]
    assert run("review", "sign-off", "1", actor="editor").exit_code == 3
    assert run("review", "7", "in_review").exit_code == 3
    assert run("review", "1", "in_review").exit_code == 2
    assert run("evidence", "list", "--status", "stalled").exit_code == 2
    assert run("evidence", "update", "1", "--status", "verified").exit_code == 2
    assert run("audit", "verify").exit_code == 0


def test_the_workflow_is_shown_and_set_from_a_file(run, tmp_path):
    shown = run("workflow", "show", "--json")
    assert Workflow.from_dict(json.loads(shown.output)) == DEFAULT_WORKFLOW
    assert "verified: counts as verified; needs source assessment" in run("workflow", "show").output
    path = tmp_path / "workflow.json"
    path.write_text(json.dumps({**CUSTOM, "transitions": {"new": ["checked", "ghost"]}}))
    bad = run("workflow", "set", str(path))
    assert bad.exit_code == 2
    assert "workflow.json: transitions.new[1]: 'ghost' is not one of the statuses" in bad.output
    path.write_text("{not json")
    assert "not JSON" in run("workflow", "set", str(path)).output
    assert run("workflow", "set", str(tmp_path / "absent.json")).exit_code == 2
    path.write_text(json.dumps(CUSTOM))
    assert run("workflow", "set", str(path)).exit_code == 0
    assert json.loads(run("workflow", "show", "--json").output) == CUSTOM
    assert "the case's own workflow; items start new" in run("workflow", "show").output
    default = json.loads(run("workflow", "show", "--default", "--json").output)
    assert default == DEFAULT_WORKFLOW.to_dict()
    assert run("evidence", "add", "--kind", "article", "--text", "a report").exit_code == 0
    assert run("review", "1", "checked").exit_code == 2  # needs its chronolocation
