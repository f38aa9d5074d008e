"""Assessment on a real case: refresh computes certainty and verdicts, writes only what
changed, every change audited; claims carry their new fields; the commands."""

from __future__ import annotations

import json

import pytest
from assessment_case import CUSTODY, add_analysis, no_change_claim, scene_item, when
from click.testing import CliRunner

from siteline.cli import cli
from siteline.domain.entities import (
    Claim,
    EvidenceItem,
    EvidenceLink,
    Incident,
    Site,
    Source,
)
from siteline.errors import InvalidInput, NotFound
from siteline.services import (
    assessment,
    audit,
    cases,
    claims,
    evidence,
    incidents,
    sites,
    sources,
)


def set_status(case, evidence_id: int, status: str) -> None:
    """An item's verification status, changed by an audited update (the workflow's own
    steps are tested in test_verification.py)."""
    with case.write() as transaction:
        transaction.update("evidence", evidence_id, {"verification_status": status})


def add_item(case, kind: str, data: bytes, source=None, **fields) -> dict:
    item = EvidenceItem(kind=kind, data=data, source_id=source, credibility=2, **fields)
    return evidence.add_evidence(case, item, CUSTODY)


@pytest.fixture
def built(case):
    """A hospital, two independent sources, an attack with two reports, and a denial."""
    made = {"site": sites.add_site(case, Site("Riverside Hospital", lat=12.5, lon=45.25))}
    made["outlet"] = sources.add_source(case, Source("Daily", kind="outlet", reliability="B"))
    made["ngo"] = sources.add_source(case, Source("Monitor", kind="ngo", reliability="C"))
    made["photo"] = add_item(case, "photo", b"ward photo", made["outlet"]["id"])
    made["report"] = add_item(case, "article", b"ngo report", made["ngo"]["id"])
    made["incident"] = incidents.add_incident(
        case,
        Incident(
            site_id=made["site"]["id"],
            window_start=when("2016-09-24T02:00"),
            damage_class="severe",
            native={"who_ssa_certainty": "Confirmed"},
        ),
    )
    for item in (made["photo"], made["report"]):
        incidents.link_evidence(
            case, EvidenceLink(made["incident"]["id"], item["id"], "supports", "reports it")
        )
    made["denial"] = claims.add_claim(
        case,
        Claim(
            speaker="Ministry spokesperson",
            stated=when("2016-10-01"),
            quote="The hospital was not attacked.",
            proposition_kind="not_attacked",
            site_id=made["site"]["id"],
            period_start=when("2016-09-20"),
            period_end=when("2016-09-30"),
        ),
    )
    return made


def entries(case, object_type: str) -> list[dict]:
    return [e for e in audit.load_chain(case) if e["object_type"] == object_type]


def test_findings_follow_each_change_and_a_refresh_after_writes_nothing(case, built):
    # Adding the incident, its links and the claim recomputed both as each was stored.
    assert built["incident"]["certainty"] == "possible"  # as the incident was first written
    assert built["denial"]["verdict"] == "unresolved"  # as the claim was first written
    stored = incidents.show_incident(case, built["incident"]["id"])
    assert stored["certainty_rule"].startswith("SSA-3")
    assert any("B2" in reason for reason in json.loads(stored["certainty_reasons"]))
    assert json.loads(stored["native"]) == {"who_ssa_certainty": "Confirmed"}  # untouched
    claim = claims.show_claim(case, built["denial"]["id"])
    assert (claim["verdict"], claim["verdict_by"]) == ("contradicted", "computed")
    assert claim["verdict_rule"].startswith("V-NA1")
    assert json.loads(claim["verdict_chain"])["elements"][0]["id"] == built["incident"]["id"]
    updates = [e for e in audit.load_chain(case) if e["action"] == "update"]
    assert {(e["object_type"], e["object_id"]) for e in updates} == {
        ("incident", str(built["incident"]["id"])),
        ("claim", str(built["denial"]["id"])),
    }
    length = len(audit.load_chain(case))
    again = assessment.refresh(case)
    assert (again["incidents"], again["claims"]) == ([], [])
    assert len(audit.load_chain(case)) == length  # nothing changed, nothing written
    assert audit.verify(case).ok


def test_refresh_follows_the_evidence_and_the_chain_records_it(case, built):
    assessment.refresh(case)
    set_status(case, built["report"]["id"], "discarded")
    summary = assessment.refresh(case)
    assert [(c["before"], c["after"]) for c in summary["incidents"]] == [("probable", "possible")]
    assert [(c["before"], c["after"]) for c in summary["claims"]] == [
        ("contradicted", "unresolved")
    ]
    last = entries(case, "claim")[-1]
    before, after = json.loads(last["before"]), json.loads(last["after"])
    assert (before["verdict"], after["verdict"]) == ("contradicted", "unresolved")
    assert "below the probable the claim needs" in after["verdict_reasons"]
    set_status(case, built["photo"]["id"], "verified")
    assessment.refresh(case)
    assert incidents.show_incident(case, built["incident"]["id"])["certainty"] == "probable"
    assert claims.show_claim(case, built["denial"]["id"])["verdict"] == "contradicted"
    assert audit.verify(case).ok


def test_a_dataset_row_graded_probable_counts(case, built):
    row = EvidenceItem(
        kind="dataset_row",
        text="HAM-0042,hospital,airstrike",
        details={"candidate_incident": {"certainty": "probable", "native_certainty": "Fair"}},
    )
    added = evidence.add_evidence(case, row, CUSTODY)
    other = incidents.add_incident(
        case, Incident(site_id=built["site"]["id"], window_start=when("2016-08-02"))
    )
    incidents.link_evidence(case, EvidenceLink(other["id"], added["id"], "supports", "the row"))
    explained = assessment.certainty_of(case, other["id"])
    assert (explained["certainty"], explained["rule"][:5]) == ("probable", "SSA-5")
    assert "dataset grade 'Fair' → probable" in explained["reasons"][0]


def test_certainty_of_explains_without_writing(case, built):
    length = len(audit.load_chain(case))
    explained = assessment.explain(case, built["incident"]["id"])
    assert (explained["certainty"], explained["stored"]["certainty"]) == ("probable", "probable")
    assert explained["native"] == {"who_ssa_certainty": "Confirmed"}
    assert explained["reasons"][-1].startswith("native grade who_ssa_certainty: 'Confirmed'")
    assert len(audit.load_chain(case)) == length
    with pytest.raises(NotFound, match="no incident #99"):
        assessment.certainty_of(case, 99)


def test_an_other_claim_keeps_a_persons_verdict(case, built):
    words = claims.add_claim(
        case,
        Claim(
            speaker="Witness W-1",
            stated=when("2016-10-03"),
            quote="the ward was struck twice",
            proposition="the emergency ward was struck twice",
        ),
    )
    decided = claims.set_verdict(case, words["id"], "supported", "two accounts agree")
    assert (decided["verdict_by"], decided["verdict_rule"]) == ("tester", "set by a person")
    assessment.refresh(case)
    assert claims.show_claim(case, words["id"])["verdict"] == "supported"
    with pytest.raises(InvalidInput, match="its verdict is computed from the evidence"):
        claims.set_verdict(case, built["denial"]["id"], "supported", "we say so")


def test_a_change_analysis_decides_no_change_with_its_hashes(case):
    site = sites.add_site(case, Site("Hill Clinic", kind="clinic", lat=12.5, lon=45.25))
    before = scene_item(case, site["id"], b"scene one", "2016-09-22")
    after = scene_item(case, site["id"], b"scene two", "2016-09-28")
    made = add_analysis(case, site, before, after, p=0.01)
    claim = no_change_claim(case, site["id"])
    assessment.refresh(case)
    stored = claims.show_claim(case, claim["id"])
    assert (stored["verdict"], stored["verdict_rule"][:5]) == ("contradicted", "V-NC1")
    element = json.loads(stored["verdict_chain"])["elements"][0]
    assert (element["type"], element["id"], element["sha256"]) == (
        "change_analysis",
        made["id"],
        made["blob_sha256"],
    )
    assert [s["sha256"] for s in element["scenes"]] == [before["blob_sha256"], after["blob_sha256"]]
    assert f"derived item #{made['id']}" in stored["verdict_reasons"]
    # The scene set aside: the analysis no longer counts, and the verdict says why.
    set_status(case, before["id"], "discarded")
    assessment.refresh(case)
    stored = claims.show_claim(case, claim["id"])
    assert stored["verdict"] == "unresolved"
    assert "one of its scenes was discarded" in stored["verdict_reasons"]
    assert audit.verify(case).ok


def test_a_sealed_analysis_is_left_alone_without_the_key(case):
    site = sites.add_site(case, Site("Hill Clinic", kind="clinic", lat=12.5, lon=45.25))
    before = scene_item(case, site["id"], b"secret one", "2016-09-22", sensitivity="confidential")
    after = scene_item(case, site["id"], b"secret two", "2016-09-28", sensitivity="confidential")
    add_analysis(case, site, before, after, p=0.01)
    claim = no_change_claim(case, site["id"])
    assessment.refresh(case)
    assert claims.show_claim(case, claim["id"])["verdict"] == "contradicted"
    keyless = cases.open_case(case.folder)
    try:
        summary = assessment.refresh(keyless)
    finally:
        keyless.close()
    assert summary["claims"] == []
    assert summary["skipped"][0]["object"] == f"claim #{claim['id']}"
    assert claims.show_claim(case, claim["id"])["verdict"] == "contradicted"


# The claim's new fields.


def test_claims_store_their_scope_and_defaults(case):
    area = "POLYGON((45 12, 46 12, 46 13, 45 13, 45 12))"
    added = claims.add_claim(
        case,
        Claim(
            speaker="Minister",
            stated=when("2016-10-01"),
            quote="Only three hospitals were hit.",
            proposition_kind="attack_count",
            count=3,
            count_comparison="at_most",
            site_kind="hospital",
            area_wkt=area,
            period_start=when("2016-09"),
        ),
    )
    assert (added["count_comparison"], added["site_kind"], added["min_certainty"]) == (
        "at_most",
        "hospital",
        "probable",
    )
    assert added["area_wkt"].startswith("POLYGON ((45 12")
    assert (
        added["proposition"]
        == "at most 3 attack(s) on any hospital site in the given area in 2016-09"
    )


BAD_CLAIMS = [
    ({"proposition_kind": "attacked", "period_start": "2016-09-24"}, "site"),
    ({"proposition_kind": "no_attacks_in_period", "period_start": "2016-09"}, "site"),
    ({"proposition_kind": "attack_count", "period_start": "2016-09"}, "count"),
    ({"proposition_kind": "attack_count", "count": 3}, "period"),
    (
        {
            "proposition_kind": "not_attacked",
            "site_id": 1,
            "period_start": "2016-09",
            "area_wkt": "POLYGON((0 0, 1 0, 1 1, 0 0))",
        },
        "area",
    ),  # fmt: skip
    (
        {
            "proposition_kind": "no_attacks_in_period",
            "period_start": "2016-09",
            "area_wkt": "POINT (1 1)",
        },
        "area",
    ),  # fmt: skip
    (
        {
            "proposition_kind": "no_attacks_in_period",
            "period_start": "2016-09",
            "site_kind": "castle",
        },
        "site kind",
    ),  # fmt: skip
    (
        {
            "proposition_kind": "not_attacked",
            "site_id": 1,
            "period_start": "2016-09",
            "verdict": "contradicted",
            "verdict_reasons": "x",
        },
        "verdict",
    ),  # fmt: skip
    ({"proposition": "words", "min_certainty": "probable"}, "least certainty"),
]


@pytest.mark.parametrize(("fields", "field"), BAD_CLAIMS)
def test_a_claim_missing_what_its_kind_needs_is_refused(fields, field):
    fields = {k: when(v) if k == "period_start" else v for k, v in fields.items()}
    with pytest.raises(InvalidInput) as refused:
        Claim(speaker="S", stated=when("2016-10-01"), quote="q", **fields)
    assert refused.value.field == field


# The commands.


@pytest.fixture
def run(case, key_file):
    runner = CliRunner()

    def invoke(*args: str):
        options = ["-C", str(case.folder), "--key-file", str(key_file)]
        return runner.invoke(cli, [*options, *args], catch_exceptions=False)

    return invoke


def test_the_assess_command_recomputes_and_explains(case, run, built):
    assert "nothing changed" in run("assess").output  # the services kept findings current
    set_status(case, built["report"]["id"], "discarded")  # written around the services
    result = run("assess")
    assert result.exit_code == 0, result.output
    assert f"incident #{built['incident']['id']}: certainty probable → possible" in result.output
    assert "claim #1: verdict contradicted → unresolved" in result.output
    assert "nothing changed" in run("assess").output
    set_status(case, built["report"]["id"], "collected")
    run("assess")
    explained = json.loads(
        run("assess", "--incident", str(built["incident"]["id"]), "--json").output
    )
    assert explained["certainty"] == "probable"
    shown = run("assess", "--claim", str(built["denial"]["id"]))
    assert "claim #1: verdict contradicted (stored: contradicted)" in shown.output
    refused = run("assess", "--incident", "1", "--claim", "1")
    assert refused.exit_code == 2 and "not both" in refused.output


def test_claim_and_incident_options_on_the_command_line(run, built):
    added = run(
        "claim", "add", "--speaker", "Minister", "--stated", "2016-10-01",
        "--quote", "No hospital in the city was hit.", "--proposition-kind",
        "no_attacks_in_period", "--site-kind", "hospital",
        "--area", "POLYGON((45 12, 46 12, 46 13, 45 13, 45 12))",
        "--period-start", "2016-09-20", "--period-end", "2016-09-30",
        "--min-certainty", "possible", "--json",
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["min_certainty"] == "possible"
    counted = run(
        "claim", "add", "--speaker", "Minister", "--stated", "2016-10-01", "--quote", "3",
        "--proposition-kind", "attack_count", "--count", "3", "--comparison", "exactly",
        "--period-start", "2016-09", "--json",
    )  # fmt: skip
    assert json.loads(counted.output)["count_comparison"] == "exactly"
    incident = run(
        "incident", "add", "--site", "Riverside Hospital", "--start", "2016-09-25",
        "--native-certainty", "Probable", "--json",
    )  # fmt: skip
    assert json.loads(json.loads(incident.output)["native"]) == {"certainty": "Probable"}
    refused = run("claim", "verdict", str(built["denial"]["id"]), "supported", "--reasons", "x")
    assert refused.exit_code == 2 and "only an 'other' claim" in refused.output


def test_contradictory_evidence_leaves_a_denial_unresolved_with_the_reason(case, built):
    rival = sources.add_source(case, Source("Wire", kind="outlet", reliability="A"))
    story = evidence.add_evidence(
        case, EvidenceItem(kind="article", data=b"no strike", source_id=rival["id"]), CUSTODY
    )
    incidents.link_evidence(
        case, EvidenceLink(built["incident"]["id"], story["id"], "contradicts", "says no strike")
    )
    assessment.refresh(case)
    assert incidents.show_incident(case, built["incident"]["id"])["certainty_rule"].startswith(
        "SSA-8"
    )
    claim = claims.show_claim(case, built["denial"]["id"])
    assert (claim["verdict"], claim["verdict_rule"][:5]) == ("unresolved", "V-NA2")
    assert "(SSA-8: contradicted by evidence" in claim["verdict_reasons"]
    assert "certainty possible is below the probable the claim needs" in claim["verdict_reasons"]
