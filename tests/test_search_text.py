"""Reading a search as typed, and marking a snippet: pure, and checked against a real FTS5
table so that no typed text can become syntax."""

from __future__ import annotations

import sqlite3

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from siteline.analysis.search_text import (
    MIN_PREFIX_CHARS,
    Term,
    fts5_match,
    parse_query,
    snippet,
    tsquery_text,
)
from siteline.errors import InvalidInput

FIELDS = ("text", "title")


def terms_of(text: str) -> list[tuple[tuple[str, ...], bool]]:
    return [(term.words, term.prefix) for term in parse_query(text).terms]


def test_words_phrases_and_prefixes_are_read_as_typed():
    assert terms_of('hospital "eastern Aleppo" hosp* al-Sakhour') == [
        (("hospital",), False),
        (("eastern", "Aleppo"), False),
        (("hosp",), True),
        (("al", "Sakhour"), False),
    ]
    assert terms_of('"the hosp*"') == [(("the", "hosp"), True)]
    assert terms_of('"unclosed phrase') == [(("unclosed", "phrase"), False)]
    assert terms_of("hosp *") == [(("hosp",), False)]  # a * apart from a word is nothing
    assert terms_of("OR NEAR( hospital OR") == [(("OR",), False), (("NEAR",), False)] + [
        (("hospital",), False)
    ]


def test_marks_alone_and_control_characters_are_not_words():
    assert terms_of("\x00hospital\x00 \u064e \u0640") == [(("hospital",), False)]
    assert terms_of("مُسْتَشْفَى") == [(("مُسْتَشْفَى",), False)]  # harakat stay in the word


def test_limits_are_refused_with_their_reason():
    with pytest.raises(InvalidInput, match="a prefix needs at least"):
        parse_query("a" * (MIN_PREFIX_CHARS - 1) + "*")
    with pytest.raises(InvalidInput, match="more than 100 characters"):
        parse_query("x" * 101)
    with pytest.raises(InvalidInput, match="at most 24 words"):
        parse_query(" ".join(f"w{n}" for n in range(25)))


def test_the_database_queries_quote_every_word():
    terms = [(("say", 'x"y'), True), (("it's",), False)]
    assert fts5_match(terms) == '"say" + "x""y"* AND "it\'s"'
    assert tsquery_text(terms) == "'say' <-> 'x\"y':* & 'it''s'"
    assert tsquery_text([(("a\\b",), False)]) == "'a\\\\b'"


@pytest.fixture(scope="module")
def fts5():
    connection = sqlite3.connect(":memory:")
    connection.execute(
        "CREATE VIRTUAL TABLE t USING fts5(a, tokenize="
        "\"unicode61 remove_diacritics 2 categories 'L* N* Co M*'\")"
    )
    connection.execute("INSERT INTO t(a) VALUES ('the hospital NEAR the OR AND')")
    yield connection
    connection.close()


@settings(max_examples=300, deadline=None)
@given(text=st.text(max_size=60))
def test_any_typed_text_is_refused_or_becomes_a_valid_fts5_query(fts5, text):
    try:
        terms = terms_of(text)
    except InvalidInput as refusal:
        assert refusal.field == "query"
        return
    fts5.execute("SELECT rowid FROM t WHERE t MATCH ?", (fts5_match(terms),)).fetchall()


def test_a_snippet_marks_the_matched_words_as_parts_not_markup():
    query = parse_query("hosp* aleppo")
    text = "Intro. " * 20 + "<b>The</b> hospital in Aleppo & its hospitals were hit.\nAgain."
    found = snippet({"text": text, "title": "Report"}, query, FIELDS)
    assert found["field"] == "text"
    assert found["text"] == "".join(part["text"] for part in found["parts"])
    assert [part["text"] for part in found["parts"] if part["match"]] == [
        "hospital",
        "Aleppo",
        "hospitals",
    ]
    assert "<b>The</b>" in found["text"]  # plain text: the page escapes it
    assert found["text"].startswith("…") and "\n" not in found["text"]
    assert len(found["text"]) <= 200


def test_a_snippet_comes_from_the_first_field_that_matches_or_the_beginning():
    query = parse_query("report")
    found = snippet({"text": "Nothing here.", "title": "Field report"}, query, FIELDS)
    assert (found["field"], found["text"]) == ("title", "Field report")
    unmatched = snippet({"text": "Nothing here.", "title": None}, query, FIELDS)
    assert unmatched["parts"] == [{"text": "Nothing here.", "match": False}]
    assert snippet({"text": None, "title": None}, query, FIELDS) is None


def test_a_snippet_marks_words_with_accents_and_harakat_folded():
    query = parse_query("ecole مستشفى")
    found = snippet({"text": "L'École et le مُسْتَشْفَى."}, query, ("text",))
    assert [part["text"] for part in found["parts"] if part["match"]] == ["École", "مُسْتَشْفَى"]


def test_a_term_is_a_value():
    assert Term(("a",)) == Term(("a",), False) != Term(("a",), True)
