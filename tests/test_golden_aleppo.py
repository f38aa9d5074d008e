"""Golden test: the M10 hospital in eastern Aleppo, from raw material to verdicts.

The raw material is the shared article about the Atlantic Council's report "Breaking
Aleppo" (../shared/data/articles/breaking-aleppo.txt; skipped when absent). It quotes a
Russian Defence Ministry official who said satellite photos of 24 September and 11 October
2016 showed "no changes to the facility", and Assad's "We don't attack any hospital". The
test enters the rest as an investigator would, in its own words and pixels: posts, NGO
reports and photos of the three attacks on M10 (28 September, 1 October and 3 October
2016), and a pair of satellite scenes of 25 September and 13 October drawn over the
hospital's place. `link` proposes the incidents, people confirm them, two people verify the
photos, and the verdicts are computed.
"""

from __future__ import annotations

import io

import pytest
from conftest import shared_data
from PIL import Image

from siteline.domain.entities import Custody, EvidenceItem, Site, Source
from siteline.domain.values import FuzzyTime, Location
from siteline.media.synthetic import scene
from siteline.services import (
    assessment,
    audit,
    claims,
    demo_imagery,
    evidence,
    incidents,
    linking,
    linking_decisions,
    sites,
    sources,
)
from siteline.services.demo_findings import acting_as
from siteline.services.ingest_articles import ingest_articles
from siteline.services.report import build_report
from siteline.services.verification import sign_off, transition

M10 = Location(36.2150, 37.1880, "exact")  # approximate: the al-Sakhour district
ATTACKS = ("2016-09-28", "2016-10-01", "2016-10-03")
ALEPPO = "POLYGON((37.05 36.10, 37.30 36.10, 37.30 36.30, 37.05 36.30, 37.05 36.10))"
RUSSIAN_QUOTE = "no changes to the facility can be observed"
ASSAD_QUOTE = "We don't attack any hospital."


@pytest.fixture
def m10_case(case):
    article = shared_data("articles/breaking-aleppo.txt")
    site = sites.add_site(
        case,
        Site(
            name="M10 hospital",
            aliases=["M10", "al-Sakhour hospital", "Sakhour hospital"],
            operator="supported by the Syrian American Medical Society",
            lat=M10.lat,
            lon=M10.lon,
        ),
    )
    source_ids = {
        key: sources.add_source(case, source)["id"]
        for key, source in {
            "staff": Source("M10 staff account (test)", "social_account", "C"),
            "ngo": Source("Medical NGO (test)", "ngo", "B"),
            "imagery": Source("Imagery drawn by the test", "imagery_provider", "A"),
        }.items()
    }
    report = ingest_articles(case, [article], FuzzyTime.parse("2017-02-13", "article date"))
    assert report.problems == []
    photos = [_enter_attack(case, day, number, source_ids) for number, day in enumerate(ATTACKS)]
    for photo in photos:
        _verify(case, photo)
    imagery = demo_imagery.add_and_compare(
        case,
        site,
        source_ids["imagery"],
        before=("2016-09-25T08:10:00Z", "m10-2016-09-25.tif"),
        after=("2016-10-13T08:05:00Z", "m10-2016-10-13.tif"),
        provider="drawn by the test over the M10's place",
    )
    return case, site, imagery


def _enter_attack(case, day: str, number: int, source_ids: dict) -> int:
    """A staff post and a photo on the morning of the attack, an NGO report the next day."""
    place = Location(M10.lat + 0.0004, M10.lon - 0.0003, "vicinity")
    post = EvidenceItem(
        kind="social_post",
        title=f"M10 staff: strike on {day}",
        text=f"The M10 hospital was hit again this morning ({day}). Barrel bombs on the "
        "east side, the emergency room is out of use.",
        source_id=source_ids["staff"],
        published=FuzzyTime.parse(f"{day}T05:40Z", "test"),
        claimed_location=place,
        credibility=3,
    )
    ngo = EvidenceItem(
        kind="document",
        title=f"NGO note on the attack of {day}",
        text=f"Our partners report that the al-Sakhour hospital (M10) was struck on {day}.",
        source_id=source_ids["ngo"],
        published=FuzzyTime.parse(f"{day}T18:00Z", "test"),
        claimed_location=Location(M10.lat, M10.lon, "locality"),
        credibility=2,
    )
    photo = EvidenceItem(
        kind="photo",
        title=f"M10 east side after the strike of {day}",
        data=_png(4100 + number),
        media_type="image/png",
        original_filename=f"m10-{day}.png",
        source_id=source_ids["staff"],
        captured=FuzzyTime.parse(f"{day}T05:20Z", "test"),
        claimed_location=M10,
        credibility=3,
    )
    how = Custody(method="entered by the golden test", collector="test")
    added = evidence.add_many(case, [(post, how), (ngo, how), (photo, how)])
    return added[2]["id"]


def _png(seed: int) -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(scene(seed, 320, 240)).save(buffer, format="PNG")
    return buffer.getvalue()


def _verify(case, photo_id: int) -> None:
    with acting_as(case, "analyst"):
        transition(case, photo_id, "in_review")
        geolocation = {"method": "east wing matched to imagery", "precision": "exact"}
        transition(case, photo_id, "geolocated", {"geolocation": geolocation})
        chronolocation = {"method": "posts of the same morning and shadows"}
        transition(case, photo_id, "chronolocated", {"chronolocation": chronolocation})
        transition(case, photo_id, "verified", {"source_assessment": {"grade": "C3"}})
    with acting_as(case, "reviewer"):
        sign_off(case, photo_id)


def _confirm_attacks(case, site_id: int) -> list[int]:
    linking.propose_links(case, site_id)
    made = []
    for proposal in linking.list_proposals(case, status="proposed", site=site_id):
        if proposal["incident_id"] is None and len(proposal["members"]) >= 3:
            result = linking_decisions.confirm_proposal(
                case,
                proposal["id"],
                incident_type="airstrike",
                details={"damage_class": "severe", "perpetrator": "Syrian or Russian air force"},
            )
            made.append(result["incident"]["id"])
    return made


def _candidate(case, quote: str) -> int:
    [found] = [claim for claim in claims.list_claims(case) if claim["quote"] == quote]
    return found["id"]


def test_the_m10_timeline_and_the_two_verdicts(m10_case, tmp_path):
    case, site, imagery = m10_case
    made = _confirm_attacks(case, site["id"])
    timeline = incidents.list_incidents(case, site["id"])
    assert len(made) == len(timeline) == 3
    # The three attacks, in order, each window holding its day and no other attack's.
    for incident, day in zip(timeline, ATTACKS, strict=True):
        start = FuzzyTime.from_stored(
            incident["window_start_at"], incident["window_start_precision"]
        )
        end = FuzzyTime.from_stored(incident["window_end_at"], incident["window_end_precision"])
        assert start.start.date().isoformat() <= day <= end.end.date().isoformat()
        assert incident["certainty"] == "confirmed", incident["certainty_reasons"]
        assert incident["certainty_rule"].startswith("SSA-6")

    russian = _candidate(case, RUSSIAN_QUOTE)
    claims.define_proposition(
        case,
        russian,
        proposition_kind="no_change",
        site_id=site["id"],
        period_start=FuzzyTime.parse("2016-09-24", "test"),
        period_end=FuzzyTime.parse("2016-10-11", "test"),
    )
    assad = _candidate(case, ASSAD_QUOTE)
    claims.define_proposition(
        case,
        assad,
        proposition_kind="no_attacks_in_period",
        site_kind="hospital",
        area_wkt=ALEPPO,
        period_start=FuzzyTime.parse("2016-08-13", "test"),
        period_end=FuzzyTime.parse("2017-02-13", "test"),
    )
    assert assessment.refresh(case)["claims"] == []  # both already computed on definition

    no_change = claims.show_claim(case, russian)
    assert no_change["verdict"] == "contradicted"
    # The scenes of 25 September and 13 October reach past the claimed 11 October: the
    # analysis alone cannot decide; the attacks with damage inside the period do.
    assert no_change["verdict_rule"].startswith("V-NC2"), no_change["verdict_rule"]
    for incident_id in made:
        assert f"incident #{incident_id} " in no_change["verdict_reasons"]
    analysis = imagery["analysis"]["change_analysis"]
    assert f"derived item #{analysis}" in no_change["verdict_reasons"]

    denial = claims.show_claim(case, assad)
    assert denial["verdict"] == "contradicted"
    for incident_id in made:
        assert f"incident #{incident_id} " in denial["verdict_reasons"]

    written = build_report(case, tmp_path / "m10.html", generated_at="2026-11-25T00:00:00Z")
    html = (tmp_path / "m10.html").read_text()
    assert written["incidents"] == 3
    assert RUSSIAN_QUOTE in html and "We don&#39;t attack any hospital." in html
    assert html.count("contradicted") >= 2
    assert audit.verify(case).ok
