"""`siteline link` on a real case: proposals stored once, updated by new evidence, and a
person's decisions (confirm, reject, merge, split) audited, with bad input refused whole."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from siteline.cli import cli
from siteline.domain.entities import Custody, EvidenceItem, EvidenceLink, Incident, Site, Source
from siteline.domain.values import FuzzyTime, Location
from siteline.errors import InvalidInput, NotFound
from siteline.services import audit, cases, evidence, incidents, sites, sources
from siteline.services.ingest_datasets import ingest_datasets
from siteline.services.linking import list_proposals, propose_links, show_proposal
from siteline.services.linking_decisions import (
    confirm_proposal,
    merge_proposals,
    reject_proposal,
    split_proposal,
)
from siteline.store.case_folder import read_head
from siteline.store.schema import audit_log

FIXTURES = Path(__file__).parent / "fixtures" / "datasets"
GENERAL = (14.0512, -33.2087)
METRE = 1 / 111_195


def t(text: str) -> FuzzyTime:
    return FuzzyTime.parse(text, "test")


@pytest.fixture
def hospitals(case):
    general = sites.add_site(
        case, Site("Vessarin General Hospital", aliases=["VGH"], lat=GENERAL[0], lon=GENERAL[1])
    )
    children = sites.add_site(
        case, Site("Saint Ilyan Children's Hospital", aliases=["Ilyan Hospital"], lat=14.0581, lon=-33.195)
    )  # fmt: skip
    return general["id"], children["id"]


def add(case, text: str, metres: float | None = None, precision: str = "vicinity", **fields):
    """A post (or another kind) `metres` north of the General hospital, or unlocated."""
    location = (
        Location(GENERAL[0] + metres * METRE, GENERAL[1], precision) if metres is not None else None
    )
    item = EvidenceItem(
        kind=fields.pop("kind", "social_post"), text=text, claimed_location=location, **fields
    )
    return evidence.add_evidence(case, item, Custody(method="test"))["id"]


def state(case) -> tuple:
    return cases.summary(case), read_head(case.folder)


def members(proposal: dict) -> list[int]:
    return [m["evidence_id"] for m in proposal["members"]]


@pytest.fixture
def night(case, hospitals):
    """Two posts of one night at the General hospital, proposed as one incident."""
    first = add(case, "Two explosions near the hospital", 60, published=t("2019-03-14T02:31Z"))
    second = add(case, "The east wing of VGH is gone", None, published=t("2019-03-14T07"))
    [proposal] = propose_links(case)["proposals"]
    return proposal, first, second


def test_a_run_proposes_with_score_and_reasons(case, night):
    proposal, first, second = night
    assert members(proposal) == [first, second]
    assert proposal["status"] == "proposed" and proposal["incident_id"] is None
    assert proposal["site"] == "Vessarin General Hospital"
    assert proposal["window"] == "2019-03-11T07Z to 2019-03-14T02:31Z"
    assert 0 < max(m["score"] for m in proposal["members"]) < proposal["score"] <= 1
    reasons = {m["evidence_id"]: m["reasons"] for m in proposal["members"]}
    assert "claimed location 60 m from the site (vicinity, ±100 m)" in reasons[first]
    assert "names 'VGH', an alias of Vessarin General Hospital" in reasons[second]
    assert audit.verify(case).ok


def test_running_again_on_an_unchanged_case_writes_nothing(case, night):
    before = state(case)
    again = propose_links(case)
    assert again["created"] == again["updated"] == [] and again["unchanged"] == 1
    assert state(case) == before


def test_new_evidence_updates_the_open_proposal(case, night):
    proposal, first, second = night
    photo = add(case, "courtyard", 5, "exact", kind="photo", captured=t("2019-03-14T06:52Z"))
    again = propose_links(case)
    assert again["created"] == [] and again["updated"] == [proposal["id"]]
    [updated] = again["proposals"]
    assert members(updated) == [first, second, photo]
    assert updated["key"] != proposal["key"]


def test_evidence_without_location_or_mention_is_not_proposed(case, hospitals):
    add(case, "Explosions somewhere in the city tonight", None, published=t("2019-03-14"))
    assert propose_links(case)["proposals"] == []


def test_dataset_rows_are_matched_by_the_facility_they_name(case):
    sites.add_site(case, Site("Clinique Saint-Rémy", lat=5.0, lon=5.0))
    ingest_datasets(case, [FIXTURES / "ssa_utf8_bom.csv"])
    [proposal] = propose_links(case)["proposals"]
    [member] = proposal["members"]
    assert (
        "dataset row EGT000101 names the facility 'Other (Clinique Saint-Rémy – annexe)'"
        in member["reasons"]
    )
    assert proposal["window"] == "2021-03-04"


def test_confidential_items_are_placed_by_location_and_reveal_nothing(case, hospitals):
    witness = sources.add_source(
        case, Source("Witness OWL", kind="witness", identity="Real Name Here")
    )
    add(case, "I am Real Name Here, nurse at VGH", 5, "exact", kind="testimony", source_id=witness["id"], captured=t("2019-03-14T02"))  # fmt: skip
    [proposal] = propose_links(case)["proposals"]
    text = json.dumps(show_proposal(case, proposal["id"]))
    assert "Real Name" not in text and "names 'VGH'" not in text
    assert "claimed location 5 m from the site (exact, ±10 m)" in proposal["members"][0]["reasons"]


# Confirming.


def test_confirming_makes_the_incident_and_links_in_one_audited_change(case, night):
    proposal, first, second = night
    result = confirm_proposal(case, proposal["id"], title="Night strike", incident_type="airstrike")
    incident = incidents.show_incident(case, result["incident"]["id"])
    assert incident["title"] == "Night strike" and incident["type"] == "airstrike"
    assert (incident["window_start_at"], incident["window_end_at"]) == ("2019-03-11T07:00:00Z", "2019-03-14T02:31:00Z")  # fmt: skip
    links = incident["links"]
    assert [link["evidence_id"] for link in links] == [first, second]
    assert {link["proposal_id"] for link in links} == {proposal["id"]}
    assert all(link["role"] == "supports" and link["linked_by"] == "tester" for link in links)
    assert links[0]["rationale"].startswith(
        f"proposed by siteline link (proposal #{proposal['id']}"
    )
    decided = show_proposal(case, proposal["id"])
    assert (decided["status"], decided["decided_by"]) == ("confirmed", "tester")
    assert audit.verify(case).ok
    with case.read() as connection:
        actions = connection.execute(
            audit_log.select().where(audit_log.c.object_type == "proposal")
        ).all()
    assert [row.action for row in actions][-1] == "update"


def test_a_rerun_never_changes_confirmed_links_and_proposes_additions(case, night):
    proposal, first, second = night
    incident_id = confirm_proposal(case, proposal["id"])["incident"]["id"]
    links_before = incidents.show_incident(case, incident_id)["links"]
    before = state(case)
    assert propose_links(case)["created"] == []
    assert state(case) == before
    later = add(case, "Smoke over VGH still", None, published=t("2019-03-14T09"))
    [addition] = propose_links(case)["proposals"]
    assert addition["incident_id"] == incident_id and members(addition) == [later]
    assert incidents.show_incident(case, incident_id)["links"] == links_before


def test_confirming_without_an_item_leaves_it_out_for_good(case, night):
    proposal, first, second = night
    result = confirm_proposal(case, proposal["id"], without=[second])
    assert [link["evidence_id"] for link in result["links"]] == [first]
    assert result["proposal"]["decision_note"] == f"without item #{second}"
    assert propose_links(case)["proposals"] == []  # not proposed again for that incident


def test_confirming_twice_or_a_missing_proposal_is_refused_without_a_trace(case, night):
    proposal, first, _ = night
    confirm_proposal(case, proposal["id"])
    before = state(case)
    with pytest.raises(InvalidInput, match="already confirmed"):
        confirm_proposal(case, proposal["id"])
    with pytest.raises(NotFound, match="no proposal #999"):
        confirm_proposal(case, 999)
    with pytest.raises(InvalidInput, match="already confirmed"):
        reject_proposal(case, proposal["id"], "changed my mind")
    assert state(case) == before


def test_confirming_without_items_not_in_it_or_without_all_is_refused(case, night):
    proposal, first, second = night
    before = state(case)
    with pytest.raises(InvalidInput, match=r"item #999 is not in proposal"):
        confirm_proposal(case, proposal["id"], without=[999])
    with pytest.raises(InvalidInput, match="leaves no item"):
        confirm_proposal(case, proposal["id"], without=[first, second])
    with pytest.raises(InvalidInput, match="not one of"):
        confirm_proposal(case, proposal["id"], incident_type="bombing-ish")
    assert state(case) == before


def test_a_deleted_member_must_be_left_out(case, night):
    proposal, first, second = night
    evidence.delete_evidence(case, second, "a duplicate")
    with pytest.raises(InvalidInput, match=f"--without {second}"):
        confirm_proposal(case, proposal["id"])
    assert confirm_proposal(case, proposal["id"], without=[second])["links"]


# Rejecting.


def test_a_rejected_proposal_is_not_proposed_again(case, night):
    proposal, *_ = night
    with pytest.raises(InvalidInput, match="say why"):
        reject_proposal(case, proposal["id"], "  ")
    rejected = reject_proposal(case, proposal["id"], "these are two events")["proposal"]
    assert (rejected["status"], rejected["decision_note"]) == ("rejected", "these are two events")
    before = state(case)
    assert propose_links(case) == {"created": [], "updated": [], "unchanged": 1, "proposals": []}
    assert state(case) == before


def test_new_evidence_after_a_rejection_is_proposed_with_the_rejection_named(case, night):
    proposal, *_ = night
    reject_proposal(case, proposal["id"], "these are two events")
    add(case, "VGH burning", None, published=t("2019-03-14T03"))
    [again] = propose_links(case)["proposals"]
    assert again["id"] != proposal["id"]
    assert f"were in proposal #{proposal['id']}, rejected by tester: these are two events" in again["reasons"][-1]  # fmt: skip


# Merging and splitting.


@pytest.fixture
def two_nights(case, hospitals):
    first = add(case, "blast at VGH", 10, published=t("2019-03-14T02:31Z"))
    second = add(case, "another blast at VGH", 10, published=t("2019-03-20T02:31Z"))
    proposals = propose_links(case)["proposals"]
    assert len(proposals) == 2
    return proposals, first, second


def test_merging_proposals_of_one_site_makes_one_the_person_keeps(case, two_nights):
    (one, two), first, second = two_nights
    result = merge_proposals(case, [one["id"], two["id"]])
    merged = result["proposal"]
    assert members(merged) == [first, second] and merged["decided_by"] == "tester"
    assert "the members' windows do not all overlap: the window spans them all" in merged["reasons"]
    assert {p["status"] for p in list_proposals(case) if p["id"] in (one["id"], two["id"])} == {
        "merged"
    }
    before = state(case)
    assert propose_links(case)["created"] == []  # its items are the person's now
    assert state(case) == before
    incident = confirm_proposal(case, merged["id"])["incident"]
    assert (incident["window_start_at"], incident["window_end_at"]) == ("2019-03-11T02:31:00Z", "2019-03-20T02:31:00Z")  # fmt: skip


def test_merging_into_an_incident_links_the_items(case, two_nights, hospitals):
    (one, two), first, second = two_nights
    incident = incidents.add_incident(
        case, Incident(site_id=hospitals[0], window_start=t("2019-03-14"))
    )
    result = merge_proposals(case, [one["id"]], into_incident=incident["id"])
    assert [link["evidence_id"] for link in result["links"]] == [first]
    assert show_proposal(case, one["id"])["incident_id"] == incident["id"]


def test_bad_merges_are_refused_without_a_trace(case, two_nights, hospitals):
    (one, two), *_ = two_nights
    other = add(case, "Ilyan Hospital hit", None, published=t("2019-03-14T02:31Z"))
    [children] = [p for p in propose_links(case)["proposals"] if other in members(p)]
    elsewhere = incidents.add_incident(
        case, Incident(site_id=hospitals[1], window_start=t("2019-03-14"))
    )
    before = state(case)
    with pytest.raises(InvalidInput, match="different sites"):
        merge_proposals(case, [one["id"], children["id"]])
    with pytest.raises(InvalidInput, match="at least two"):
        merge_proposals(case, [one["id"]])
    with pytest.raises(InvalidInput, match="named twice"):
        merge_proposals(case, [one["id"], one["id"]])
    with pytest.raises(InvalidInput, match="is at site"):
        merge_proposals(case, [one["id"]], into_incident=elsewhere["id"])
    with pytest.raises(NotFound):
        merge_proposals(case, [one["id"], 999])
    assert state(case) == before


def test_splitting_moves_the_named_items_and_keeps_the_rest(case, night):
    proposal, first, second = night
    result = split_proposal(case, proposal["id"], [second])
    assert result["proposal"]["id"] == proposal["id"] and members(result["proposal"]) == [first]
    assert members(result["new"]) == [second] and result["new"]["status"] == "proposed"
    assert result["proposal"]["decision_note"] == f"split: item #{second} moved to proposal #{result['new']['id']}"  # fmt: skip
    before = state(case)
    assert propose_links(case)["created"] == []  # the person's split stands
    assert state(case) == before


def test_bad_splits_are_refused_without_a_trace(case, night):
    proposal, first, second = night
    before = state(case)
    with pytest.raises(InvalidInput, match="item #999 is not in proposal"):
        split_proposal(case, proposal["id"], [999])
    with pytest.raises(InvalidInput, match="nothing would stay"):
        split_proposal(case, proposal["id"], [first, second])
    with pytest.raises(InvalidInput, match="name the items"):
        split_proposal(case, proposal["id"], [])
    assert state(case) == before


def test_listing_by_status_and_site(case, night, hospitals):
    proposal, *_ = night
    reject_proposal(case, proposal["id"], "no")
    assert [p["id"] for p in list_proposals(case, status="rejected", site="VGH")] == [
        proposal["id"]
    ]
    assert list_proposals(case, status="proposed") == []
    assert list_proposals(case, site=hospitals[1]) == []
    with pytest.raises(InvalidInput, match="--status"):
        list_proposals(case, status="maybe")


def test_link_on_one_site_and_a_minimum_score(case, night, hospitals):
    with pytest.raises(InvalidInput, match="outside 0..1"):
        propose_links(case, min_score=1.5)
    assert propose_links(case, site="Ilyan Hospital")["proposals"] == []
    assert propose_links(case, min_score=0.99)["proposals"] == []


def test_confirmed_links_made_by_hand_stay_as_they_are(case, night, hospitals):
    proposal, first, second = night
    incident = incidents.add_incident(
        case, Incident(site_id=hospitals[0], window_start=t("2019-03-14"))
    )
    by_hand = incidents.link_evidence(case, EvidenceLink(incident["id"], first, "context", "mine"))
    merge_proposals(case, [proposal["id"]], into_incident=incident["id"])
    links = incidents.show_incident(case, incident["id"])["links"]
    assert [(link["evidence_id"], link["role"], link["proposal_id"]) for link in links] == [
        (first, "context", None),
        (second, "supports", proposal["id"]),
    ]
    assert links[0]["id"] == by_hand["id"]


# The command line.


@pytest.fixture
def siteline(case, night):
    case.close()
    runner = CliRunner()

    def invoke(*args):
        return runner.invoke(cli, ["-C", str(case.folder), *args], catch_exceptions=False)

    return invoke


def test_the_commands_and_their_exit_codes(siteline, night):
    proposal, first, second = night
    number = str(proposal["id"])
    ran = siteline("link")
    assert ran.exit_code == 0 and "0 new, 0 updated, 1 unchanged; 1 open" in ran.output
    assert f"proposal #{number}: Vessarin General Hospital, new incident" in ran.output
    listed = json.loads(siteline("link", "list", "--status", "proposed", "--json").output)
    assert [p["id"] for p in listed] == [proposal["id"]]
    assert "names 'VGH'" in siteline("link", "show", number).output
    assert siteline("link", "show", "999").exit_code == 3
    assert siteline("link", "split", number, "--items", "x,y").exit_code == 2
    assert siteline("link", "reject", number).exit_code == 2  # --reason is required
    assert siteline("link", "--site", "VGH", "list").exit_code == 2
    assert siteline("link", "--min-score", "7").exit_code == 2
    confirmed = siteline("link", "confirm", number, "--type", "airstrike", "--title", "Night")
    assert confirmed.exit_code == 0 and f"linked item #{first} as supports" in confirmed.output
    again = siteline("link", "confirm", number)
    assert again.exit_code == 2 and "already confirmed" in again.output


def test_split_and_merge_from_the_command_line(siteline, night):
    proposal, first, second = night
    split = siteline("link", "split", str(proposal["id"]), "--items", str(second), "--json")
    new = json.loads(split.output)["new"]["id"]
    merged = siteline("link", "merge", str(proposal["id"]), str(new))
    assert merged.exit_code == 0 and "merged into proposal #" in merged.output
    rejected = siteline("link", "reject", str(proposal["id"]), "--reason", "no")
    assert rejected.exit_code == 2 and "already merged" in rejected.output


def test_the_demo_proposes_copies_with_their_original_and_leaves_its_incident_alone(case_dir):
    from siteline.services.demo import build_demo

    folder = case_dir("demo")
    built = build_demo(folder)
    demo = cases.open_case(folder)
    try:
        general = built["findings"]["incidents"]["general"]
        links_before = incidents.show_incident(demo, general)["links"]
        media = built["media"]["items"]
        original, copy = media["general-east-wing.jpg"], media["repost-cropped.jpg"]
        confirmed = list_proposals(demo, status="confirmed")
        [photos] = [p for p in confirmed if original in members(p)]
        assert photos["incident_id"] == general
        reasons = {m["evidence_id"]: m["reasons"] for m in photos["members"]}
        assert f"a near-duplicate of item #{original}, which fits this site (0.90)" in reasons[copy]
        found = propose_links(demo)["proposals"]  # run again: nothing linked is proposed
        linked = {link["evidence_id"] for link in links_before}
        assert not linked & {i for p in found for i in members(p)}
        assert incidents.show_incident(demo, general)["links"] == links_before
        assert audit.verify(demo).ok
    finally:
        demo.close()
