"""The verdict rules (analysis.verdicts), each kind supported, contradicted and unresolved,
and the edge cases where only 'unresolved' is honest."""

from __future__ import annotations

from datetime import date

from hypothesis import given, settings
from hypothesis import strategies as st

from siteline.analysis.facts import ChangeAnalysis, Item, Scene, Span
from siteline.analysis.verdicts import IncidentFact, Question, decide, render
from siteline.domain.values import FuzzyTime
from siteline.domain.vocabularies import Certainty, Verdict

HOSPITAL = "POINT (45.25 12.5)"
AREA = "POLYGON ((45 12, 46 12, 46 13, 45 13, 45 12))"


def when(text: str) -> FuzzyTime:
    return FuzzyTime.parse(text, "t")


def incident(
    number: int,
    start: str,
    end: str | None = None,
    site: int = 1,
    certainty: str = "probable",
    damage: str | None = None,
    kind: str = "hospital",
    geometry: str | None = HOSPITAL,
) -> IncidentFact:
    return IncidentFact(
        incident_id=number,
        site_id=site,
        window=Span.of(when(start), when(end) if end else None),
        certainty=Certainty(certainty),
        certainty_rule="SSA-3",
        site_kind=kind,
        site_geometry=geometry,
        damage_class=damage,
        items=(Item(40 + number, "photo", sha256=f"{number:064x}"),),
    )


def question(kind: str, start: str, end: str | None = None, **fields) -> Question:
    return Question(
        claim_id=1,
        kind=kind,
        period_start=when(start),
        period_end=when(end) if end else None,
        **fields,
    )


def rule(result) -> str:
    return result.rule.split(":")[0]


def text(result) -> str:
    return "\n".join(render(result.reasons, result.mentions))


# Site S was not attacked in a period.

SEPTEMBER = ("2016-09-20", "2016-09-30")


def test_not_attacked_is_contradicted_by_an_attack_inside_the_period():
    result = decide(question("not_attacked", *SEPTEMBER, site_id=1), [incident(4, "2016-09-24")])
    assert (result.verdict, rule(result)) == (Verdict.CONTRADICTED, "V-NA1")
    assert "incident #4" in text(result) and "lies wholly inside the period" in text(result)
    element = result.elements[0]
    assert (element["type"], element["id"], element["role"]) == ("incident", 4, "contradicts")
    assert element["items"][0]["sha256"] == f"{4:064x}"


def test_no_documented_attack_leaves_not_attacked_unresolved_never_supported():
    result = decide(
        question("not_attacked", *SEPTEMBER, site_id=1), [incident(4, "2016-09-24", site=2)]
    )
    assert (result.verdict, rule(result)) == (Verdict.UNRESOLVED, "V-NA0")
    assert "absence of documented attacks is not evidence of absence" in text(result)


def test_a_month_precision_attack_against_a_day_period_is_unresolved():
    result = decide(question("not_attacked", "2016-09-24", site_id=1), [incident(4, "2016-09")])
    assert (result.verdict, rule(result)) == (Verdict.UNRESOLVED, "V-NA2")
    assert "its window 2016-09 reaches outside the period 2016-09-24" in text(result)


def test_an_attack_over_the_period_edge_is_unresolved():
    overlapping = incident(4, "2016-09-19", "2016-09-21")
    result = decide(question("not_attacked", *SEPTEMBER, site_id=1), [overlapping])
    assert (result.verdict, rule(result)) == (Verdict.UNRESOLVED, "V-NA2")
    assert result.elements[0]["role"] == "uncertain"


def test_an_attack_below_the_least_certainty_is_unresolved_unless_the_claim_asks_less():
    possible = incident(4, "2016-09-24", certainty="possible")
    strict = decide(question("not_attacked", *SEPTEMBER, site_id=1), [possible])
    assert strict.verdict is Verdict.UNRESOLVED
    assert "certainty possible is below the probable the claim needs" in text(strict)
    lenient = question("not_attacked", *SEPTEMBER, site_id=1, min_certainty=Certainty.POSSIBLE)
    assert decide(lenient, [possible]).verdict is Verdict.CONTRADICTED


# No site of a kind, or in an area, attacked in a period.


def test_no_attacks_on_a_kind_of_site():
    claim = question("no_attacks_in_period", *SEPTEMBER, site_kind="hospital")
    assert decide(claim, [incident(4, "2016-09-24")]).verdict is Verdict.CONTRADICTED
    school = decide(claim, [incident(4, "2016-09-24", kind="school")])
    assert (school.verdict, rule(school)) == (Verdict.UNRESOLVED, "V-NP0")


def test_no_attacks_in_an_area():
    claim = question("no_attacks_in_period", *SEPTEMBER, area_wkt=AREA)
    inside = decide(claim, [incident(4, "2016-09-24")])
    assert (inside.verdict, rule(inside)) == (Verdict.CONTRADICTED, "V-NP1")
    elsewhere = decide(claim, [incident(4, "2016-09-24", geometry="POINT (50 20)")])
    assert elsewhere.verdict is Verdict.UNRESOLVED and rule(elsewhere) == "V-NP0"


def test_an_attack_at_a_site_without_location_cannot_be_placed_in_an_area():
    claim = question("no_attacks_in_period", *SEPTEMBER, area_wkt=AREA)
    result = decide(claim, [incident(4, "2016-09-24", geometry=None)])
    assert (result.verdict, rule(result)) == (Verdict.UNRESOLVED, "V-NP2")
    assert "site #1 has no location: it cannot be placed in the area" in text(result)


def test_a_site_across_the_area_edge_is_uncertain():
    across = "POLYGON ((45.9 12.5, 46.1 12.5, 46.1 12.6, 45.9 12.6, 45.9 12.5))"
    claim = question("no_attacks_in_period", *SEPTEMBER, area_wkt=AREA)
    result = decide(claim, [incident(4, "2016-09-24", geometry=across)])
    assert result.verdict is Verdict.UNRESOLVED
    assert "lies across the edge of the area" in text(result)


# Site S attacked on a date.


def test_attacked_is_supported_by_an_attack_on_that_day():
    result = decide(
        question("attacked", "2016-09-24", site_id=1), [incident(4, "2016-09-24T02:15")]
    )
    assert (result.verdict, rule(result)) == (Verdict.SUPPORTED, "V-AT1")


def test_attacked_is_unresolved_when_the_date_is_imprecise_or_nothing_is_documented():
    claim = question("attacked", "2016-09-24", site_id=1)
    imprecise = decide(claim, [incident(4, "2016-09")])
    assert (imprecise.verdict, rule(imprecise)) == (Verdict.UNRESOLVED, "V-AT2")
    nothing = decide(claim, [])
    assert (nothing.verdict, rule(nothing)) == (Verdict.UNRESOLVED, "V-AT0")


# A count of attacks.


def counted(*days: str, **fields) -> list[IncidentFact]:
    return [incident(number, day, **fields) for number, day in enumerate(days, start=1)]


def test_at_least_n_attacks():
    claim = question("attack_count", "2016-09", count=2, comparison="at_least")
    assert decide(claim, counted("2016-09-02", "2016-09-10")).verdict is Verdict.SUPPORTED
    short = decide(claim, counted("2016-09-02"))
    assert (short.verdict, rule(short)) == (Verdict.UNRESOLVED, "V-AC0")
    assert "1 attack(s) on any site documented wholly inside 2016-09" in text(short)


def test_at_most_n_attacks():
    claim = question("attack_count", "2016-09", count=1, comparison="at_most")
    over = decide(claim, counted("2016-09-02", "2016-09-10"))
    assert (over.verdict, rule(over)) == (Verdict.CONTRADICTED, "V-AC2")
    assert decide(claim, counted("2016-09-02")).verdict is Verdict.UNRESOLVED


def test_exactly_n_attacks():
    claim = question("attack_count", "2016-09", count=2, comparison="exactly")
    exact = decide(claim, counted("2016-09-02", "2016-09-10"))
    assert (exact.verdict, rule(exact)) == (Verdict.SUPPORTED, "V-AC3")
    edge = [*counted("2016-09-02", "2016-09-10"), incident(9, "2016-08-31", "2016-09-01")]
    assert decide(claim, edge).verdict is Verdict.UNRESOLVED
    more = decide(claim, counted("2016-09-02", "2016-09-10", "2016-09-11"))
    assert more.verdict is Verdict.CONTRADICTED


def test_unplaced_attacks_are_listed_never_counted():
    claim = question("attack_count", "2016-09", count=2, comparison="at_least", area_wkt=AREA)
    attacks = [incident(1, "2016-09-02"), incident(2, "2016-09-05", geometry=None)]
    result = decide(claim, attacks)
    assert result.verdict is Verdict.UNRESOLVED
    assert "1 attack(s) on any site in the claimed area" in text(result)
    assert [e["role"] for e in result.elements] == ["counted", "uncertain"]


def test_a_count_of_attacks_on_a_kind_of_site_ignores_other_kinds():
    claim = question("attack_count", "2016-09", count=1, comparison="exactly", site_kind="school")
    attacks = [incident(1, "2016-09-02", kind="school"), incident(2, "2016-09-05")]
    assert decide(claim, attacks).verdict is Verdict.SUPPORTED


# No change at site S between t1 and t2.


def scene(number: int, captured: str | None, status: str = "verified", sensitivity="public"):
    return Scene(
        number,
        f"{number:064x}",
        when(captured) if captured else None,
        status=status,
        verified=status == "verified",
        discarded=status == "discarded",
        sensitivity=sensitivity,
    )


def analysis(before, after, p=0.01, site_share=0.2, ring_share=0.02, craters=0, number=7):
    return ChangeAnalysis(
        number, "c" * 64, 1, (before,), (after,), site_share, ring_share, p, craters
    )


NO_CHANGE = ("no_change", "2016-09-20", "2016-09-30")


def test_a_change_inside_the_period_contradicts_no_change():
    found = analysis(scene(1, "2016-09-21"), scene(2, "2016-09-29"))
    result = decide(question(*NO_CHANGE, site_id=1), [], [found])
    assert (result.verdict, rule(result)) == (Verdict.CONTRADICTED, "V-NC1")
    reasons = text(result)
    assert "derived item #7 (before #1 (2016-09-21); after #2 (2016-09-29)) shows change" in reasons
    assert "20.0 % of the site changed against 2.0 % of the ring (block p = 0.01)" in reasons
    element = result.elements[0]
    assert element["sha256"] == "c" * 64
    assert [s["sha256"] for s in element["scenes"]] == [f"{1:064x}", f"{2:064x}"]


def test_a_crater_inside_the_site_is_change_even_without_a_significant_share():
    found = analysis(scene(1, "2016-09-21"), scene(2, "2016-09-29"), p=0.4, craters=1)
    result = decide(question(*NO_CHANGE, site_id=1), [], [found])
    assert result.verdict is Verdict.CONTRADICTED
    assert "1 crater-like object(s) inside the site" in text(result)


def test_an_analysis_spanning_the_period_with_no_change_supports():
    found = analysis(scene(1, "2016-09-20"), scene(2, "2016-09-30"), p=0.6, site_share=0.01)
    result = decide(question(*NO_CHANGE, site_id=1), [], [found])
    assert (result.verdict, rule(result)) == (Verdict.SUPPORTED, "V-NC3")


def test_an_analysis_not_spanning_the_period_does_not_support():
    found = analysis(scene(1, "2016-09-22"), scene(2, "2016-09-30"), p=0.6, site_share=0.01)
    result = decide(question(*NO_CHANGE, site_id=1), [], [found])
    assert (result.verdict, rule(result)) == (Verdict.UNRESOLVED, "V-NC0")
    assert "does not span the period" in text(result)


def test_a_change_reaching_outside_the_period_is_unresolved():
    found = analysis(scene(1, "2016-09-10"), scene(2, "2016-09-25"))
    result = decide(question(*NO_CHANGE, site_id=1), [], [found])
    assert (result.verdict, rule(result)) == (Verdict.UNRESOLVED, "V-NC5")
    assert "the change may lie outside it" in text(result)


def test_a_damaging_attack_inside_the_period_contradicts_no_change():
    result = decide(question(*NO_CHANGE, site_id=1), [incident(4, "2016-09-24", damage="severe")])
    assert (result.verdict, rule(result)) == (Verdict.CONTRADICTED, "V-NC2")
    undamaged = decide(question(*NO_CHANGE, site_id=1), [incident(4, "2016-09-24")])
    assert (undamaged.verdict, rule(undamaged)) == (Verdict.UNRESOLVED, "V-NC5")
    assert "its damage is not assessed" in text(undamaged)


def test_contradictory_evidence_is_unresolved_with_both_named():
    unchanged = analysis(scene(1, "2016-09-19"), scene(2, "2016-09-30"), p=0.7, site_share=0.0)
    attack = incident(4, "2016-09-24", damage="destroyed", certainty="confirmed")
    result = decide(question(*NO_CHANGE, site_id=1), [attack], [unchanged])
    assert (result.verdict, rule(result)) == (Verdict.UNRESOLVED, "V-NC4")
    assert {element["role"] for element in result.elements} == {"contradicts", "supports"}
    assert "the evidence is contradictory" in text(result)


def test_scenes_of_unknown_date_or_discarded_cannot_decide():
    undated = analysis(scene(1, None), scene(2, "2016-09-29"))
    result = decide(question(*NO_CHANGE, site_id=1), [], [undated])
    assert result.verdict is Verdict.UNRESOLVED
    assert "a scene's date is unknown" in text(result)
    discarded = analysis(scene(1, "2016-09-21", "discarded"), scene(2, "2016-09-29"))
    result = decide(question(*NO_CHANGE, site_id=1), [], [discarded])
    assert (result.verdict, rule(result)) == (Verdict.UNRESOLVED, "V-NC0")
    assert "cannot be used: one of its scenes was discarded" in text(result)


def test_a_public_rendering_names_a_confidential_scene_only_as_such():
    found = analysis(scene(1, "2016-09-21", sensitivity="confidential"), scene(2, "2016-09-29"))
    result = decide(question(*NO_CHANGE, site_id=1), [], [found])
    public = "\n".join(render(result.reasons, result.mentions, {1: "confidential"}))
    assert public.startswith("a confidential item shows change")
    assert "#1" not in public and "derived item #7" not in public


def test_a_claim_missing_its_period_cannot_be_tested():
    result = decide(
        Question(claim_id=1, kind="not_attacked", site_id=1), [incident(4, "2016-09-24")]
    )
    assert (result.verdict, rule(result)) == (Verdict.UNRESOLVED, "V-0")


# Properties.

days = st.dates(min_value=date(2016, 1, 1), max_value=date(2016, 12, 31))
texts = st.one_of(days.map(lambda day: day.isoformat()), days.map(lambda day: day.isoformat()[:7]))
incidents = st.lists(
    st.builds(
        incident,
        number=st.integers(1, 500),
        start=texts,
        site=st.integers(1, 2),
        certainty=st.sampled_from([c.value for c in Certainty]),
        damage=st.sampled_from([None, "destroyed", "possible"]),
        geometry=st.sampled_from([HOSPITAL, None, "POINT (50 20)"]),
    ),
    max_size=6,
    unique_by=lambda found: found.incident_id,
)


@settings(max_examples=200, deadline=None)
@given(incidents, days)
def test_absence_claims_are_never_supported(found, day):
    for kind, scope in (
        ("not_attacked", {"site_id": 1}),
        ("no_attacks_in_period", {"area_wkt": AREA}),
    ):
        result = decide(question(kind, day.isoformat(), **scope), found)
        assert result.verdict is not Verdict.SUPPORTED


@settings(max_examples=200, deadline=None)
@given(incidents, st.integers(0, 4))
def test_an_at_least_count_is_never_contradicted_and_never_counts_the_unplaced(found, stated):
    claim = question("attack_count", "2016-03", "2016-08", count=stated, area_wkt=AREA)
    result = decide(claim, found)
    assert result.verdict is not Verdict.CONTRADICTED
    counted_ids = {e["id"] for e in result.elements if e["role"] == "counted"}
    unplaced = {i.incident_id for i in found if i.site_geometry is None}
    assert not counted_ids & unplaced
