"""Articles and gazetteers into a case: posts within the article, candidate claims, places
matched against the case's own sites and gazetteer, and runs that add nothing twice."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner

from siteline.cli import cli
from siteline.domain.entities import Site
from siteline.domain.values import FuzzyTime
from siteline.errors import InvalidInput
from siteline.services import audit, cases, claims, evidence, sites
from siteline.services.gazetteer import import_gazetteer, place_entries
from siteline.services.ingest_articles import ingest_articles

ARTICLE = """Vessarin clinic hit again, medics say

Medics at the Old Quarter clinic said on Monday that a second strike hit the building.
The Karand defence office denied it, saying that “no aircraft flew over the Old Quarter”.

Second strike on the clinic in the Old Quarter. pic.twitter.com/Ab12Cd34Ef
— Old Quarter Watch (@OldQuarterWatch) March 14, 2019
"""

GAZETTEER = """id,name_en,name_ar,latitude,longitude,parent_id,parent_name_en,is_governorate,dataset_id
1,Vessarin,,14.05,-33.2,1,Vessarin,True,0
2,Old Quarter,,14.051,-33.21,1,Vessarin,False,1
3,Broken row,,not-a-number,-33.2,1,Vessarin,False,2
"""


@pytest.fixture
def article(tmp_path):
    path = tmp_path / "clinic.txt"
    path.write_text(ARTICLE)
    return path


def social_posts(case) -> list[dict]:
    return evidence.list_evidence(case, kind="social_post")


def test_an_article_its_post_and_its_statement_are_stored(case, article):
    report = ingest_articles(case, [article], FuzzyTime.parse("2019-03-15", "date"))
    assert report.ok and report.files == 1
    [item] = evidence.list_evidence(case, kind="article")
    assert evidence.read_original(case, item["id"]) == article.read_bytes()
    assert "pic.twitter.com" not in item["text"]
    [post] = social_posts(case)
    assert post["within_id"] == item["id"]
    assert post["author_handle"] == "OldQuarterWatch"
    assert post["published_at"] == "2019-03-14T00:00:00Z"
    assert "pic.twitter.com/Ab12Cd34Ef" in json.dumps(json.loads(post["details"])["links"])
    [claim] = claims.list_claims(case)
    assert claim["status"] == "candidate" and claim["evidence_id"] == item["id"]
    assert claim["quote"] == "no aircraft flew over the Old Quarter"
    assert audit.verify(case).ok


def test_the_same_article_twice_adds_nothing(case, article):
    ingest_articles(case, [article], FuzzyTime.parse("2019-03-15", "date"))
    before = cases.summary(case)
    again = ingest_articles(case, [article], FuzzyTime.parse("2019-03-15", "date"))
    assert again.added == 0 and cases.summary(case) == before


def test_a_post_embedded_in_a_second_article_is_one_item_related_to_both(case, article, tmp_path):
    ingest_articles(case, [article], FuzzyTime.parse("2019-03-15", "date"))
    other = tmp_path / "follow-up.txt"
    other.write_text("A follow-up on the clinic.\n\n" + ARTICLE.split("\n\n", 2)[2])
    ingest_articles(case, [other], FuzzyTime.parse("2019-03-16", "date"))
    [post] = social_posts(case)
    second = [
        a for a in evidence.list_evidence(case, kind="article") if a["id"] != post["within_id"]
    ]
    relations = evidence.show_evidence(case, post["id"])["relations"]
    assert [(r["relation"], r["related_id"]) for r in relations] == [
        ("embedded_in", second[0]["id"])
    ]


def test_a_changed_article_is_a_new_version(case, article):
    ingest_articles(case, [article], FuzzyTime.parse("2019-03-15", "date"))
    article.write_text(ARTICLE.replace("a second strike", "a third strike"))
    report = ingest_articles(case, [article], FuzzyTime.parse("2019-03-15", "date"))
    assert report.versions == 1
    old, new = evidence.list_evidence(case, kind="article")
    relations = evidence.show_evidence(case, new["id"])["relations"]
    assert ("version_of", old["id"]) in [(r["relation"], r["related_id"]) for r in relations]


def test_places_come_from_the_case_sites_and_gazetteer(case, article, tmp_path):
    sites.add_site(case, Site("Old Quarter Clinic", aliases=["Old Quarter clinic"]))
    gazetteer = tmp_path / "places.csv"
    gazetteer.write_text(GAZETTEER)
    report = import_gazetteer(case, gazetteer)
    assert report.added == 2 and [p.line for p in report.problems] == [4]
    ingest_articles(case, [article], FuzzyTime.parse("2019-03-15", "date"))
    [item] = evidence.list_evidence(case, kind="article")
    found = {(place["origin"], place["name"]) for place in json.loads(item["details"])["places"]}
    assert ("site", "Old Quarter Clinic") in found
    assert ("gazetteer", "Vessarin") in found


def test_a_gazetteer_imported_twice_adds_nothing(case, tmp_path):
    gazetteer = tmp_path / "places.csv"
    gazetteer.write_text(GAZETTEER)
    import_gazetteer(case, gazetteer)
    again = import_gazetteer(case, gazetteer)
    assert (again.added, again.unchanged) == (0, 2)
    assert [entry.name for entry in place_entries(case)] == ["Vessarin", "Old Quarter"]


def test_an_unreadable_article_is_named_and_the_others_kept(case, article, tmp_path):
    empty = tmp_path / "empty.txt"
    empty.write_bytes(b"")
    report = ingest_articles(case, [empty, article], FuzzyTime.parse("2019-03-15", "date"))
    assert [problem.file for problem in report.problems] == [str(empty)]
    assert len(evidence.list_evidence(case, kind="article")) == 1


def test_a_missing_article_is_refused(case, tmp_path):
    with pytest.raises(InvalidInput, match="no such file or folder"):
        ingest_articles(case, [tmp_path / "absent.txt"])


def test_the_commands_run_on_a_case(case, article, tmp_path):
    gazetteer = tmp_path / "places.csv"
    gazetteer.write_text(GAZETTEER)
    case.close()
    runner = CliRunner()
    base = ["-C", str(case.folder)]
    result = runner.invoke(cli, [*base, "gazetteer", "import", str(gazetteer)])
    assert result.exit_code == 8 and f"{gazetteer}:4" in result.output
    result = runner.invoke(cli, [*base, "ingest", "article", str(article), "--date", "2019-03-15"])
    assert result.exit_code == 0, result.output
    assert "1 files, 2 added" in result.output and "1 claims" in result.output


def test_the_same_article_under_two_names_is_one_item(case, article, tmp_path):
    copy = tmp_path / "clinic-copy.txt"
    copy.write_bytes(article.read_bytes())
    report = ingest_articles(case, [article, copy], FuzzyTime.parse("2019-03-15", "date"))
    assert report.ok and report.unchanged == 1
    assert len(evidence.list_evidence(case, kind="article")) == 1
    assert len(social_posts(case)) == 1


def test_an_article_dated_in_the_future_is_named_and_the_others_kept(case, article, tmp_path):
    page = tmp_path / "future.html"
    page.write_text(
        '<html><head><meta property="article:published_time" content="2999-01-01">'
        "<title>Later</title></head><body><p>Nothing yet happened here, the clinic says."
        "</p></body></html>"
    )
    report = ingest_articles(case, [page, article])
    assert [problem.file for problem in report.problems] == [str(page)]
    assert "future" in report.problems[0].message
    assert [a["original_filename"] for a in evidence.list_evidence(case, kind="article")] == [
        "clinic.txt"
    ]
