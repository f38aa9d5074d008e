"""Searching evidence, on both back ends: what matches, what an asker may see, pages that
give each item once, and an index that follows every change, bulk ingest included."""

from __future__ import annotations

from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from siteline.domain.entities import Custody, EvidenceItem, Site, Source
from siteline.domain.values import FuzzyTime
from siteline.errors import InvalidInput
from siteline.services import audit, evidence, search, search_pages, sites, sources, verification
from siteline.services.ingest_datasets import ingest_datasets

DATASETS = Path(__file__).parent / "fixtures" / "datasets"

EVERYONE = ["public", "restricted", "confidential"]
SEARCH_SETTINGS = settings(
    max_examples=40, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture]
)


def add(case, text: str, **fields) -> int:
    item = EvidenceItem(kind=fields.pop("kind", "article"), text=text, **fields)
    return evidence.add_evidence(case, item, Custody(method="typed in a test"))["id"]


def ids(case, query, sensitivities=EVERYONE, **filters) -> list[int]:
    found = search.search_evidence(case, query, sensitivities=sensitivities, **filters)
    return [item["id"] for item in found["items"]]


def every_page(case, query, limit, sensitivities=EVERYONE) -> tuple[list[int], set[str]]:
    seen, orders, cursor = [], set(), None
    while True:
        found = search.search_evidence(
            case, query, sensitivities=sensitivities, cursor=cursor, limit=limit
        )
        seen += [item["id"] for item in found["items"]]
        orders.add(found["order"])
        cursor = found["next"]
        if cursor is None:
            return seen, orders


def test_every_word_must_match_in_any_field(case):
    strike = add(case, "Barrel bombs hit the M10 hospital in eastern Aleppo.", title="Strike")
    clinic = add(case, "A clinic in Hillcrest was shelled.", title="Hospital annex")
    post = add(
        case,
        "Ambulances at the scene.",
        kind="social_post",
        author_handle="@aleppo_media",
        author_name="Aleppo Media Centre",
        source_url="https://twitter.com/aleppo_media/status/7801",
        platform="twitter",
    )
    assert set(ids(case, "hospital")) == {strike, clinic}
    assert ids(case, "hospital aleppo") == [strike]
    assert ids(case, "HOSPITAL Hillcrest") == [clinic]
    assert ids(case, "aleppo_media") == [post]  # the handle, as words
    assert ids(case, "twitter 7801") == [post]  # the address
    assert ids(case, "media centre") == [post]  # the author's name
    assert ids(case, "hospital ambulances") == []


def test_a_word_in_the_title_ranks_before_one_in_a_long_text(case):
    in_text = add(case, "Long report. " * 30 + "The hospital was hit.", title="Report")
    in_title = add(case, "Long report. " * 30, title="Hospital hit")
    found = search.search_evidence(case, "hospital", sensitivities=EVERYONE)
    assert found["order"] == "relevance"
    assert [item["id"] for item in found["items"]] == [in_title, in_text]


def test_a_phrase_needs_its_words_next_to_each_other_in_order(case):
    adjacent = add(case, "The hospital in eastern Aleppo was hit.")
    apart = add(case, "Aleppo, in the east: eastern districts of the city.")
    assert set(ids(case, "eastern aleppo")) == {adjacent, apart}
    assert ids(case, '"eastern Aleppo"') == [adjacent]
    assert ids(case, '"aleppo eastern"') == []
    assert ids(case, "\u201ceastern aleppo\u201d") == [adjacent]  # typographic quotes
    assert ids(case, "al-Sakhour") == []
    sakhour = add(case, "The al-Sakhour hospital, also M10.")
    assert ids(case, "al-Sakhour") == [sakhour]  # a hyphenated name is a phrase
    assert ids(case, "sakhour al") == [sakhour]  # …but its words are words


def test_a_prefix_matches_the_beginnings_of_words(case):
    one = add(case, "The hospital was hit.")
    two = add(case, "Two hospitals were hit.")
    add(case, "A hostel was hit.")
    assert set(ids(case, "hosp*")) == {one, two}
    assert set(ids(case, '"two hosp*"')) == {two}
    with pytest.raises(InvalidInput, match="at least 3 letters"):
        search.search_evidence(case, "ho*", sensitivities=EVERYONE)


def test_accents_and_letter_case_do_not_matter(case):
    cafe = add(case, "Le Café de l'École, à Alep, fut touché. Ærø Straße")
    for query in ("cafe", "CAFÉ", "ecole", "École", "ALEP", '"cafe de l ecole"', "a"):
        assert ids(case, query) == [cafe], query
    decomposed = add(case, "une e\u0301cole de\u0301truite")  # accents as separate marks
    assert set(ids(case, "école")) == {cafe, decomposed}
    assert ids(case, "détruite") == [decomposed]


def test_arabic_matches_with_or_without_harakat_and_letter_forms(case):
    hospital = add(case, "قصف مُسْتَشْفَى الصاخور في حلب الشرقية")
    school = add(case, "أُصيبت مدرسةٌ في إدلب وقُتل أحمد")
    stretched = add(case, "مستشــفى الأطفال")  # tatweel
    for query in ("مستشفى", "مُسْتَشْفَى", "مستشفي", "مستشــفى"):
        assert set(ids(case, query)) == {hospital, stretched}, query
    assert ids(case, "الصاخور") == [hospital]
    for query in ("مدرسة", "مدرسه", "ادلب", "إدلب", "احمد", "أحمد", "اصيبت"):
        assert ids(case, query) == [school], query
    assert ids(case, '"مستشفى الصاخور"') == [hospital]
    assert set(ids(case, "مستش*")) == {hospital, stretched}
    snippet = search.search_evidence(case, "مستشفى الصاخور", sensitivities=EVERYONE)["items"]
    marked = [part["text"] for part in snippet[0]["snippet"]["parts"] if part["match"]]
    assert marked == ["مُسْتَشْفَى", "الصاخور"]


HOSTILE = [
    '"',
    '""',
    "'",
    "((",
    ")",
    "OR",
    "hospital OR",
    "NOT hospital",
    "hospital AND",
    "NEAR(",
    "NEAR(hospital aleppo, 2)",
    "hospital:*",
    "title:hospital",
    "{title}: hospital",
    "^hospital",
    "hospital + aleppo",
    "-hospital",
    '"unclosed phrase',
    'hospital"',
    "hospital\\",
    "hos\x00pital",
    "\x00",
    "*",
    "**hospital**",
    "!!!",
    "'; DROP TABLE evidence; --",
    "&|!<->:*",
    "x" * 101,
    "hospital " * 200,
    "word " * 30,
    " ".join(f"w{n}" for n in range(30)),
]


@pytest.mark.parametrize("query", HOSTILE, ids=range(len(HOSTILE)))
def test_hostile_queries_give_results_or_a_clear_refusal(case, query):
    add(case, "The hospital in eastern Aleppo, NEAR the OR.")
    try:
        found = search.search_evidence(case, query, sensitivities=EVERYONE)
    except InvalidInput as refusal:
        assert refusal.field == "query" and refusal.problem
    else:
        assert isinstance(found["items"], list)


@SEARCH_SETTINGS
@given(query=st.text(alphabet=st.sampled_from("ab \"*()-:^+{}\\'\x00ORNEAR&|!<>é"), max_size=40))
def test_no_typed_query_raises_a_database_error(case, query):
    try:
        search.search_evidence(case, query, sensitivities=["public"])
    except InvalidInput as refusal:
        assert refusal.field == "query"


def test_a_query_with_nothing_to_search_is_refused_clearly(case):
    for query in ("", "   ", "*", '"" ()', "\u0640", "\u064e"):
        with pytest.raises(InvalidInput, match="nothing to search for"):
            search.search_evidence(case, query, sensitivities=EVERYONE)
    with pytest.raises(InvalidInput, match="at most 1000 characters"):
        search.search_evidence(case, "x " * 600, sensitivities=EVERYONE)


def test_an_asker_sees_only_the_sensitivities_given(case, key_file):
    public = add(case, "Hospital hit, public report.")
    restricted = add(case, "Hospital hit, restricted note.", sensitivity="restricted")
    secret = add(
        case, "Hospital hit, said the witness.", title="Hospital account", kind="testimony"
    )
    assert set(ids(case, "hospital")) == {public, restricted, secret}
    assert ids(case, "hospital", ["public"]) == [public]
    assert set(ids(case, "hospital", ["public", "restricted"])) == {public, restricted}
    assert ids(case, "restricted", ["public"]) == []
    assert ids(case, None, ["public"]) == [public]
    assert every_page(case, "hospital", 1, ["public"])[0] == [public]
    counted = search.search_evidence(case, "hospital", sensitivities=["public"], count=True)
    assert (counted["total_estimate"], counted["total_is_exact"]) == (1, True)
    for nobody in ([], ()):
        with pytest.raises(InvalidInput, match="sensitivities"):
            search.search_evidence(case, "hospital", sensitivities=nobody)
    with pytest.raises(TypeError):
        search.search_evidence(case, "hospital")  # no default that shows everything


def test_sealed_text_is_never_searched_only_the_fields_in_the_clear(case):
    secret = add(case, "Zarqawi street", title="Night shift account", kind="testimony")
    assert ids(case, "zarqawi") == []
    assert ids(case, "night shift") == [secret]
    item = search.search_evidence(case, "night", sensitivities=EVERYONE)["items"][0]
    assert item["snippet"]["field"] == "title"
    assert "Zarqawi" not in str(item)


@pytest.mark.parametrize("query", ["hospital", None])
def test_pages_give_every_item_exactly_once(case, query):
    # Texts of different lengths rank differently; equal ones tie and are ordered by id.
    made = [add(case, "hospital " + "report " * (n % 4) + f"n{n}") for n in range(23)]
    clinic = add(case, "a clinic")
    seen, orders = every_page(case, query, 5)
    assert sorted(seen) == (made if query else [*made, clinic])
    assert len(seen) == len(set(seen))
    assert orders == {"relevance" if query else "added"}


def test_a_search_matching_too_many_to_rank_lists_the_newest_first(case, monkeypatch):
    made = [add(case, f"hospital report {n}") for n in range(7)]
    monkeypatch.setattr(search_pages, "RANK_LIMIT", 4)
    seen, orders = every_page(case, "hospital", 3)
    assert (seen, orders) == (made[::-1], {"added"})
    assert ids(case, "report 3") == [made[3]]  # few matches: ranked as before


def test_a_cursor_belongs_to_its_own_search(case):
    for n in range(3):
        add(case, f"hospital {n}")
    cursor = search.search_evidence(case, "hospital", sensitivities=EVERYONE, limit=1)["next"]
    with pytest.raises(InvalidInput, match="another search"):
        search.search_evidence(case, "clinic", sensitivities=EVERYONE, cursor=cursor)
    with pytest.raises(InvalidInput, match="another search"):
        search.search_evidence(case, "hospital", sensitivities=["public"], cursor=cursor)
    for forged in ("garbage", "W10", "x" * 400, cursor[:-3], "WyJhZGRlZCIsMSwyLCJ4Il0"):
        with pytest.raises(InvalidInput, match="cursor"):
            search.search_evidence(case, "hospital", sensitivities=EVERYONE, cursor=forged)
    with pytest.raises(InvalidInput, match="limit"):
        search.search_evidence(case, "hospital", sensitivities=EVERYONE, limit=0)


def test_filters_narrow_a_search(case):
    site = sites.add_site(case, Site("Northgate Hospital"))["id"]
    source = sources.add_source(case, Source("Eastgate Daily", kind="outlet"))["id"]
    at_site = add(case, "Strike on the hospital.", site_id=site, published=_time("2016-09-28"))
    by_source = add(case, "Hospital damaged.", source_id=source, published=_time("2016-10-03"))
    post = add(case, "Hospital hit again.", kind="social_post")
    assert ids(case, "hospital", kind="social_post") == [post]
    assert ids(case, "hospital", site_id=site) == [at_site]
    assert ids(case, "hospital", source_id=source) == [by_source]
    assert ids(case, "hospital", published_since="2016-10") == [by_source]
    assert ids(case, "hospital", published_until=_time("2016-09")) == [at_site]
    verification.transition(case, post, "in_review")
    assert ids(case, "hospital", status="in_review") == [post]
    assert ids(case, None, kind="social_post", status="in_review") == [post]
    with pytest.raises(InvalidInput, match="kind"):
        ids(case, "hospital", kind="rumour")


def test_the_index_follows_changes_deletions_and_bulk_ingest(case):
    item = add(case, "A report on the clinic.", title="Old title")
    evidence.update_evidence(case, item, title="Northgate strike")
    assert ids(case, "northgate") == [item]
    assert ids(case, "old title") == []
    evidence.update_evidence(case, item, credibility=2)  # not an indexed field
    assert ids(case, "northgate clinic") == [item]
    evidence.delete_evidence(case, item, "added twice")
    assert ids(case, "northgate") == []
    assert ids(case, None) == []
    report = ingest_datasets(case, [DATASETS / "acled_quoted_crlf.csv"])
    rows = [
        row["id"]
        for row in evidence.list_evidence(case, kind="dataset_row")
        if "Hillcrest" in (row["text"] or "")
    ]
    assert rows and set(rows) <= set(report.item_ids)
    assert ids(case, "gunmen hillcrest") == rows
    assert audit.verify(case).ok


def _time(text: str) -> FuzzyTime:
    return FuzzyTime.parse(text, "published")


WORD_LETTERS = "abcdeéèêëàâîïôûüçñøæ" + "ابتثجحخدذرسشصضطظعغفقكلمنهوي" + "أإآىة"
HARAKAT = "\u064b\u064c\u064d\u064e\u064f\u0650\u0651\u0652\u0640"


@SEARCH_SETTINGS
@given(
    words=st.lists(st.text(alphabet=WORD_LETTERS, min_size=2, max_size=8), min_size=1, max_size=4),
    marks=st.lists(st.sampled_from(HARAKAT), max_size=3),
)
def test_every_word_of_a_text_finds_it_with_or_without_its_marks(case, words, marks):
    """The query folds words as the index does (migration 0007): a word written with
    harakat, tatweel or accents, or without, finds the item either way."""
    marked = [word[0] + "".join(marks) + word[1:] for word in words]
    item = add(case, " ".join(marked) + " zzfold")
    for typed, plain in zip(marked, words, strict=True):
        assert item in ids(case, f"{typed} zzfold"), typed
        assert item in ids(case, f"{plain} zzfold"), plain
    evidence.delete_evidence(case, item, "one example of many")
