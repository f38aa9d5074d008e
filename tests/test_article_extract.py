"""The article extractor on our own fixtures (each embedded-post form, encodings, HTML) and the
golden test on the project's sample article in ../shared/data."""

from __future__ import annotations

from pathlib import Path

import pytest
from conftest import shared_data

from siteline.domain.values import FuzzyTime, TimePrecision
from siteline.ingest.articles import PlaceIndex, extract_article
from siteline.ingest.model import PlaceEntry

FIXTURES = Path(__file__).parent / "fixtures" / "articles"


def extract(name: str, **options):
    return extract_article((FIXTURES / name).read_bytes(), source_name=name, **options)


def test_line_form_in_windows_1252_with_crlf():
    result = extract("line_form_cp1252.txt")
    assert result.encoding == "windows-1252"
    [post] = result.posts
    assert (post.handle, post.display_name, str(post.published)) == (
        "lina_reports",
        "Lina Haddad",
        "2021-03-03",
    )
    assert post.published.precision is TimePrecision.DAY
    assert post.form == "line"
    assert post.links == ["pic.twitter.com/AbCdEf1234"]
    assert post.hashtags == ["Eastgate"]
    assert "Smoke still rising" not in result.body and "@lina_reports" not in result.body
    assert "\r" not in result.body
    assert result.boilerplate == ["Photo by Eastgate Daily"]
    [figure] = result.figures
    assert (figure.value, figure.what, figure.period) == (12, "attacks on clinics", "last 3 months")


def test_expanded_card_form():
    result = extract("card_form.txt")
    [post] = result.posts
    assert (post.handle, post.display_name, str(post.published), post.form) == (
        "omar_saleh",
        "Omar Saleh",
        "2021-03-02",
        "card",
    )
    assert post.text == "The road to the hospital is closed again #Eastgate"
    assert "Retweets" not in result.body and "Follow" not in result.body
    assert result.body == "Residents said the road had been closed for days."


def test_inline_form_with_the_next_sentence_glued_on():
    result = extract("inline_form.txt")
    [post] = result.posts
    assert (post.handle, str(post.published), post.form) == ("DrSami_EG", "2021-03-04", "inline")
    assert post.text.startswith("The clinic is open")
    assert post.links == ["pic.twitter.com/ZyXw987654"]
    # The glued sentence stays in the body, on its own line; the article's own sentence too.
    assert "Critics were not convinced." in result.body.splitlines()[1]
    assert result.body.startswith("Officials were quick to answer.")
    assert result.boilerplate == ["Featured image via Eastgate Daily"]
    [statement] = result.statements
    assert statement.speaker == "a nurse"
    assert statement.quote.startswith("The east wing is gone")


def test_punctuation_stripped_form_and_wire_tags():
    result = extract("stripped_form.txt")
    first, second = result.posts
    assert (first.handle, first.display_name, str(first.published), first.form) == (
        "reliefwatch",
        "Relief Watch",
        "2021-03-05",
        "stripped",
    )
    assert first.links == ["https://t.co/QwErTy1234", "pic.twitter.com/AsDfGh5678"]
    # The month was lost: only the year is known, and said so.
    assert second.handle == "EG_relief"
    assert second.published == FuzzyTime.parse("2021", "t")
    assert second.published.precision is TimePrecision.YEAR
    assert "(Reuters)" not in result.body and "REUTERS" not in result.body
    assert result.body.startswith("WASHINGTON The convoy reached the town")
    assert "httpst" not in result.body


def test_html_article_with_header_date_and_title():
    index = PlaceIndex.from_entries(
        [PlaceEntry("Eastgate General Hospital", "site", aliases=["Eastgate clinic"], site_id=7)],
        include_world=False,
    )
    result = extract("html_article.html", places=index)
    assert result.title == "Clinic hit again"
    assert (str(result.article_date), result.article_date_source) == ("2021-03-08", "html")
    [post] = result.posts  # the handle-like text in the script is not a post
    assert (post.handle, str(post.published)) == ("eastgate_clinic", "2021-03-06")
    assert [(d.text, str(d.value), d.relative) for d in result.dates] == [
        ("on Saturday", "2021-03-06", True)
    ]
    [place] = result.places
    assert (place.name, place.site_id, place.text) == (
        "Eastgate General Hospital",
        7,
        "Eastgate clinic",
    )
    [statement] = result.statements
    assert (statement.speaker, statement.quote) == (
        "Director Amal Nasser",
        "We will not close the clinic.",
    )
    assert "Read more" not in result.body


def test_the_date_argument_wins_over_the_header():
    result = extract("html_article.html", article_date=FuzzyTime.parse("2021-03-10", "t"))
    assert (str(result.article_date), result.article_date_source) == ("2021-03-10", "argument")
    assert [str(d.value) for d in result.dates] == ["2021-03-06"]  # the Saturday before


@pytest.mark.parametrize(
    ("text", "anchor", "expected", "precision"),
    [
        ("taken on Sept. 24.", "2017-02-14", "2016-09-24", "day"),
        ("taken on Feb. 14.", "2017-02-14", "2017-02-14", "day"),
        ("taken on 15 February.", "2017-02-14", "2016-02-15", "day"),
        ("In December, they left.", "2017-02-14", "2016-12", "month"),
        ("In February, they left.", "2017-02-14", "2017-02", "month"),
        ("released Monday.", "2017-02-14", "2017-02-13", "day"),
        ("released Tuesday.", "2017-02-14", "2017-02-14", "day"),
        ("it happened yesterday.", "2017-02-14", "2017-02-13", "day"),
        ("on March 3, 2015 it began", "2017-02-14", "2015-03-03", "day"),
        ("by 4 July 2012 it ended", "2017-02-14", "2012-07-04", "day"),
        ("since August 2013 it was", "2017-02-14", "2013-08", "month"),
        ("in 2014 it was", "2017-02-14", "2014", "year"),
        ("on 2016-09-25 it was", "2017-02-14", "2016-09-25", "day"),
    ],
)
def test_dates_absolute_and_relative(text, anchor, expected, precision):
    result = extract_article(text, article_date=FuzzyTime.parse(anchor, "t"))
    [found] = result.dates
    assert (str(found.value), str(found.value.precision)) == (expected, precision)


def test_relative_dates_are_left_out_without_an_article_date():
    result = extract_article("It was hit on Monday and again on Sept. 24, and in 2015.")
    assert [d.text for d in result.dates] == ["in 2015"]


def test_dateline_on_the_first_line_gives_the_article_date():
    result = extract_article("February 14, 2017\nThe clinic was hit on Monday.")
    assert (str(result.article_date), result.article_date_source) == ("2017-02-14", "text")
    assert "2017-02-13" in [str(d.value) for d in result.dates]


# The golden test: the project's sample article.

ALEPPO_SITES = [
    PlaceEntry("M10 hospital", "site", aliases=["M10", "al-Sakhour", "Sakhour"], site_id=1),
    PlaceEntry("M2 hospital", "site", aliases=["M2", "Omar bin AbdulAziz hospital"], site_id=2),
]


@pytest.fixture(scope="module")
def aleppo():
    path = shared_data("articles/breaking-aleppo.txt")
    index = PlaceIndex.from_entries(ALEPPO_SITES, include_world=True)
    return extract_article(
        path.read_bytes(),
        article_date=FuzzyTime.parse("2017-02-14", "t"),
        places=index,
        source_name=str(path),
    )


def test_golden_posts(aleppo):
    assert [(p.handle, str(p.published), p.form) for p in aleppo.posts] == [
        ("MaksCzuperski", "2017-02-13", "line"),
        ("AtlanticCouncil", "2017-02-13", "line"),
        ("TheSyriaCmpgn", "2017-02-13", "line"),
        ("SarahJReports", "2017-02-13", "line"),
    ]
    assert aleppo.posts[0].display_name == "Maks Czuperski"
    assert aleppo.posts[0].mentions == ["ViceNews", "HRW", "DFRLab"]
    assert "https://t.co/yB7ag7tOJq" in aleppo.posts[2].links
    for post in aleppo.posts:
        assert f"@{post.handle}" not in aleppo.body
        assert post.text and post.text not in aleppo.body


def test_golden_boilerplate_is_gone(aleppo):
    assert "Must-Read" not in aleppo.body and "Wedding Vendors" not in aleppo.body
    assert not aleppo.body.rstrip().endswith("—")
    assert any("Other Must-Read Stories" in piece for piece in aleppo.boilerplate)
    assert aleppo.body.rstrip().endswith("against ISIS.")


def test_golden_statements(aleppo):
    by_quote = {s.quote: s for s in aleppo.statements}
    assert by_quote["We don't attack any hospital."].speaker == "Assad"
    official = by_quote["no changes to the facility can be observed"]
    assert "Russian Defense Ministry official" in official.speaker
    assert str(official.date) == "2016-10"  # "In October"


def test_golden_satellite_dates_are_2016(aleppo):
    dates = {d.text: str(d.value) for d in aleppo.dates}
    for text, value in [
        ("Sept. 24", "2016-09-24"),
        ("Oct. 11", "2016-10-11"),
        ("Sept. 25", "2016-09-25"),
        ("Oct. 13", "2016-10-13"),
    ]:
        assert dates[text] == value
    assert dates["In December"] == "2016-12"


def test_golden_places(aleppo):
    found = {(p.text, p.origin) for p in aleppo.places}
    assert ("Aleppo", "world") in found
    assert ("al-Sakhour", "site") in found and ("M10", "site") in found
    sites = {p.name for p in aleppo.places if p.origin == "site"}
    assert sites == {"M10 hospital", "M2 hospital"}


def test_golden_figure(aleppo):
    assert [(f.value, f.what, f.period) for f in aleppo.figures] == [
        (73, "attacks on health", "last 6 months")
    ]
    assert aleppo.found_in(aleppo.figures[0].start) == "post 3"


def test_golden_with_the_syria_gazetteer(aleppo):
    from siteline.ingest.gazetteer import read_gazetteer_csv

    gazetteer = read_gazetteer_csv(shared_data("syria_gazetteer/syrian_archive_locations.csv"))
    index = PlaceIndex.from_entries(gazetteer.records, include_world=False)
    result = extract_article(aleppo.text, places=index)
    assert "ALEPPO" in {p.name for p in result.places if p.origin == "gazetteer"}


def test_json_has_the_documented_keys(aleppo):
    data = aleppo.to_json()
    for key in ("posts", "body", "dates", "places", "statements", "figures", "article_date",
                "title", "boilerplate", "encoding"):  # fmt: skip
        assert key in data
    assert set(data["posts"][0]) >= {"handle", "display_name", "date", "text", "links",
                                      "hashtags", "mentions", "form"}  # fmt: skip
    assert data["dates"][0].keys() >= {"text", "value", "precision"}
    assert data["statements"][0].keys() >= {"speaker", "quote", "date"}


def test_a_pronoun_speaker_is_the_speaker_named_before_it():
    text = (
        "Mara Selt said the clinic had been “hit twice in one night” by the same aircraft.\n"
        "He said that “there will be more strikes” before the truce.\n"
        "“We have no more beds for the wounded,” she added."
    )
    found = extract_article(text)
    assert [s.speaker for s in found.statements] == ["Mara Selt"] * 3
    assert found.statements[1].context.startswith("He said")


def test_a_pronoun_before_any_named_speaker_stays_a_pronoun():
    found = extract_article("She said that “the wards were empty by morning” and left.")
    assert [s.speaker for s in found.statements] == ["She"]
