"""Accuracy of embedded-post detection in real news articles, against hand-made labels.

    .venv/bin/python benchmarks/bench_article_posts.py [--data DIR] [--labels FILE] [--show]

For each labelled file the extractor's posts are compared with the labelled ones, per corpus
and overall: detection (how many posts, however their fields came out), the handle, the date,
and the two together. Fields are compared as multisets within a file, so order and
duplicates count but a post found a little off in position does not. Exit status 1 when the
targets are not met (precision >= 0.95 and recall >= 0.90 of detection).
"""

from __future__ import annotations

import argparse
import json
import sys
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from siteline.ingest.articles import extract_article

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "news_articles"
LABELS = ROOT / "tests" / "labels" / "news_article_posts.json"
TARGET_PRECISION, TARGET_RECALL = 0.95, 0.90
FIELDS = ("posts", "handle", "date", "handle+date")


@dataclass
class Tally:
    predicted: Counter = field(default_factory=Counter)
    labelled: Counter = field(default_factory=Counter)
    correct: Counter = field(default_factory=Counter)

    def add(self, predicted: list[dict], labelled: list[dict]) -> None:
        keys = {
            "handle": lambda p: (p["handle"] or "").lower(),
            "date": lambda p: p["date"],
            "handle+date": lambda p: ((p["handle"] or "").lower(), p["date"]),
        }
        self.predicted["posts"] += len(predicted)
        self.labelled["posts"] += len(labelled)
        self.correct["posts"] += min(len(predicted), len(labelled))
        for name, key in keys.items():
            mine, theirs = Counter(map(key, predicted)), Counter(map(key, labelled))
            self.predicted[name] += len(predicted)
            self.labelled[name] += len(labelled)
            self.correct[name] += sum((mine & theirs).values())

    def precision(self, name: str) -> float:
        return self.correct[name] / self.predicted[name] if self.predicted[name] else 1.0

    def recall(self, name: str) -> float:
        return self.correct[name] / self.labelled[name] if self.labelled[name] else 1.0


def evaluate(data: Path = DATA, labels: Path = LABELS, show: bool = False) -> dict[str, Tally]:
    """Tallies per corpus and 'overall'; files absent from `data` are skipped."""
    labelled = json.loads(labels.read_text())["files"]
    tallies: dict[str, Tally] = {"overall": Tally()}
    for relative, expected in sorted(labelled.items()):
        path = data / relative
        if not path.exists():
            continue
        result = extract_article(path.read_bytes(), source_name=str(path))
        posts = result.to_json()["posts"]
        predicted = [{"handle": p["handle"], "date": p["date"]} for p in posts]
        for name in (relative.split("/")[0], "overall"):
            tallies.setdefault(name, Tally()).add(predicted, expected)
        if show and Counter(map(str, predicted)) != Counter(map(str, expected)):
            print(f"{relative}:\n  found    {predicted}\n  labelled {expected}")
    return tallies


def meets_targets(tally: Tally) -> bool:
    return tally.precision("posts") >= TARGET_PRECISION and tally.recall("posts") >= TARGET_RECALL


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--labels", type=Path, default=LABELS)
    parser.add_argument("--show", action="store_true", help="print each file that differs")
    args = parser.parse_args()
    if not args.data.exists():
        print(f"no data: {args.data} is absent (the corpora live in ../shared/data)")
        return 2
    tallies = evaluate(args.data, args.labels, args.show)
    print(f"{'corpus':<12} {'field':<12} {'found':>6} {'labelled':>8} {'right':>6} "
          f"{'precision':>9} {'recall':>7}")  # fmt: skip
    for corpus, tally in tallies.items():
        for name in FIELDS:
            print(
                f"{corpus:<12} {name:<12} {tally.predicted[name]:>6} {tally.labelled[name]:>8} "
                f"{tally.correct[name]:>6} {tally.precision(name):>9.3f} {tally.recall(name):>7.3f}"
            )
    overall = tallies["overall"]
    verdict = "PASS" if meets_targets(overall) else "BELOW"
    print(
        f"target: post detection precision >= {TARGET_PRECISION} and recall >= {TARGET_RECALL}: "
        f"{verdict} (precision {overall.precision('posts'):.3f}, recall {overall.recall('posts'):.3f})"
    )
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
