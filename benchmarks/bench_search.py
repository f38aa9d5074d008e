"""Evidence search over a large SQLite case: latency of each kind of search, alone and with
many clients at once, the cost of keeping the index, and its size.

Builds a case of N items (default 1,000,000) through the bulk-ingest path (batch audit
entries, the search triggers on) from generated text (`search_corpus`), then times
`services.search.search_evidence` for: a common word, a rare word, a phrase, a prefix,
filters only, and the second page of a common word; each alone, then mixed with
--clients clients at once (each its own connection, as separate web workers). Prints
p50/p95/p99 in milliseconds and compares the p95 with clients with the target: p95 under
150 ms with 20 clients on a case of a million items.

    .venv/bin/python benchmarks/bench_search.py [--items N] [--clients C] [--queries Q]
                                                [--dir PATH] [--keep | --reuse PATH]
"""

from __future__ import annotations

import argparse
import os
import random
import shutil
import statistics
import sys
import tempfile
import threading
import time
from pathlib import Path

from search_corpus import KIND_SHARES, KINDS, SENSITIVITIES, SENSITIVITY_SHARES, Corpus
from sqlalchemy import text

from siteline.domain.entities import Site
from siteline.keys import write_new_key
from siteline.services import cases, search, sites

TARGET_MS = 150
TARGET_CLIENTS = 20
BATCH = 20_000
SITES = 20
INDEXING_SAMPLE = 100_000  # items built twice, with and without the index, to price it
ROLES = (["public"], ["public", "restricted"], list(SENSITIVITIES))
COLUMNS = (
    "kind",
    "title",
    "text",
    "source_url",
    "published_at",
    "published_precision",
    "collected_at",
    "collected_precision",
    "credibility",
    "verification_status",
    "sensitivity",
    "graphic",
    "platform",
    "author_handle",
    "site_id",
    "created_at",
)


def build(case, count: int, corpus: Corpus, site_ids: list[int]) -> float:
    """Adds `count` items in batches, each batch one transaction; returns the seconds."""
    seconds = 0.0
    for start in range(0, count, BATCH):
        rows = make_rows(corpus, min(BATCH, count - start), site_ids)
        began = time.perf_counter()
        with case.write() as transaction:
            transaction.insert_batch("evidence", COLUMNS, rows)
        seconds += time.perf_counter() - began
    return seconds


def make_rows(corpus: Corpus, count: int, site_ids: list[int]) -> list[tuple]:
    languages = corpus.languages(count)
    kinds = corpus.choice(KINDS, KIND_SHARES, count)
    levels = corpus.choice(SENSITIVITIES, SENSITIVITY_SHARES, count)
    titles, texts = {}, {}
    for language in set(languages):
        wanted = int((languages == language).sum())
        titles[language] = iter(corpus.texts(language, wanted, 3, 9))
        texts[language] = iter(corpus.texts(language, wanted, 12, 120))
    chance = random.Random(int(corpus.random.integers(1 << 30)))
    rows = []
    for language, kind, level in zip(languages, kinds, levels, strict=True):
        title, body = next(titles[language]), next(texts[language])
        handle = f"user{chance.randrange(50_000)}"
        post = kind == "social_post"
        year, month, day = (
            chance.randrange(2015, 2025),
            chance.randrange(1, 13),
            chance.randrange(1, 29),
        )
        rows.append(
            (
                str(kind),
                title,
                None if level == "confidential" else body,  # sealed: not in the clear
                f"https://twitter.com/{handle}/status/{chance.randrange(10**12)}" if post else None,
                f"{year}-{month:02d}-{day:02d}T00:00:00Z",
                "day",
                "2025-01-01T00:00:00Z",
                "second",
                6,
                "collected",
                str(level),
                False,
                "twitter" if post else None,
                f"@{handle}" if post else None,
                chance.choice(site_ids) if chance.random() < 0.6 else None,
                "2025-01-01T00:00:00Z",
            )
        )
    return rows


def new_case(parent: Path, name: str, key: Path):
    case = cases.init_case(parent / name, name, key_file=key, actor="bench")
    site_ids = [sites.add_site(case, Site(f"Site {n}"))["id"] for n in range(SITES)]
    return case, site_ids


def price_indexing(parent: Path, key: Path, count: int) -> tuple[float, float]:
    """Seconds to bulk-add `count` items with the search index, and without it."""
    timings = []
    for name, keep_index in (("with-index", True), ("without-index", False)):
        case, site_ids = new_case(parent, name, key)
        if not keep_index:
            with case.write() as transaction:
                transaction.connection.execute(text("DROP TRIGGER evidence_search_audit"))
        timings.append(build(case, count, Corpus(seed=11), site_ids))
        case.close()
    return timings[0], timings[1]


def sizes(case) -> tuple[int, int, int]:
    """Bytes of the search index, of the evidence table and of the whole database."""
    with case.read() as connection:
        index = connection.execute(
            text("SELECT sum(pgsize) FROM dbstat WHERE name LIKE 'evidence_search%'")
        ).scalar()
        table = connection.execute(
            text("SELECT sum(pgsize) FROM dbstat WHERE name = 'evidence'")
        ).scalar()
        pages = connection.execute(text("PRAGMA page_count")).scalar()
        page = connection.execute(text("PRAGMA page_size")).scalar()
    return index, table, pages * page


def vocabulary(case) -> list[tuple[str, int]]:
    """Every word of the index with the number of items that hold it."""
    with case.read() as connection:
        connection.execute(
            text("CREATE VIRTUAL TABLE temp.terms USING fts5vocab(main, evidence_search, 'row')")
        )
        return [(row.term, row.doc) for row in connection.execute(text("SELECT * FROM terms"))]


def workload(case, count: int, site_ids: list[int], seed: int = 3) -> dict[str, list]:
    """For each kind of search, a list of (query, filters) drawn from the case's words."""
    chance = random.Random(seed)
    words = [(term, found) for term, found in vocabulary(case) if term.isalpha()]
    common = [t for t, found in words if count * 0.01 <= found <= count * 0.2]
    rare = [t for t, found in words if 1 <= found <= 100]
    middling = [t for t, found in words if count * 0.001 <= found <= count * 0.05 and len(t) > 5]
    with case.read() as connection:
        titles = connection.execute(
            text("SELECT title FROM evidence WHERE id % 997 = 0 LIMIT 2000")
        ).scalars()
        pairs = [title.split()[:2] for title in titles if len(title.split()) > 1]
    return {
        "common word (1-20% of items)": [(chance.choice(common), {}) for _ in range(200)],
        "rare word (1-100 items)": [(chance.choice(rare), {}) for _ in range(200)],
        "phrase (two words of a title)": [('"' + " ".join(p) + '"', {}) for p in pairs][:200],
        "prefix (4 letters)": [(chance.choice(middling)[:4] + "*", {}) for _ in range(200)],
        "filters only (kind, site)": [
            (None, {"kind": chance.choice(KINDS), "site_id": chance.choice(site_ids)})
            for _ in range(200)
        ],
        "second page of a common word": [
            (chance.choice(common), {"second_page": True}) for _ in range(200)
        ],
    }


def one_search(case, query, filters: dict, role: list[str]) -> float:
    """Milliseconds for one search (the second page: after the first, untimed)."""
    filters = dict(filters)
    cursor = None
    if filters.pop("second_page", False):
        cursor = search.search_evidence(case, query, sensitivities=role, **filters)["next"]
    began = time.perf_counter()
    search.search_evidence(case, query, sensitivities=role, cursor=cursor, **filters)
    return (time.perf_counter() - began) * 1000


def percentiles(values: list[float]) -> tuple[float, float, float]:
    cuts = statistics.quantiles(values, n=100, method="inclusive")
    return cuts[49], cuts[94], cuts[98]


def alone(case, work: dict[str, list]) -> None:
    print("\neach search alone (one client), milliseconds:")
    print(f"  {'search':<32} {'n':>5} {'p50':>8} {'p95':>8} {'p99':>8}")
    for label, searches in work.items():
        timings = [
            one_search(case, query, filters, ROLES[n % len(ROLES)])
            for n, (query, filters) in enumerate(searches)
        ]
        p50, p95, p99 = percentiles(timings)
        print(f"  {label:<32} {len(timings):>5} {p50:>8.1f} {p95:>8.1f} {p99:>8.1f}")


def together(folder: Path, key: Path, work: dict[str, list], clients: int, each: int) -> float:
    """Every client its own connection, searching the mixed workload back to back."""
    mixed = [item for searches in work.values() for item in searches]
    timings: list[float] = []
    lock = threading.Lock()
    ready = threading.Barrier(clients)

    # Opened one after another: opening checks the schema, which is not for threads.
    opened = [cases.open_case(folder, key_file=key, actor=f"client{n}") for n in range(clients)]

    def client(number: int) -> None:
        case = opened[number]
        chance = random.Random(number)
        mine = []
        ready.wait()
        for n in range(each):
            query, filters = chance.choice(mixed)
            mine.append(one_search(case, query, filters, ROLES[(number + n) % len(ROLES)]))
        case.close()
        with lock:
            timings.extend(mine)

    threads = [threading.Thread(target=client, args=(n,)) for n in range(clients)]
    began = time.perf_counter()
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    seconds = time.perf_counter() - began
    p50, p95, p99 = percentiles(timings)
    print(f"\n{clients} clients at once, {len(timings):,} mixed searches in {seconds:.1f} s:")
    print(f"  p50 {p50:.1f} ms   p95 {p95:.1f} ms   p99 {p99:.1f} ms")
    return p95


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--items", type=int, default=1_000_000)
    parser.add_argument("--clients", type=int, default=TARGET_CLIENTS)
    parser.add_argument("--queries", type=int, default=50, help="searches per client")
    parser.add_argument("--dir", type=Path, help="where the temporary cases go")
    parser.add_argument("--keep", action="store_true", help="leave the cases on disk")
    parser.add_argument("--reuse", type=Path, help="search the cases a --keep run left there")
    options = parser.parse_args()
    parent = options.reuse or Path(tempfile.mkdtemp(prefix="siteline-search-", dir=options.dir))
    key = parent / "case.key"
    if options.reuse:
        case = cases.open_case(parent / "case", key_file=key, actor="bench")
        site_ids = [site["id"] for site in sites.list_sites(case)]
        with case.read() as connection:
            items = connection.execute(text("SELECT count(*) FROM evidence")).scalar()
        print(f"search benchmark: SQLite, {items:,} items, {os.cpu_count()} CPUs, in {parent}")
    else:
        write_new_key(key)
        items = options.items
        print(f"search benchmark: SQLite, {items:,} items, {os.cpu_count()} CPUs, in {parent}")
        case, site_ids = built(parent, key, items)
    index, table, whole = sizes(case)
    mib = 1 << 20
    print(
        f"size: index {index / mib:,.0f} MiB, evidence table {table / mib:,.0f} MiB, "
        f"database {whole / mib:,.0f} MiB"
    )
    work = workload(case, items, site_ids)
    alone(case, work)
    case.close()
    p95 = together(parent / "case", key, work, options.clients, options.queries)
    verdict = "PASS" if p95 < TARGET_MS and options.clients >= TARGET_CLIENTS else "BELOW"
    scale = "" if items >= 1_000_000 else f" (this run: {items:,} items)"
    print(
        f"target: p95 < {TARGET_MS} ms with {TARGET_CLIENTS} clients on 1,000,000 items{scale}: "
        f"{p95:.1f} ms with {options.clients} clients: {verdict}"
    )
    if not (options.keep or options.reuse):
        shutil.rmtree(parent)
    return 0


def built(parent: Path, key: Path, items: int):
    """The case of `items` items, after pricing the index on a sample of them."""
    case, site_ids = new_case(parent, "case", key)
    seconds = build(case, items, Corpus(), site_ids)
    print(f"built: {items:,} items in {seconds:.1f} s ({items / seconds:,.0f}/s)")
    sample = min(items, INDEXING_SAMPLE)
    with_index, without = price_indexing(parent, key, sample)
    cost = (with_index - without) / sample * 1e6
    print(
        f"indexing: a bulk add of {sample:,} items takes {with_index:.1f} s with the index, "
        f"{without:.1f} s without ({sample / with_index:,.0f} and {sample / without:,.0f} "
        f"items/s): the index costs {cost:.0f} µs an item"
    )
    return case, site_ids


if __name__ == "__main__":
    sys.exit(main())
