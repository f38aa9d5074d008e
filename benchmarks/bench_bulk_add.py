"""Bulk adding of evidence: items per second through `services.evidence.add_many`.

Each item carries its own small original (1-4 KB of distinct bytes), so every item costs
a blob file, a blob row, an evidence row, a custody row and three audit entries. Runs on
SQLite in a temporary case folder, and on PostgreSQL when SITELINE_TEST_POSTGRES_URL or
SITELINE_DATABASE_URL is set; then runs `audit verify` once on each case to show that the
bulk path wrote a chain that verifies.

    .venv/bin/python benchmarks/bench_bulk_add.py [--items N] [--batch B] [--dir PATH]
                                                  [--disk-only]
"""

from __future__ import annotations

import argparse
import os
import random
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

from siteline.domain.entities import Custody, EvidenceItem
from siteline.domain.values import FuzzyTime, Location
from siteline.services import audit, cases, evidence
from siteline.store import case_folder, database
from siteline.store.blobs import BlobStore

TARGET_SQLITE = 5_000  # items per second
MEMORY = "/dev/shm"  # a memory file system on Linux: the figure without the disk
URL_VARIABLES = ("SITELINE_TEST_POSTGRES_URL", "SITELINE_DATABASE_URL")
KINDS = ("document", "photo", "social_post", "article")


def make_items(count: int, seed: int = 2019) -> list[tuple[EvidenceItem, Custody]]:
    """Items of distinct bytes (an index header, then 1-4 KB of noise) with a few fields set."""
    chance = random.Random(seed)
    published = FuzzyTime.parse("2019-03-14T02:31Z", "published")
    place = Location(14.0512, -33.2087, "vicinity")
    how = Custody(method="benchmark bulk add", collector="bench")
    items = []
    for index in range(count):
        data = f"item {index}\n".encode() + chance.randbytes(chance.randint(1024, 4096))
        item = EvidenceItem(
            kind=KINDS[index % len(KINDS)],
            title=f"Benchmark item {index}",
            data=data,
            media_type="application/octet-stream",
            original_filename=f"item-{index:06d}.bin",
            source_url=f"https://example.org/items/{index}",
            published=published,
            claimed_location=place,
            credibility=1 + index % 6,
        )
        items.append((item, how))
    return items


@contextmanager
def database_url(url: str | None):
    """Cases choose their back end from SITELINE_DATABASE_URL; set it (or clear it) for a run."""
    saved = os.environ.get(case_folder.DATABASE_URL_ENV)
    if url:
        os.environ[case_folder.DATABASE_URL_ENV] = url
    else:
        os.environ.pop(case_folder.DATABASE_URL_ENV, None)
    try:
        yield
    finally:
        if saved is None:
            os.environ.pop(case_folder.DATABASE_URL_ENV, None)
        else:
            os.environ[case_folder.DATABASE_URL_ENV] = saved


def run(backend: str, url: str | None, items: list, batch: int, folder: Path) -> dict:
    """Adds the items in batches to a new case in `folder`, then verifies the case."""
    with database_url(url):
        case = cases.init_case(folder, f"bulk add benchmark ({backend})", actor="bench")
        try:
            started = time.perf_counter()
            for start in range(0, len(items), batch):
                evidence.add_many(case, items[start : start + batch])
            seconds = time.perf_counter() - started
            started = time.perf_counter()
            report = audit.verify(case)
            verify_seconds = time.perf_counter() - started
            counts = cases.summary(case)
        finally:
            case.close()
            if url:
                database.drop_postgres_schema(url, case.description["database"]["schema"])
    expected = {"evidence": len(items), "blob": len(items), "custody": len(items)}
    return {
        "backend": backend,
        "items": len(items),
        "batch": batch,
        "seconds": seconds,
        "rate": len(items) / seconds,
        "verify_seconds": verify_seconds,
        "verify_ok": report.ok,
        "problems": [str(problem) for problem in report.problems[:3]],
        "counts_ok": all(counts[key] == value for key, value in expected.items())
        and counts["audit_entries"] == 1 + 3 * len(items),
    }


def file_system_alone(items: list, folder: Path) -> float:
    """Files per second the blob store writes here with no database: the floor beneath."""
    store = BlobStore(folder)
    store.create()
    started = time.perf_counter()
    for item, _ in items:
        store.put(item.data)
    return len(items) / (time.perf_counter() - started)


def show(result: dict) -> None:
    rate = result["rate"]
    verdict = "PASS" if rate >= TARGET_SQLITE else "BELOW"
    print(f"{result['backend']}, case folder on {result['place']}:")
    print(f"  items            {result['items']:,}")
    print(f"  batch            {result['batch']:,}")
    print(f"  seconds          {result['seconds']:.2f}")
    print(f"  items per second {rate:,.0f}")
    target = f"target >= {TARGET_SQLITE:,} items/s on SQLite"
    if result["backend"] == "sqlite":
        print(f"  {target}: {verdict}")
    else:
        print(f"  ({target}; for comparison only: {verdict})")
    outcome = "passed" if result["verify_ok"] else "FAILED: " + "; ".join(result["problems"])
    print(f"  audit verify     {result['verify_seconds']:.2f} s, {outcome}")
    print(f"  record counts    {'as expected' if result['counts_ok'] else 'WRONG'}")
    print(f"  the blob store alone wrote {result['floor']:,.0f} files/s there (no database)")


def places(options) -> list[tuple[str, Path | None]]:
    """Where the case folders go: the disk, and memory (tmpfs) to show the software alone."""
    found = [("disk" if options.dir is None else str(options.dir), options.dir)]
    if options.dir is None and not options.disk_only and Path(MEMORY).is_dir():
        found.append((f"{MEMORY} (memory)", Path(MEMORY)))
    return found


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--items", type=int, default=20_000, help="items to add (20,000)")
    parser.add_argument("--batch", type=int, default=1_000, help="items per add_many (1,000)")
    parser.add_argument(
        "--dir", type=Path, default=None, help="where the case folders go (the system temp)"
    )
    parser.add_argument(
        "--disk-only", action="store_true", help=f"do not also run with the case in {MEMORY}"
    )
    options = parser.parse_args()
    if options.items < 1 or options.batch < 1:
        parser.error("--items and --batch must be positive")
    items = make_items(options.items)
    url = next((os.environ[name] for name in URL_VARIABLES if os.environ.get(name)), None)
    results = []
    for place, parent in places(options):
        # Every case folder stays until the end: see "file system" in benchmarks/README.md.
        with tempfile.TemporaryDirectory(prefix="siteline-bench-", dir=parent) as temporary:
            folder = Path(temporary)
            floor = file_system_alone(items, folder / "files-only")
            runs = [run("sqlite", None, items, options.batch, folder / "sqlite")]
            if url:
                runs.append(run("postgresql", url, items, options.batch, folder / "pg"))
        for result in runs:
            results.append(result | {"place": place, "floor": floor})
    for result in results:
        show(result)
    if not url:
        print(
            "postgresql: skipped: neither SITELINE_TEST_POSTGRES_URL nor SITELINE_DATABASE_URL "
            "is set (set one to a postgresql:// URL to measure it)"
        )
    healthy = all(result["verify_ok"] and result["counts_ok"] for result in results)
    return 0 if healthy else 1


if __name__ == "__main__":
    sys.exit(main())
