"""Speed of the article extractor over the real news articles, world gazetteer included.

    .venv/bin/python benchmarks/bench_article_speed.py [--data DIR] [--rounds N]

Reads every `.txt` under the news-articles folder into memory, builds the place index once
(a few sites, plus the offline world gazetteer: its loading is timed apart), then times
`extract_article` over all the files, N rounds, on one core. Prints articles per second
against the target of 500.
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from siteline.ingest.articles import PlaceIndex, extract_article
from siteline.ingest.model import PlaceEntry

ROOT = Path(__file__).resolve().parents[1]
DATA = ROOT.parent / "shared" / "data" / "news_articles"
TARGET = 500  # articles per second

SITES = [
    PlaceEntry("M10 hospital", "site", aliases=["M10", "al-Sakhour", "Sakhour"], site_id=1),
    PlaceEntry("M2 hospital", "site", aliases=["M2", "Omar bin AbdulAziz hospital"], site_id=2),
]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--data", type=Path, default=DATA)
    parser.add_argument("--rounds", type=int, default=3)
    args = parser.parse_args()
    files = sorted(args.data.rglob("*.txt"))
    if not files:
        print(f"no data: no .txt files under {args.data} (the corpora live in ../shared/data)")
        return 2
    articles = [path.read_bytes() for path in files]
    size = sum(map(len, articles))
    started = time.perf_counter()
    index = PlaceIndex.from_entries(SITES, include_world=True)
    names = index.size + (index.world.size if index.world else 0)
    print(f"place index: {names:,} names, built in {time.perf_counter() - started:.2f} s")
    extract_article(articles[0], places=index)  # warm the regular expressions' caches
    best = None
    for round_number in range(1, args.rounds + 1):
        started = time.perf_counter()
        for data in articles:
            extract_article(data, places=index)
        seconds = time.perf_counter() - started
        rate = len(articles) / seconds
        best = max(best or 0.0, rate)
        print(
            f"round {round_number}: {len(articles)} articles ({size / 1e6:.1f} MB) in "
            f"{seconds:.2f} s: {rate:,.0f} articles/s"
        )
    verdict = "PASS" if best >= TARGET else "BELOW"
    print(f"best: {best:,.0f} articles/s; target >= {TARGET} articles/s on one core: {verdict}")
    return 0 if verdict == "PASS" else 1


if __name__ == "__main__":
    sys.exit(main())
