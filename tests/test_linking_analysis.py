"""Proposing incidents from plain values: each signal with its precision, windows from
times of every precision, grouping by overlap, and the scores and reasons that come out."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import numpy as np
import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteline.analysis.linking import (
    Candidate,
    IncidentInfo,
    ItemInfo,
    LinkRules,
    Member,
    SiteInfo,
    combine,
    proposal_key,
    propose,
)
from siteline.analysis.linking_fit import site_fits
from siteline.analysis.linking_place import MentionFinder, PlaceRules, SitesNear, haversine_m
from siteline.analysis.linking_time import Window, bounds, event_time, period_weight
from siteline.domain.values import FuzzyTime, Location

# A point site, and an outlined one 1.5 km east of it (about 0.0139 degrees of longitude).
GENERAL = SiteInfo(
    1, "Vessarin General Hospital", ("VGH", "Old Quarter Hospital"), 14.0512, -33.2087
)
OUTLINE = "POLYGON((-33.1956 14.0577, -33.1944 14.0577, -33.1944 14.0586, -33.1956 14.0586, -33.1956 14.0577))"  # fmt: skip
CHILDREN = SiteInfo(2, "Saint Ilyan Children's Hospital", ("Ilyan Hospital",), polygon_wkt=OUTLINE)
SITES = [GENERAL, CHILDREN]
METRE = 1 / 111_195  # degrees of latitude in one metre, near enough


def t(text: str) -> FuzzyTime:
    return FuzzyTime.parse(text, "test")


def north_of_general(metres: float, precision: str = "exact") -> Location:
    return Location(GENERAL.lat + metres * METRE, GENERAL.lon, precision)


def item(evidence_id: int, kind: str = "social_post", **fields) -> ItemInfo:
    return ItemInfo(id=evidence_id, kind=kind, **fields)


def run(items, **options):
    return propose(items, options.pop("sites", SITES), **options)


# Windows.

instants = st.datetimes(
    min_value=datetime(1990, 1, 1), max_value=datetime(2030, 12, 31), timezones=st.just(UTC)
).map(lambda moment: moment.replace(microsecond=0))
windows = st.tuples(instants, instants).map(lambda pair: Window(min(pair), max(pair)))


@given(windows)
def test_a_window_stored_as_an_incident_reads_back_the_same(window):
    start, end = bounds(window)
    assert Window.of(start, end) == window
    assert end is None or end.start > start.start


@given(windows, windows)
def test_an_intersection_lies_in_both_windows_and_exists_only_when_they_overlap(first, second):
    found = first.intersect(second)
    assert (found is not None) == first.overlaps(second) == second.overlaps(first)
    assert found == second.intersect(first)
    if found:
        assert first.start <= found.start <= found.end <= first.end
        assert second.start <= found.start <= found.end <= second.end


def test_bounds_use_the_coarsest_precision_that_is_exact():
    assert str(Window.of(t("2019-03-13"), t("2019-03-14"))) == "2019-03-13 to 2019-03-14"
    assert str(Window.of(t("2019-03"))) == "2019-03"
    assert str(Window.of(t("2019-03-14T02:31Z"))) == "2019-03-14T02:31Z"


def test_a_capture_time_comes_before_a_publication_time():
    found = event_time("photo", t("2019-03-14T06:52Z"), t("2019-03-14T07"))
    assert found.basis == "captured"
    assert found.window == Window(
        datetime(2019, 3, 13, 6, 52, tzinfo=UTC), t("2019-03-14T06:52Z").end
    )
    assert "captured 2019-03-14T06:52Z (minute)" in found.reason


def test_a_publication_bounds_the_event_from_above_only():
    found = event_time("social_post", None, t("2019-03-14T02:31Z"))
    assert found.window.end == t("2019-03-14T02:31Z").end
    assert found.window.start == t("2019-03-14T02:31Z").start - timedelta(days=3)
    assert found.weight < event_time("photo", t("2019-03-14T02:31Z"), None).weight


@pytest.mark.parametrize(
    ("coarse", "fine"),
    [("2019-03", "2019-03-14"), ("2019", "2019-03"), ("2019-03-14", "2019-03-14T02:31Z")],
)
def test_imprecise_times_give_wider_windows_and_less_weight(coarse, fine):
    wide, narrow = event_time("article", None, t(coarse)), event_time("article", None, t(fine))
    assert wide.window.width > narrow.window.width
    assert wide.weight < narrow.weight


def test_an_item_without_a_time_has_no_window_and_says_so():
    found = event_time("document", None, None)
    assert found.window is None and found.reason == "its time is unknown"


def test_a_dataset_row_is_dated_by_its_own_incident_dates():
    found = event_time("dataset_row", None, t("2019-04"), (t("2019-03-14"), None), "HAM-1")
    assert found.window == Window.of(t("2019-03-14"))
    assert found.reason == "dataset row HAM-1 dates the incident 2019-03-14"


@given(st.integers(min_value=1, max_value=10**9))
def test_period_weight_never_grows_with_the_period(seconds):
    assert period_weight(timedelta(seconds=seconds)) >= period_weight(
        timedelta(seconds=seconds + 1)
    )


# Places.


def test_distance_allows_for_the_precision_and_the_site():
    posts = [
        item(1, claimed=north_of_general(110, "vicinity"), published=t("2019-03-14T02:31Z")),
        item(2, claimed=north_of_general(500, "exact"), published=t("2019-03-14T02:31Z")),
    ]
    [proposal] = run(posts)
    [member] = proposal.members
    assert member.evidence_id == 1  # 500 m with ±10 m is too far from a point site (±100 m)
    assert "claimed location 110 m from the site (vicinity, ±100 m)" in member.reasons


@given(st.floats(min_value=0, max_value=1_090), st.floats(min_value=0, max_value=1_090))
@settings(max_examples=40, deadline=None)
def test_the_location_score_falls_with_distance(near, far):
    near, far = sorted((near, far))
    fits = site_fits(
        [item(1, claimed=north_of_general(near, "locality")), item(2, claimed=north_of_general(far, "locality"))],
        [GENERAL],
        PlaceRules(),
    )  # fmt: skip
    assert fits[1][1].score >= fits[2][1].score


def test_coarse_locations_are_weak_and_a_region_alone_proposes_nothing():
    area = site_fits([item(1, claimed=north_of_general(3_000, "area"))], [GENERAL], PlaceRules())
    close = site_fits([item(1, claimed=north_of_general(3, "exact"))], [GENERAL], PlaceRules())
    assert area[1][1].score < 0.35 < close[1][1].score
    assert "too coarse to say much alone" in area[1][1].reasons[0]
    region = item(1, claimed=north_of_general(20_000, "region"), published=t("2019-03-14"))
    assert run([region]) == []


def test_an_outlined_site_measures_from_its_outline():
    inside = item(1, verified=Location(14.0581, -33.1950, "exact"), captured=t("2019-03-14T09:00Z"))
    outside = item(2, verified=Location(14.0581 + 200 * METRE, -33.1950, "exact"), captured=t("2019-03-14T09:00Z"))  # fmt: skip
    [proposal] = run([inside, outside])
    assert proposal.site_id == 2 and [m.evidence_id for m in proposal.members] == [1]
    assert (
        "verified location inside the site's outline (exact, ±10 m)" in proposal.members[0].reasons
    )


def test_the_bounding_box_search_finds_what_measuring_everything_finds():
    rng = np.random.default_rng(7)
    lat = rng.uniform(13.95, 14.15, 5_000)
    lon = rng.uniform(-33.3, -33.1, 5_000)
    precision = rng.choice(["exact", "vicinity", "locality", "area"], 5_000)
    found = {
        (i, site) for i, site, _ in SitesNear(SITES, PlaceRules()).compatible(lat, lon, precision)
    }
    radius = {"exact": 10, "vicinity": 100, "locality": 1_000, "area": 10_000}
    measured = haversine_m(lat, lon, GENERAL.lat, GENERAL.lon)
    expected = {(i, 1) for i in range(5_000) if measured[i] <= radius[precision[i]] + 100}
    assert {pair for pair in found if pair[1] == 1} == expected
    assert len(expected) > 300 and any(site == 2 for _, site in found)


def test_a_site_by_the_antimeridian_is_near_items_across_it():
    site = SiteInfo(9, "Dateline Clinic", (), -16.5, 179.9995)
    located = item(1, claimed=Location(-16.5, -179.9995, "vicinity"), published=t("2020-01-02"))
    [proposal] = propose([located], [site])
    assert "claimed location 107 m from the site (vicinity, ±100 m)" in proposal.members[0].reasons


# Words.


def test_names_and_aliases_are_found_as_whole_words_in_any_case():
    finder = MentionFinder(SITES)
    assert finder.find("Staff at vgh said") == {1: [("VGH", True)]}
    assert finder.find("VGHX and AVGH are other things") == {}
    assert finder.find("moved to Saint Ilyan Children’s\nHospital") == {
        2: [("Saint Ilyan Children's Hospital", False)]
    }


def test_a_mention_names_the_alias_and_the_site():
    post = item(1, text="The east wing of VGH is gone", published=t("2019-03-14T07"))
    [proposal] = run([post])
    assert "names 'VGH', an alias of Vessarin General Hospital" in proposal.members[0].reasons


def test_a_mention_far_from_the_items_own_location_counts_half():
    named = item(
        1, text="VGH hit", claimed=north_of_general(5_000, "exact"), published=t("2019-03-14")
    )
    fits = site_fits([named], SITES, PlaceRules())
    assert fits[1][1].score == pytest.approx(PlaceRules().alias_weight * 0.5)
    assert any("farther than its precision allows" in r for r in fits[1][1].reasons)


def test_sites_found_by_ingest_count_when_the_words_are_gone():
    article = item(1, "article", text="(body cut)", named_sites=(2,), published=t("2019-03-18"))
    [proposal] = run([article])
    assert proposal.site_id == 2
    assert "ingest found this site named in its text" in proposal.members[0].reasons


def test_an_item_without_location_or_mention_is_not_proposed():
    assert run([item(1, text="Explosions somewhere tonight", published=t("2019-03-14"))]) == []


def test_a_dataset_row_naming_the_facility_is_matched_and_dated_by_its_row():
    row = item(
        1,
        "dataset_row",
        text="HAM-1,2019-03-14,Vessarin General Hospital,hospital",
        published=t("2019-04"),
        candidate=Candidate(
            "HAM-1", t("2019-03-14"), None, "Vessarin General Hospital", "Vessarin"
        ),
    )
    [proposal] = run([row])
    reasons = proposal.members[0].reasons
    assert "dataset row HAM-1 names the facility 'Vessarin General Hospital'" in reasons
    assert not any(reason.startswith("names") for reason in reasons)  # the row's text: one sign
    assert proposal.window == Window.of(t("2019-03-14"))


def test_an_item_fitting_two_sites_equally_is_proposed_for_both_and_says_so():
    article = item(1, "article", text="Vessarin General Hospital and Saint Ilyan Children's Hospital", published=t("2019-03-20"))  # fmt: skip
    proposals = run([article])
    assert [p.site_id for p in proposals] == [1, 2]
    assert any(r.startswith("also fits Saint Ilyan") for r in proposals[0].members[0].reasons)


# Groups.


def test_items_with_overlapping_windows_form_one_proposal_with_their_intersection():
    night = item(1, claimed=north_of_general(70, "vicinity"), published=t("2019-03-14T02:31Z"))
    photo = item(2, "photo", claimed=north_of_general(5, "exact"), captured=t("2019-03-14T06:52Z"))
    [proposal] = run([night, photo])
    assert [m.evidence_id for m in proposal.members] == [1, 2]
    assert proposal.window == Window(t("2019-03-13T06:52Z").start, t("2019-03-14T02:31Z").end)
    assert proposal.score > max(m.score for m in proposal.members)
    assert proposal.reasons[0].startswith(
        "2 items at Vessarin General Hospital whose times overlap"
    )


def test_items_far_apart_in_time_are_separate_proposals():
    first = item(1, claimed=north_of_general(5), captured=t("2019-03-14T02:00Z"))
    second = item(2, claimed=north_of_general(5), captured=t("2019-05-02T02:00Z"))
    assert [[m.evidence_id for m in p.members] for p in run([first, second])] == [[1], [2]]


def test_a_month_precise_item_joins_but_weighs_less():
    exact = item(1, claimed=north_of_general(5), captured=t("2019-03-14T02:00Z"))
    vague = item(2, claimed=north_of_general(5), published=t("2019-03"))
    [proposal] = run([exact, vague])
    members = {m.evidence_id: m for m in proposal.members}
    assert members[2].score < members[1].score
    assert proposal.window == members[1].window  # the precise item sets the window


def test_an_undated_item_joins_only_on_a_strong_place_and_says_its_time_is_unknown():
    dated = item(1, claimed=north_of_general(5), captured=t("2019-03-14T02:00Z"))
    undated_near = item(2, "testimony", verified=north_of_general(5))
    undated_named = item(3, "document", text="VGH")  # a mention alone is not enough
    [proposal] = run([dated, undated_near, undated_named])
    assert [m.evidence_id for m in proposal.members] == [1, 2]
    assert "its time is unknown" in proposal.members[1].reasons
    assert run([undated_near]) == []  # nothing dated: no window to propose


def test_near_duplicates_share_place_and_time_and_count_once():
    original = item(1, "photo", claimed=north_of_general(0), captured=t("2019-03-14T06:52Z"))
    copy = item(2, "photo")  # stripped of everything, as re-posts are
    [proposal] = run([original, copy], clusters=[[1, 2]])
    members = {m.evidence_id: m for m in proposal.members}
    assert "a near-duplicate of item #1, which fits this site (0.90)" in members[2].reasons
    assert members[2].window == members[1].window
    assert proposal.score == members[1].score
    assert "near-duplicates counted once: #1, #2" in proposal.reasons


def test_satellite_scenes_are_context_and_never_propose_alone():
    scene = item(1, "satellite_scene", site_id=1, captured=t("2019-03-15T10:02:41Z"))
    assert run([scene]) == []
    post = item(2, claimed=north_of_general(5), published=t("2019-03-14T02:31Z"))
    [proposal] = run([scene, post])
    members = {m.evidence_id: m for m in proposal.members}
    assert members[1].role == "context" and members[2].role == "supports"
    assert proposal.window == members[2].window  # the scene does not narrow it
    assert any("after the window" in reason for reason in members[1].reasons)


def test_evidence_overlapping_an_incident_is_proposed_as_an_addition_to_it():
    incident = IncidentInfo(
        7, 1, Window.of(t("2019-03-14T02:15Z"), t("2019-03-14T02:40Z")), frozenset({1})
    )
    linked = item(1, claimed=north_of_general(5), published=t("2019-03-14T02:31Z"))
    new = item(2, claimed=north_of_general(5), published=t("2019-03-14T07"))
    [proposal] = run([linked, new], incidents=[incident])
    assert proposal.incident_id == 7 and [m.evidence_id for m in proposal.members] == [2]
    assert proposal.window == incident.window
    assert proposal.reasons[0].startswith("adds 1 item to incident #7")


def test_held_items_are_not_grouped_again():
    post = item(1, claimed=north_of_general(5), published=t("2019-03-14T02:31Z"))
    assert run([post], held={1: {1}}) == []
    assert len(run([post], held={2: {1}})) == 1


def test_one_site_only_when_asked():
    article = item(1, "article", text="Vessarin General Hospital and Saint Ilyan Children's Hospital", published=t("2019-03-20"))  # fmt: skip
    assert [p.site_id for p in run([article], site_ids=[2])] == [2]


def test_min_score_drops_weak_proposals():
    post = item(1, text="VGH", published=t("2019-03"))
    assert run([post], rules=LinkRules(min_score=0.0))
    assert run([post], rules=LinkRules(min_score=0.9)) == []


def test_a_case_of_many_items_and_sites_proposes_only_what_is_near():
    rng = np.random.default_rng(3)
    sites = [SiteInfo(i, f"Site {i}", (), float(lat), float(lon)) for i, (lat, lon) in enumerate(rng.uniform(-60, 60, (300, 2)), 1)]  # fmt: skip
    far = [item(i, claimed=Location(float(rng.uniform(-60, 60)), float(rng.uniform(-60, 60)), "exact"), published=t("2019-03-14")) for i in range(1, 20_001)]  # fmt: skip
    near = item(
        30_000,
        claimed=Location(sites[41].lat, sites[41].lon, "vicinity"),
        published=t("2019-03-14"),
    )
    found = propose([*far, near], sites)
    assert [(p.site_id, [m.evidence_id for m in p.members]) for p in found] == [(42, [30_000])]


# Scores and keys.


@given(st.lists(st.floats(min_value=0, max_value=1), min_size=1, max_size=8))
def test_a_combined_score_is_at_least_the_best_member_and_at_most_one(scores):
    members = [Member(i, round(score, 3), []) for i, score in enumerate(scores)]
    combined = combine(members)
    assert max(m.score for m in members) - 1e-9 <= combined <= 1.0


@given(st.lists(st.integers(min_value=1, max_value=10**6), min_size=1, max_size=10))
def test_a_key_names_the_set_of_items_whatever_their_order(ids):
    assert proposal_key(1, None, ids) == proposal_key(1, None, sorted(ids, reverse=True))
    assert proposal_key(1, None, ids) != proposal_key(1, 5, ids) != proposal_key(2, None, ids)
    assert len(proposal_key(1, None, ids)) == 64
