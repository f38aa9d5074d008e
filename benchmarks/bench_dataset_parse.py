"""Parsing conflict datasets: rows per second of each real dataset, parsing alone.

Reads each dataset file under ../shared/data through `siteline.ingest.datasets`, several
times over, and prints the rows and problems found, the best time of the repeats, rows per
second and megabytes per second. Nothing is written to a case: the figure into SQLite is
measured where the rows are stored.

    .venv/bin/python benchmarks/bench_dataset_parse.py [--repeat N] [--data PATH]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from siteline.ingest.datasets import parse_dataset

DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FILES = (
    ("who_ssa", "who_ssa_attacks/ssa_attacks.csv"),
    ("airwars", "airwars_incidents/airwars_syria_incidents.jsonl"),
    ("airwars", "airwars_incidents/airwars_gaza_scrape_subset.csv"),
    ("acled", "acled_format/acled_argentina_2022_events.csv"),
    ("syrian_archive", "syrian_archive_incidents/chemweap.csv"),
)
TARGET = 20_000  # rows per second into SQLite, overall; parsing alone must be well above


def measure(path: Path, dataset: str, repeat: int) -> tuple[int, int, float]:
    """(rows, problems, best seconds) over `repeat` parses of one file."""
    best = float("inf")
    for _ in range(repeat):
        started = time.perf_counter()
        result = parse_dataset(path, dataset)
        best = min(best, time.perf_counter() - started)
    return len(result.records), len(result.problems), best


def main() -> int:
    options = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    options.add_argument("--repeat", type=int, default=5, help="parses of each file (best kept)")
    options.add_argument("--data", type=Path, default=DATA, help="the shared data folder")
    arguments = options.parse_args()
    print(f"{'file':52} {'rows':>6} {'problems':>8} {'seconds':>8} {'rows/s':>9} {'MB/s':>6}")
    total_rows, total_seconds = 0, 0.0
    for dataset, relative in FILES:
        path = arguments.data / relative
        if not path.exists():
            print(f"{relative:52} skipped: absent")
            continue
        rows, problems, seconds = measure(path, dataset, arguments.repeat)
        megabytes = path.stat().st_size / 1e6
        total_rows, total_seconds = total_rows + rows + problems, total_seconds + seconds
        print(
            f"{relative:52} {rows:6d} {problems:8d} {seconds:8.4f} "
            f"{(rows + problems) / seconds:9,.0f} {megabytes / seconds:6.1f}"
        )
    if not total_rows:
        print("no dataset found under", arguments.data)
        return 1
    rate = total_rows / total_seconds
    verdict = "above" if rate > TARGET else "BELOW"
    print(f"{'all':52} {total_rows:6d} {'':8} {total_seconds:8.4f} {rate:9,.0f}")
    print(f"parsing alone is {verdict} the {TARGET:,} rows/s the import as a whole must reach")
    return 0


if __name__ == "__main__":
    sys.exit(main())
