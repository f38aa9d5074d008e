"""The verification workflow and its checks as values: read, validated, written back."""

from __future__ import annotations

import json

import pytest
from hypothesis import given
from hypothesis import strategies as st

from siteline.domain.checks import CHECK_KINDS, describe, evidence_changes, parse_checks
from siteline.domain.values import Location
from siteline.domain.workflow import DEFAULT_WORKFLOW, Workflow
from siteline.errors import InvalidInput


def default_dict() -> dict:
    return DEFAULT_WORKFLOW.to_dict()


# The default workflow.


def test_the_default_workflow_runs_collected_to_verified_and_discards_from_anywhere():
    workflow = DEFAULT_WORKFLOW
    assert workflow.statuses == (
        "collected",
        "in_review",
        "geolocated",
        "chronolocated",
        "verified",
        "discarded",
    )
    assert workflow.initial == "collected"
    path = ["collected", "in_review", "geolocated", "chronolocated", "verified"]
    for current, following in zip(path, path[1:], strict=False):
        assert workflow.next_statuses(current) == (following, "discarded")
    assert workflow.next_statuses("verified") == ("discarded",)
    assert workflow.next_statuses("discarded") == ()
    assert not workflow.allows("collected", "verified")
    assert workflow.required_checks("geolocated") == ("geolocation",)
    assert workflow.required_checks("chronolocated") == ("chronolocation",)
    assert workflow.required_checks("verified") == ("source_assessment",)
    assert workflow.required_checks("in_review") == ()
    assert workflow.needs_sign_off("verified") and not workflow.needs_sign_off("geolocated")
    assert workflow.needs_note("discarded") and not workflow.needs_note("in_review")
    assert (workflow.verified_status, workflow.discarded_status) == ("verified", "discarded")


def test_a_workflow_round_trips_through_json():
    text = DEFAULT_WORKFLOW.to_json()
    assert Workflow.from_json(text) == DEFAULT_WORKFLOW
    assert json.loads(text)["sign_off"] == ["verified"]


@st.composite
def workflows(draw) -> dict:
    """Valid workflows: a chain of statuses from the first, with random extra moves."""
    names = draw(
        st.lists(
            st.from_regex(r"[a-z][a-z0-9_]{0,19}", fullmatch=True),
            min_size=2,
            max_size=7,
            unique=True,
        )
    )
    transitions = {names[i]: [names[i + 1]] for i in range(len(names) - 1)}
    for source in names:
        extra = draw(st.lists(st.sampled_from(names), max_size=3, unique=True))
        targets = transitions.setdefault(source, [])
        targets += [name for name in extra if name != source and name not in targets]
    return {
        "statuses": names,
        "initial": names[0],
        "transitions": transitions,
        "from_any": draw(st.lists(st.sampled_from(names), max_size=2, unique=True)),
        "requires": {
            name: draw(st.lists(st.sampled_from(CHECK_KINDS), max_size=3, unique=True))
            for name in draw(st.lists(st.sampled_from(names), max_size=3, unique=True))
        },
        "sign_off": draw(st.lists(st.sampled_from(names), max_size=2, unique=True)),
        "note_required": draw(st.lists(st.sampled_from(names), max_size=2, unique=True)),
        "verified": names[-1],
        "discarded": names[0],
    }


@given(workflows())
def test_any_valid_workflow_reads_back_what_it_writes(data):
    workflow = Workflow.from_dict(data)
    assert Workflow.from_json(workflow.to_json()) == workflow
    assert workflow.to_dict() == data
    for status in workflow.statuses:
        assert status not in workflow.next_statuses(status)


# Refusals, each naming the key.


def changed(**changes) -> dict:
    return {**default_dict(), **changes}


@pytest.mark.parametrize(
    ("data", "field", "problem"),
    [
        ([1, 2], "workflow", "a JSON object"),
        (changed(colour="red"), "workflow: colour", "not a workflow key"),
        (
            {k: v for k, v in default_dict().items() if k != "initial"},
            "workflow: initial",
            "missing",
        ),
        (changed(initial="new"), "workflow: initial", "'new' is not one of the statuses"),
        (
            changed(transitions={"collected": ["in_review", "checked"]}),
            "workflow: transitions.collected[1]",
            "'checked' is not one of the statuses",
        ),
        (
            changed(transitions={"draft": ["in_review"]}),
            "workflow: transitions.draft",
            "'draft' is not one of the statuses",
        ),
        (
            changed(transitions={"collected": "in_review"}),
            "workflow: transitions.collected",
            "a list of statuses",
        ),
        (
            changed(transitions={"collected": ["collected"]}),
            "workflow: transitions.collected",
            "cannot move to itself",
        ),
        (
            changed(transitions={"collected": ["in_review"]}),
            "workflow: statuses",
            "'geolocated', 'chronolocated', 'verified' cannot be reached",
        ),
        (
            changed(requires={"geolocated": ["geolocation", "satellite"]}),
            "workflow: requires.geolocated[1]",
            "'satellite' is not a check",
        ),
        (
            changed(requires={"nowhere": []}),
            "workflow: requires.nowhere",
            "not one of the statuses",
        ),
        (
            changed(statuses=["collected", "In Review"]),
            "workflow: statuses[1]",
            "'In Review' is not a status name",
        ),
        (
            changed(statuses=["collected", "collected"]),
            "workflow: statuses[1]",
            "named twice",
        ),
        (changed(statuses=[]), "workflow: statuses", "at least one status"),
        (
            changed(statuses=["collected", "a" * 21]),
            "workflow: statuses[1]",
            "at most 20 characters",
        ),
        (changed(sign_off=["final"]), "workflow: sign_off[0]", "'final' is not one of"),
        (changed(note_required="discarded"), "workflow: note_required", "a list of statuses"),
        (changed(verified="done"), "workflow: verified", "'done' is not one of"),
        (changed(discarded="verified"), "workflow: discarded", "cannot be the verified one"),
    ],
)
def test_a_bad_workflow_is_refused_naming_the_key(data, field, problem):
    with pytest.raises(InvalidInput) as refused:
        Workflow.from_dict(data)
    assert refused.value.field == field
    assert problem in refused.value.problem


def test_text_that_is_not_json_is_refused_with_its_line():
    with pytest.raises(InvalidInput, match=r"flow.json: not JSON: .* line 2 column"):
        Workflow.from_json('{"statuses": ["a"],\n "initial": }', where="flow.json")


# Reading statuses.


def test_legacy_statuses_read_as_the_defaults_own():
    workflow = DEFAULT_WORKFLOW
    assert workflow.status_of("unverified") == "collected"
    assert workflow.status_of("in_progress") == workflow.status_of("disputed") == "in_review"
    assert workflow.status_of("rejected") == "discarded"
    assert workflow.status_of("maybe") is None
    assert set(workflow.stored_names("in_review")) == {"in_review", "in_progress", "disputed"}
    assert workflow.stored_names("geolocated") == ("geolocated",)


def test_a_workflow_with_a_legacy_name_of_its_own_keeps_it():
    workflow = Workflow.from_dict(
        {
            "statuses": ["new", "disputed", "in_review", "verified", "discarded"],
            "initial": "new",
            "transitions": {"new": ["disputed", "in_review"], "in_review": ["verified"]},
            "from_any": ["discarded"],
            "verified": "verified",
            "discarded": "discarded",
        }
    )
    assert workflow.status_of("disputed") == "disputed"
    assert workflow.stored_names("in_review") == ("in_review", "in_progress")
    assert workflow.status_of("unverified") is None  # its alias is not a status here


def test_a_status_is_read_as_a_person_types_it():
    assert DEFAULT_WORKFLOW.parse_status("In review", "status") == "in_review"
    assert DEFAULT_WORKFLOW.parse_status(" GEOLOCATED ", "status") == "geolocated"
    with pytest.raises(InvalidInput, match="status: 'approved' is not a status of this case"):
        DEFAULT_WORKFLOW.parse_status("approved", "status")


# Checks.


def test_checks_are_read_and_normalised():
    found = parse_checks(
        {
            "geolocation": {
                "method": " landmarks  matched to satellite imagery ",
                "precision": "Vicinity",
                "location": "36.2001, 37.1502",
            },
            "chronolocation": {"method": "shadow length", "time": "2016-09-28T04:10"},
            "source_assessment": {"grade": "b2", "note": "a known stringer"},
        },
        required=["geolocation"],
        reaching="geolocated",
    )
    assert found == {
        "geolocation": {
            "method": "landmarks matched to satellite imagery",
            "precision": "vicinity",
            "lat": 36.2001,
            "lon": 37.1502,
        },
        "chronolocation": {
            "method": "shadow length",
            "time": "2016-09-28T04:10:00Z",
            "time_precision": "minute",
        },
        "source_assessment": {
            "reliability": "B",
            "credibility": 2,
            "grade": "B2",
            "note": "a known stringer",
        },
    }
    assert evidence_changes(found) == {
        "verified_lat": 36.2001,
        "verified_lon": 37.1502,
        "verified_precision": "vicinity",
        "credibility": 2,
    }
    assert describe(found) == (
        "geolocation: landmarks matched to satellite imagery (vicinity, 36.2001,37.1502); "
        "chronolocation: shadow length (2016-09-28T04:10Z); "
        "source assessment: B2 (a known stringer)"
    )


def test_a_source_assessment_may_give_its_parts_apart():
    found = parse_checks(
        {"source_assessment": {"reliability": "c", "credibility": "3"}}, [], "verified"
    )
    assert found["source_assessment"]["grade"] == "C3"
    geolocated = parse_checks(
        {"geolocation": {"method": "m", "precision": "exact", "location": Location(1, 2, "area")}},
        [],
        "x",
    )
    assert geolocated["geolocation"]["precision"] == "exact"  # the check's precision wins
    assert evidence_changes({"chronolocation": {"method": "m"}}) == {}


@pytest.mark.parametrize(
    ("given", "field", "problem"),
    [
        ({}, "geolocation", "reaching 'geolocated' needs a geolocation"),
        ({"geolocation": {"precision": "exact"}}, "geolocation.method", "needs its method"),
        ({"geolocation": {"method": "  "}}, "geolocation.method", "needs its method"),
        ({"geolocation": {"method": "m"}}, "geolocation.precision", "needs its precision"),
        (
            {"geolocation": {"method": "m", "precision": "close"}},
            "geolocation.precision",
            "'close' is not one of",
        ),
        (
            {"geolocation": {"method": "m", "precision": "exact", "location": "36.2"}},
            "geolocation.location",
            "not 'LAT,LON'",
        ),
        (
            {"geolocation": {"method": "m", "precision": "exact", "location": "95,10"}},
            "geolocation.location",
            "latitude 95.0 is outside",
        ),
        (
            {"geolocation": {"method": "m", "precision": "exact", "place": "x"}},
            "geolocation.place",
            "not a field of a geolocation",
        ),
        ({"geolocation": "by eye"}, "geolocation", "given as its fields"),
        ({"satellite": {"method": "m"}}, "checks", "'satellite' is not a check"),
    ],
)
def test_a_bad_geolocation_is_refused_naming_the_field(given, field, problem):
    with pytest.raises(InvalidInput) as refused:
        parse_checks(given, ["geolocation"], "geolocated")
    assert (refused.value.field, problem in refused.value.problem) == (field, True)


@pytest.mark.parametrize(
    ("given", "field", "problem"),
    [
        ({"chronolocation": {"time": "2016"}}, "chronolocation.method", "needs its method"),
        (
            {"chronolocation": {"method": "m", "time": "2016-02-30"}},
            "chronolocation.time",
            "not a real date",
        ),
        (
            {"chronolocation": {"method": "m", "time": "2999-01-01"}},
            "chronolocation.time",
            "in the future",
        ),
        ({"source_assessment": {"grade": "B7"}}, "source_assessment.grade", "not an Admiralty"),
        ({"source_assessment": {"grade": "G1"}}, "source_assessment.grade", "not an Admiralty"),
        (
            {"source_assessment": {"grade": "B2", "credibility": 3}},
            "source_assessment.grade",
            "give the grade, or",
        ),
        (
            {"source_assessment": {"credibility": 2}},
            "source_assessment.reliability",
            "A to F",
        ),
        (
            {"source_assessment": {"reliability": "Z", "credibility": 2}},
            "source_assessment.reliability",
            "'Z' is not one of",
        ),
        (
            {"source_assessment": {"reliability": "A"}},
            "source_assessment.credibility",
            "1 (confirmed) to 6",
        ),
        (
            {"source_assessment": {"reliability": "A", "credibility": 9}},
            "source_assessment.credibility",
            "outside 1..6",
        ),
        (
            {"source_assessment": {"reliability": "A", "credibility": "two"}},
            "source_assessment.credibility",
            "not a number",
        ),
    ],
)
def test_a_bad_chronolocation_or_assessment_is_refused_naming_the_field(given, field, problem):
    with pytest.raises(InvalidInput) as refused:
        parse_checks(given, [], "x")
    assert (refused.value.field, problem in refused.value.problem) == (field, True)
