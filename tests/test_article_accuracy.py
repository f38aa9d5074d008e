"""Embedded-post detection on the labelled real corpora in ../shared/data meets its targets.

The labels (tests/labels/news_article_posts.json) were made by reading the articles; the
benchmark's own scoring is used so that the test and the printed figures agree."""

from __future__ import annotations

import runpy
from pathlib import Path

from conftest import shared_data

ROOT = Path(__file__).resolve().parents[1]


def test_the_labelled_corpora_meet_the_accuracy_targets():
    shared_data("news_articles/README.md")
    bench = runpy.run_path(str(ROOT / "benchmarks" / "bench_article_posts.py"))
    tallies = bench["evaluate"]()
    overall = tallies["overall"]
    assert overall.labelled["posts"] >= 250  # the labels were found and read
    assert bench["meets_targets"](overall), (overall.precision("posts"), overall.recall("posts"))
    for name in ("handle", "date"):
        assert overall.precision(name) >= 0.95 and overall.recall(name) >= 0.90
