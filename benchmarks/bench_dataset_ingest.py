"""Dataset rows into a case: rows per second from the files in ../shared/data to SQLite.

Two measurements, each from the files to a new SQLite case (the file kept whole, each
row an item within it, recorded in batch audit entries), each checked with audit verify:

1. the real WHO SSA, ACLED, Syrian Archive and Airwars files as they are (5,154 rows),
   all together and file by file;
   (rows the files hold that cannot be read, such as one Airwars row with a longitude of
   4239, are reported and not counted);
2. a sustained run: the real WHO SSA rows written again and again, each copy with its own
   Attack ID, into one CSV of --rows rows in a temporary folder (a large export, as
   ACLED's and WHO's are), so that costs per file (the commit, the file's own item) no
   longer weigh.

Prints rows, seconds and rows per second, and compares the best with the target of
20,000 rows/s.

    .venv/bin/python benchmarks/bench_dataset_ingest.py [--rounds N] [--rows N] [--dir PATH]
"""

from __future__ import annotations

import argparse
import csv
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


def repeated_who_file(source: Path, rows: int, folder: Path) -> Path:
    """The WHO SSA rows copied until there are `rows`, each copy's Attack ID made unique."""
    with open(source, newline="", encoding="utf-8-sig") as reading:
        table = list(csv.reader(reading))
    header, body = table[0], table[1:]
    id_column = header.index("Attack ID")
    out = folder / "ssa_attacks_repeated.csv"
    with open(out, "w", newline="", encoding="utf-8") as writing:
        writer = csv.writer(writing, quoting=csv.QUOTE_ALL)
        writer.writerow(header)
        for number in range(rows):
            row = list(body[number % len(body)])
            row[id_column] = f"{row[id_column]}-copy{number // len(body)}"
            writer.writerow(row)
    return out


def measure(label: str, files: list[Path], rounds: int, parent: Path | None) -> tuple[float, bool]:
    best, healthy = 0.0, True
    for _ in range(rounds):
        rows, seconds, verified = one_round(files, parent)
        healthy &= verified
        best = max(best, rows / seconds)
    print(f"{label:<46} {rows:>8,} rows  best {best:>8,.0f} rows/s  over {rounds} rounds")
    return best, healthy


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rounds", type=int, default=3, help="runs of each; the best is kept")
    parser.add_argument("--rows", type=int, default=100_000, help="rows of the sustained run")
    parser.add_argument("--dir", type=Path, default=None, help="where the cases go (temp)")
    options = parser.parse_args()
    files = [DATA / name for name in FILES]
    missing = [str(path) for path in files if not path.exists()]
    if missing:
        print(f"skipped: shared data absent: {', '.join(missing)}")
        return 0
    together, healthy = measure("the four real files together", files, options.rounds, options.dir)
    for path in files:
        _, verified = measure(f"  {path.name}", [path], options.rounds, options.dir)
        healthy &= verified
    with tempfile.TemporaryDirectory(prefix="siteline-bench-input-") as folder:
        big = repeated_who_file(files[0], options.rows, Path(folder))
        sustained, verified = measure(
            "sustained: WHO SSA rows repeated in one file", [big], options.rounds, options.dir
        )
        healthy &= verified
    for label, rate in (("real files together", together), ("sustained", sustained)):
        verdict = "PASS" if rate >= TARGET else "BELOW"
        print(f"{label}: {rate:,.0f} rows/s into SQLite; target >= {TARGET:,} rows/s: {verdict}")
    print(f"audit verify after every round: {'passed' if healthy else 'FAILED'}")
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
