"""The WHO SSA certainty rules (analysis.certainty), each named, over plain inputs."""

from __future__ import annotations

from hypothesis import given, settings
from hypothesis import strategies as st

from siteline.analysis.certainty import RULES, assess_certainty
from siteline.analysis.facts import ChangeAnalysis, Item, Link, Scene, Span
from siteline.analysis.grades import admiralty, certainty_rank
from siteline.domain.values import FuzzyTime
from siteline.domain.vocabularies import Certainty

WINDOW = Span.of(FuzzyTime.parse("2016-09-24T02:00", "t"), FuzzyTime.parse("2016-09-24T03:00", "t"))


def item(number: int, kind: str = "article", source: int | None = None, **fields) -> Item:
    fields.setdefault("reliability", "B" if source is not None else None)
    fields.setdefault("credibility", 2)
    status = fields.pop("status", "collected")
    return Item(
        evidence_id=number,
        kind=kind,
        source_id=source,
        status=status,
        verified=status == "verified",
        discarded=status == "discarded",
        sha256=f"{number:064x}",
        **fields,
    )


def supports(*items: Item) -> list[Link]:
    return [Link(found, "supports") for found in items]


def scene(number: int, captured: str, status: str = "verified") -> Scene:
    return Scene(
        number,
        f"{number:064x}",
        FuzzyTime.parse(captured, "t"),
        status=status,
        verified=status == "verified",
        discarded=status == "discarded",
    )


def analysis(before: Scene, after: Scene, p: float = 0.01, site=0.2, ring=0.02) -> ChangeAnalysis:
    return ChangeAnalysis(1, "a" * 64, 1, (before,), (after,), site, ring, p, 0)


def test_the_admiralty_grade_is_reliability_and_credibility():
    assert admiralty("B", 2) == "B2"
    assert admiralty(None, 6) == "F6"  # no source: reliability cannot be judged
    assert item(12, "photo", 3, status="verified").describe() == (
        "#12 photo from source #3 (B), credibility 2 → B2, verified"
    )


def test_no_supporting_evidence_is_a_rumour():
    result = assess_certainty([], WINDOW)
    assert result.level is Certainty.RUMOUR
    assert result.rule == f"SSA-0: {RULES['SSA-0']}"


def test_only_weak_unverified_reports_are_a_rumour():
    weak = [item(1, source=1, reliability="E", credibility=3), item(2, credibility=5, source=2)]
    result = assess_certainty(supports(*weak), WINDOW)
    assert (result.level, result.rule[:5]) == (Certainty.RUMOUR, "SSA-1")


def test_one_report_of_some_standing_is_possible():
    result = assess_certainty(supports(item(1, source=1, reliability="C", credibility=3)), WINDOW)
    assert (result.level, result.rule[:5]) == (Certainty.POSSIBLE, "SSA-2")
    assert result.basis == (1,)


def test_two_independent_well_graded_sources_are_probable():
    result = assess_certainty(
        supports(item(1, source=1), item(2, source=2, reliability="C")), WINDOW
    )
    assert (result.level, result.rule[:5]) == (Certainty.PROBABLE, "SSA-3")
    assert result.basis == (1, 2)


def test_two_reports_from_one_source_are_not_independent():
    result = assess_certainty(supports(item(1, source=1), item(2, source=1)), WINDOW)
    assert result.level is Certainty.POSSIBLE


def test_reports_without_a_named_source_are_ungraded():
    result = assess_certainty(supports(item(1), item(2)), WINDOW)
    assert (result.level, result.rule[:5]) == (Certainty.RUMOUR, "SSA-1")
    assert "#1 article with no source named, credibility 2 → F2" in result.reasons[0]


def test_one_verified_item_is_probable():
    verified = item(1, "social_post", source=1, reliability="E", credibility=5, status="verified")
    result = assess_certainty(supports(verified), WINDOW)
    assert (result.level, result.rule[:5]) == (Certainty.PROBABLE, "SSA-4")


def test_a_dataset_graded_probable_makes_it_probable_and_its_own_confirmed_no_more():
    for native, level in (("Fair", "probable"), ("Confirmed", "confirmed")):
        row = item(
            1, "dataset_row", source=1, reliability="C", credibility=3,
            dataset_certainty=level, native_certainty=native,
        )  # fmt: skip
        result = assess_certainty(supports(row), WINDOW)
        assert (result.level, result.rule[:5]) == (Certainty.PROBABLE, "SSA-5")
        assert f"dataset grade {native!r} → {level}" in result.reasons[0]
    weak_grade = item(
        1, "dataset_row", source=1, dataset_certainty="possible", native_certainty="Weak"
    )
    assert assess_certainty(supports(weak_grade), WINDOW).level is Certainty.POSSIBLE


def test_probable_plus_a_verified_photo_is_confirmed():
    photo = item(3, "photo", source=3, status="verified")
    result = assess_certainty(supports(item(1, source=1), item(2, source=2), photo), WINDOW)
    assert (result.level, result.rule[:5]) == (Certainty.CONFIRMED, "SSA-6")
    assert result.basis == (1, 2, 3)


def test_a_verified_photo_alone_is_probable_not_confirmed():
    result = assess_certainty(supports(item(3, "photo", source=3, status="verified")), WINDOW)
    assert (result.level, result.rule[:5]) == (Certainty.PROBABLE, "SSA-4")


def test_an_unverified_video_does_not_confirm():
    video = item(3, "video", source=3)
    result = assess_certainty(supports(item(1, source=1), item(2, source=2), video), WINDOW)
    assert result.level is Certainty.PROBABLE


def test_a_change_analysis_around_the_window_from_verified_scenes_confirms():
    reports = supports(item(1, source=1), item(2, source=2))
    around = analysis(scene(7, "2016-09-20"), scene(8, "2016-09-26"))
    result = assess_certainty(reports, WINDOW, [around])
    assert (result.level, result.rule[:5]) == (Certainty.CONFIRMED, "SSA-6")
    assert result.basis == (1, 2, 7, 8)
    assert (
        "change analysis in derived item #1 of the site, scenes #7, #8 taken before and "
        in (result.reasons[2])
    )
    assert result.reasons[2].endswith("; scenes verified")
    # Scenes that do not bracket the window, unverified scenes, or no change: no more than probable.
    inside = analysis(scene(7, "2016-09-24"), scene(8, "2016-09-26"))
    unverified = analysis(scene(7, "2016-09-20", "collected"), scene(8, "2016-09-26"))
    unchanged = analysis(scene(7, "2016-09-20"), scene(8, "2016-09-26"), p=0.6)
    for other in (inside, unverified, unchanged):
        assert assess_certainty(reports, WINDOW, [other]).level is Certainty.PROBABLE


def test_a_verified_testimony_and_an_independent_source_are_confirmed():
    testimony = item(4, "testimony", source=9, reliability="F", credibility=2, status="verified")
    result = assess_certainty(supports(testimony, item(5, source=1)), WINDOW)
    assert (result.level, result.rule[:5]) == (Certainty.CONFIRMED, "SSA-7")
    alone = assess_certainty(supports(testimony, item(5, source=9)), WINDOW)
    assert alone.level is Certainty.PROBABLE  # the same source twice is not independent


def test_contradicting_evidence_as_reliable_caps_at_possible():
    links = supports(item(1, source=1), item(2, source=2, reliability="C"))
    links.append(Link(item(6, "article", source=6, reliability="B"), "contradicts"))
    result = assess_certainty(links, WINDOW)
    assert (result.level, result.rule[:5]) == (Certainty.POSSIBLE, "SSA-8")
    assert any("without them the evidence would give probable" in r for r in result.reasons)


def test_less_reliable_unverified_contradiction_does_not_lower():
    links = supports(item(1, source=1), item(2, source=2))
    links.append(Link(item(6, source=6, reliability="D"), "contradicts"))
    result = assess_certainty(links, WINDOW)
    assert result.level is Certainty.PROBABLE
    assert any("#6 contradicts, but is unverified" in r for r in result.reasons)


def test_a_verified_contradiction_caps_whatever_its_source():
    links = supports(item(1, source=1, reliability="A"), item(2, source=2, reliability="A"))
    links.append(
        Link(
            item(6, "satellite_scene", source=6, reliability="D", status="verified"), "contradicts"
        )
    )
    assert assess_certainty(links, WINDOW).level is Certainty.POSSIBLE


def test_an_official_denial_is_named_and_does_not_lower():
    links = supports(item(1, source=1), item(2, source=2))
    denial = item(
        6, "statement", source=6, reliability="A", credibility=1, source_kind="official_body"
    )
    links.append(Link(denial, "contradicts"))
    result = assess_certainty(links, WINDOW)
    assert result.level is Certainty.PROBABLE
    assert any("#6 is a denial" in reason for reason in result.reasons)


def test_discarded_items_count_for_nothing():
    discarded = [
        item(1, "photo", source=1, status="discarded"),
        item(2, source=2, status="discarded"),
    ]
    result = assess_certainty(supports(*discarded), WINDOW)
    assert result.level is Certainty.RUMOUR
    assert all("discarded, counts for nothing" in reason for reason in result.reasons[:2])
    links = supports(item(3, source=3), item(4, source=4))
    links.append(Link(item(6, source=6, reliability="A", status="discarded"), "contradicts"))
    assert assess_certainty(links, WINDOW).level is Certainty.PROBABLE


def test_context_items_are_named_not_weighed_and_native_grades_shown_beside():
    links = [Link(item(1, "photo", source=1, status="verified"), "context")]
    result = assess_certainty(links, WINDOW, native_grades={"who_ssa_certainty": "Confirmed"})
    assert result.level is Certainty.RUMOUR
    assert result.reasons[0].startswith("context: #1 photo")
    assert result.reasons[-1] == (
        "native grade who_ssa_certainty: 'Confirmed' (kept as recorded, not weighed)"
    )


# Properties.

KINDS = ["article", "social_post", "photo", "video", "satellite_scene", "testimony", "statement"]
items = st.builds(
    lambda number, kind, source, reliability, credibility, status: item(
        number, kind, source, reliability=reliability, credibility=credibility, status=status
    ),
    number=st.integers(1, 10_000),
    kind=st.sampled_from(KINDS),
    source=st.none() | st.integers(1, 4),
    reliability=st.sampled_from("ABCDEF"),
    credibility=st.integers(1, 6),
    status=st.sampled_from(["collected", "in_review", "verified", "discarded"]),
)
links = st.lists(
    st.builds(Link, items, st.sampled_from(["supports", "contradicts", "context"])), max_size=6
)


@settings(max_examples=300, deadline=None)
@given(links, items)
def test_adding_supporting_evidence_never_lowers_certainty(existing, added):
    before = assess_certainty(existing, WINDOW).level
    after = assess_certainty([*existing, Link(added, "supports")], WINDOW).level
    assert certainty_rank(after) >= certainty_rank(before)


@settings(max_examples=300, deadline=None)
@given(links, items)
def test_adding_contradicting_evidence_never_raises_certainty(existing, added):
    before = assess_certainty(existing, WINDOW).level
    after = assess_certainty([*existing, Link(added, "contradicts")], WINDOW).level
    assert certainty_rank(after) <= certainty_rank(before)


@settings(max_examples=200, deadline=None)
@given(links)
def test_every_result_names_its_rule(found):
    result = assess_certainty(found, WINDOW)
    name = result.rule.split(":")[0]
    assert result.rule == f"{name}: {RULES[name]}"
    assert any(reason.startswith(result.rule) for reason in result.reasons)
