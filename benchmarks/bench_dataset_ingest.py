"""Dataset rows into a case: rows per second from the files in ../shared/data to SQLite.

Each run parses the real WHO SSA, ACLED, Syrian Archive and Airwars files and ingests them
into a new SQLite case (the file kept whole, each row an item within it with its custody
and audit entries), then checks that the case verifies. Prints the rows, the seconds, the
rows per second and the comparison with the target of 20,000 rows/s.

    .venv/bin/python benchmarks/bench_dataset_ingest.py [--rounds N] [--dir PATH]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from siteline.services import audit, cases
from siteline.services.ingest_datasets import ingest_datasets

TARGET = 20_000  # rows per second into SQLite
DATA = Path(__file__).resolve().parents[2] / "shared" / "data"
FILES = (
    "who_ssa_attacks/ssa_attacks.csv",
    "acled_format/acled_argentina_2022_events.csv",
    "syrian_archive_incidents/chemweap.csv",
    "airwars_incidents/airwars_syria_incidents.jsonl",
)


def one_round(files: list[Path], parent: Path | None) -> tuple[int, float, bool]:
    with tempfile.TemporaryDirectory(prefix="siteline-bench-", dir=parent) as folder:
        case = cases.init_case(Path(folder) / "case", "dataset ingest benchmark", actor="bench")
        try:
            started = time.perf_counter()
            report = ingest_datasets(case, files)
            seconds = time.perf_counter() - started
            rows = report.added - report.files
            return rows, seconds, audit.verify(case).ok
        finally:
            case.close()


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="runs; the best is kept (3)")
    parser.add_argument("--dir", type=Path, default=None, help="where the cases go (temp)")
    options = parser.parse_args()
    files = [DATA / name for name in FILES]
    missing = [str(path) for path in files if not path.exists()]
    if missing:
        print(f"skipped: shared data absent: {', '.join(missing)}")
        return 0
    best, healthy = None, True
    for number in range(1, options.rounds + 1):
        rows, seconds, verified = one_round(files, options.dir)
        healthy &= verified
        rate = rows / seconds
        print(f"round {number}: {rows:,} rows in {seconds:.2f} s: {rate:,.0f} rows/s")
        best = max(best or 0, rate)
    verdict = "PASS" if best >= TARGET else "BELOW"
    print(f"best: {best:,.0f} rows/s into SQLite; target >= {TARGET:,} rows/s: {verdict}")
    print(f"audit verify after each round: {'passed' if healthy else 'FAILED'}")
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
