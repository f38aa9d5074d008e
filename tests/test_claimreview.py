"""Claims exported as schema.org ClaimReview (JSON-LD), whole and for publication."""

from __future__ import annotations

import json

import pytest
from assessment_case import (
    CUSTODY,
    add_analysis,
    no_change_claim,
    scene_item,
    when,
)
from click.testing import CliRunner

from siteline.cli import cli
from siteline.domain.entities import Claim, EvidenceItem, EvidenceLink, Incident, Site, Source
from siteline.errors import InvalidInput
from siteline.report.claimreview import export_claimreview
from siteline.services import assessment, audit, claims, evidence, incidents, sites, sources


def review_of(document: dict, claim_id: int) -> dict:
    found = [r for r in document["@graph"] if r["identifier"] == f"claim-{claim_id}"]
    assert len(found) <= 1
    return found[0] if found else None


@pytest.fixture
def material(case):
    """A denial contradicted by two reports; a claim that appeared only in a confidential
    testimony; a restricted one; a person's verdict citing a confidential item; a candidate."""
    site = sites.add_site(case, Site("Riverside Hospital", lat=12.5, lon=45.25))
    outlet = sources.add_source(case, Source("Daily", kind="outlet", reliability="B"))
    ngo = sources.add_source(case, Source("Monitor", kind="ngo", reliability="C"))
    ministry = sources.add_source(case, Source("Ministry", kind="official_body", reliability="D"))

    def add(kind, data, source=None, **fields):
        item = EvidenceItem(kind=kind, data=data, source_id=source, credibility=2, **fields)
        return evidence.add_evidence(case, item, CUSTODY)

    made = {
        "photo": add("photo", b"ward photo", outlet["id"]),
        "report": add("article", b"ngo report", ngo["id"]),
        "statement": add(
            "statement",
            b"we attack no hospital",
            ministry["id"],
            title="Ministry briefing",
            source_url="https://ministry.example.org/briefing",
            published=when("2016-10-01"),
        ),  # fmt: skip
        "testimony": add("testimony", b"I saw the second strike"),
        "memo": add("document", b"internal memo", sensitivity="restricted"),
    }
    attack = incidents.add_incident(
        case, Incident(site_id=site["id"], window_start=when("2016-09-24"), damage_class="severe")
    )
    for key in ("photo", "report"):
        incidents.link_evidence(case, EvidenceLink(attack["id"], made[key]["id"], "supports", "r"))

    def claim(quote, evidence_id=None, **fields):
        fields.setdefault("proposition_kind", "not_attacked")
        if fields["proposition_kind"] != "other":
            fields.update(site_id=site["id"], period_start=when("2016-09-20"))
            fields.setdefault("period_end", when("2016-09-30"))
        return claims.add_claim(
            case,
            Claim(speaker="Spokesperson", stated=when("2016-10-01"), quote=quote,
                  evidence_id=evidence_id, **fields),
        )["id"]  # fmt: skip

    made["denial"] = claim("We attack no hospital.", made["statement"]["id"])
    made["witnessed"] = claim("Nothing happened here.", made["testimony"]["id"])
    made["memo_claim"] = claim("Nothing to report.", made["memo"]["id"])
    made["words"] = claim(
        "The ward was hit twice.", proposition_kind="other", proposition="hit twice"
    )
    claims.set_verdict(
        case, made["words"], "supported", f"#{made['testimony']['id']} and #{made['photo']['id']}"
    )
    with case.write() as transaction:  # a statement ingest found, that no one has taken up
        transaction.insert(
            "claim",
            {"speaker": "Someone", "stated_at": "2016-10-02T00:00:00Z", "stated_precision": "day",
             "quote": "candidate", "proposition_kind": "other", "proposition": "candidate",
             "verdict": "unresolved", "status": "candidate"},
        )  # fmt: skip
    assessment.refresh(case)
    return made


def test_every_reviewed_claim_is_a_claimreview_in_json_ld(case, material):
    text, summary = export_claimreview(case)
    document = json.loads(text)
    assert document["@context"] == "https://schema.org"
    assert summary["claims"] == len(document["@graph"]) == 4  # the candidate is left out
    for review in document["@graph"]:
        assert review["@type"] == "ClaimReview"
        assert review["itemReviewed"]["@type"] == "Claim"
        rating = review["reviewRating"]
        assert (rating["@type"], rating["bestRating"], rating["worstRating"]) == ("Rating", 3, 1)
        assert review["author"] == {"@type": "Organization", "name": "Test case"}
    denial = review_of(document, material["denial"])
    assert denial["claimReviewed"] == "We attack no hospital."
    assert denial["itemReviewed"]["author"] == {"@type": "Person", "name": "Spokesperson"}
    assert denial["itemReviewed"]["datePublished"] == "2016-10-01"
    assert denial["itemReviewed"]["appearance"] == [
        {"@type": "CreativeWork", "name": "Ministry briefing",
         "url": "https://ministry.example.org/briefing", "datePublished": "2016-10-01"}
    ]  # fmt: skip
    assert (denial["reviewRating"]["alternateName"], denial["reviewRating"]["ratingValue"]) == (
        "contradicted",
        1,
    )
    assert denial["reviewRating"]["ratingExplanation"].startswith("V-NA1")
    assert "lies wholly inside the period" in denial["reviewBody"]
    hashes = {work["identifier"] for work in denial["isBasedOn"]}
    assert hashes == {
        f"sha256:{material['photo']['blob_sha256']}",
        f"sha256:{material['report']['blob_sha256']}",
    }


def test_the_date_is_the_verdicts_from_the_audit_chain_not_now(case, material):
    first = json.loads(export_claimreview(case)[0])
    second = json.loads(export_claimreview(case)[0])
    assert first == second
    decided = [
        entry
        for entry in audit.load_chain(case)
        if entry["object_type"] == "claim"
        and entry["object_id"] == str(material["denial"])
        and entry["action"] == "update"
    ]
    assert review_of(first, material["denial"])["datePublished"] == decided[-1]["at"][:10]


def test_a_public_export_leaves_out_what_it_must(case, material):
    document = json.loads(export_claimreview(case, public=True)[0])
    assert review_of(document, material["witnessed"]) is None  # appeared in a testimony
    assert review_of(document, material["memo_claim"]) is None  # appeared in a restricted item
    words = review_of(document, material["words"])
    assert words["reviewBody"] == f"a confidential item and #{material['photo']['id']}"
    whole = json.loads(export_claimreview(case)[0])
    assert review_of(whole, material["witnessed"]) is not None
    assert "witness" not in json.dumps(document).lower()


def test_a_public_export_names_a_confidential_scene_only_as_such(case):
    site = sites.add_site(case, Site("Hill Clinic", kind="clinic", lat=12.5, lon=45.25))
    before = scene_item(case, site["id"], b"scene one", "2016-09-22", sensitivity="confidential")
    after = scene_item(case, site["id"], b"scene two", "2016-09-28")
    add_analysis(case, site, before, after, p=0.01)
    claim = no_change_claim(case, site["id"])
    assessment.refresh(case)
    public = review_of(json.loads(export_claimreview(case, public=True)[0]), claim["id"])
    assert public["reviewBody"].startswith("a confidential item shows change")
    assert before["blob_sha256"] not in json.dumps(public)
    assert [w["identifier"] for w in public["isBasedOn"]] == [f"sha256:{after['blob_sha256']}"]
    whole = review_of(json.loads(export_claimreview(case)[0]), claim["id"])
    assert f"before #{before['id']} (2016-09-22)" in whole["reviewBody"]


def test_an_export_to_a_file_is_written_whole_and_recorded(case, material, tmp_path):
    out = tmp_path / "reviews" / "claimreview.jsonld"
    text, summary = export_claimreview(case, out, public=True)
    assert out.read_text() == text
    event = audit.load_chain(case)[-1]
    assert (event["action"], event["object_type"], event["object_id"]) == (
        "export",
        "claimreview",
        "claimreview.jsonld",
    )
    assert json.loads(event["after"])["sha256"] == summary["sha256"]
    assert audit.verify(case).ok
    with pytest.raises(InvalidInput, match="is a folder"):
        export_claimreview(case, tmp_path)


def test_the_export_command(case, material, key_file, tmp_path):
    runner = CliRunner()
    options = ["-C", str(case.folder), "--key-file", str(key_file), "export", "claimreview"]
    printed = runner.invoke(cli, [*options, "--public"], catch_exceptions=False)
    assert printed.exit_code == 0, printed.output
    assert len(json.loads(printed.output)["@graph"]) == 2
    out = tmp_path / "reviews.json"
    written = runner.invoke(cli, [*options, "--out", str(out)], catch_exceptions=False)
    assert "4 ClaimReview(s) written to" in written.output
    assert len(json.loads(out.read_text())["@graph"]) == 4
