"""Index at scale: Siteline's Hamming index against faiss over N 256-bit hashes.

    .venv/bin/python benchmarks/match_index.py [--hashes N] [--queries Q] [--radius R]
        [--threads T] [--methods siteline,flat,multihash] [--add K] [--json]

What it builds: N random 256-bit hashes from a seeded generator, and Q random queries; for
each query, `--planted` near-duplicates (default 4) overwrite random rows at distances that
cycle through 0..31, so every distance up to the radius is present many times (random
hashes themselves lie 128 +/- 8 bits apart, never within 31).

What it measures, for each method, each in a child process of its own (so that one
method's memory or threads cannot colour another's):
- `build_s`: seconds to build the index over the N hashes (for Siteline, with its kernels
  already compiled: numba compiles them once per install and caches them on disk);
- `qps`: Q divided by the seconds one call to search all Q queries takes, on `--threads`
  threads (numba's for Siteline, OpenMP's for faiss): the fastest of three calls, or of
  those made in the first 10 seconds, since other work on a shared machine only slows one;
- `recall`: the share of the true (query, hash) pairs within the radius that the method
  returned; `false_hits` counts pairs it returned beyond the radius (or wrong);
- `memory_mb`: growth of the process's resident memory (VmRSS) across the build, in 10^6
  bytes: the index's own copy of the hashes and its tables, measured the same way for all;
  `peak_rss_mb` is the child's peak (VmHWM), data and interpreter included. For Siteline,
  `index_mb` is also the bytes of its arrays as `memory_bytes()` counts them.

Methods: `siteline` (siteline.media.hamming_index.HammingIndex), `flat` (faiss
IndexBinaryFlat: a brute-force scan) and `multihash` (faiss IndexBinaryMultiHash, 16 hash
tables of 16 bits, nflip 1: exact for radius 31 by the same pigeonhole argument). faiss's
binary range_search keeps distances strictly below the radius it is given, so it is given
radius + 1.

The ground truth comes from Siteline's brute-force kernel (`brute_force_search`, every
query against every hash), itself checked against plain numpy on the first queries, and
it must contain every planted near-duplicate.

After its search, the Siteline child also adds `--add` new hashes in one call (default
100,000: `add_s`), then 1,000 more one at a time (`add_one_us` each), and searches 2,000
of them at the radius (`qps_after_add`, now over the main part, the new part and the
buffer): each must be found at distance 0 under its new id (`added_found`), and
the first queries' results must now also hold whatever added hashes lie within the radius
(`consistent_after_add`). That shows the index growing without a rebuild. (An add that
fills the main part's quarter, 2.5 million at 10 million, merges everything into a new
main part: that one call costs about a build.)

The target (the issue "Index at scale"): at 10 million hashes on 2 threads, Siteline at
least 1,000 queries/s, recall 1.0 and at most 1 GB. Without --json the script prints a
table and PASS or BELOW for each part of the target; with --json, only the JSON list of
rows. The exit status is non-zero if Siteline's recall is not exact.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

from siteline.media.hamming_index import HammingIndex, brute_force_search, pack_bits

TARGET_HASHES = 10_000_000
TARGET_QPS = 1_000
TARGET_MEMORY_MB = 1_000
TARGET_THREADS = 2
METHODS = ("siteline", "flat", "multihash")
METHOD_NAMES = {
    "siteline": "siteline HammingIndex",
    "flat": "faiss IndexBinaryFlat",
    "multihash": "faiss IndexBinaryMultiHash 16x16 nflip=1",
}
NUMPY_CHECKED_QUERIES = 8
SINGLE_ADDS = 1_000
SEARCH_RUNS = 3
SEARCH_SECONDS = 10.0


def make_data(count: int, query_count: int, planted: int, radius: int, seed: int):
    """(hashes, queries, planted pairs): random hashes with near-duplicates of the queries
    at distances cycling through 0..radius, as (query, row) pairs."""
    rng = np.random.default_rng(seed)
    hashes = rng.integers(0, 2**64, (count, 4), dtype=np.uint64)
    queries = rng.integers(0, 2**64, (query_count, 4), dtype=np.uint64)
    pairs = min(query_count * planted, count)
    owners = np.arange(pairs) // planted
    distances = np.arange(pairs) % (radius + 1)
    rows = rng.choice(count, pairs, replace=False)
    # Flip `distance` bits chosen at random: those whose random rank falls below it.
    ranks = np.argsort(rng.random((pairs, 256)), axis=1)
    hashes[rows] = queries[owners] ^ pack_bits(ranks < distances[:, None])
    return hashes, queries, np.column_stack([owners, rows])


def rss_bytes(field: str = "VmRSS") -> int:
    """This process's resident memory (VmRSS) or its peak (VmHWM), from /proc."""
    for line in Path("/proc/self/status").read_text().splitlines():
        if line.startswith(field + ":"):
            return int(line.split()[1]) * 1024
    raise RuntimeError(f"{field} not in /proc/self/status")


def build_and_search(method: str, hashes: np.ndarray, queries: np.ndarray, args):
    """(index, build seconds, memory growth, search seconds, offsets, ids) for one method."""
    if method == "siteline":
        HammingIndex(hashes[:50_000], threads=args.threads).search(queries[:8])  # warm up
        before = rss_bytes()
        started = time.perf_counter()
        index = HammingIndex(hashes, radius=args.radius, threads=args.threads)
        built = time.perf_counter() - started
        grown = rss_bytes() - before
        found, searched = timed_searches(lambda: index.search(queries))
        return index, built, grown, searched, found.offsets, found.ids
    import faiss

    faiss.omp_set_num_threads(args.threads)
    codes = hashes.view(np.uint8)  # Hamming distance is the same over bytes as over words
    query_codes = queries.view(np.uint8)
    before = rss_bytes()
    started = time.perf_counter()
    if method == "flat":
        index = faiss.IndexBinaryFlat(256)
    else:
        index = faiss.IndexBinaryMultiHash(256, 16, 16)
        index.nflip = 1
    index.add(codes)
    built = time.perf_counter() - started
    grown = rss_bytes() - before
    index.range_search(query_codes[:8], args.radius + 1)  # starts OpenMP's threads
    (offsets, _, ids), searched = timed_searches(
        lambda: index.range_search(query_codes, args.radius + 1)
    )
    return index, built, grown, searched, offsets.astype(np.int64), ids.astype(np.int64)


def timed_searches(search):
    """(result, seconds) of the fastest of up to SEARCH_RUNS runs, stopping once they have
    taken SEARCH_SECONDS: the machine may be shared, and other work only ever slows a run."""
    best, spent = None, 0.0
    for _ in range(SEARCH_RUNS):
        started = time.perf_counter()
        result = search()
        seconds = time.perf_counter() - started
        best, spent = min(seconds, best or seconds), spent + seconds
        if spent >= SEARCH_SECONDS:
            break
    return result, best


def adding_without_rebuild(index: HammingIndex, queries: np.ndarray, before, args) -> dict:
    """Adds hashes to the built index, in one batch and one at a time, and finds them;
    `before` is (offsets, ids) of the queries' matches before."""
    rng = np.random.default_rng(args.seed + 1)
    batch = rng.integers(0, 2**64, (args.add, 4), dtype=np.uint64)
    singles = rng.integers(0, 2**64, (SINGLE_ADDS, 4), dtype=np.uint64)
    started = time.perf_counter()
    batch_ids = index.add(batch)
    batch_seconds = time.perf_counter() - started
    started = time.perf_counter()
    single_ids = np.concatenate([index.add(singles[i : i + 1]) for i in range(SINGLE_ADDS)])
    single_seconds = time.perf_counter() - started
    added = np.concatenate([batch, singles])
    added_ids = np.concatenate([batch_ids, single_ids])
    sample = rng.choice(len(added), min(len(added), 2_000), replace=False)
    started = time.perf_counter()
    found = index.search(added[sample])
    searched = time.perf_counter() - started
    own = [added_ids[s] in found[i][0][found[i][1] == 0] for i, s in enumerate(sample)]
    # The original queries: their old matches, plus any added hash within the radius.
    first = queries[: min(len(queries), 200)]
    among_added = brute_force_search(added, first, args.radius, args.threads)
    after = index.search(first)
    offsets, ids = before
    consistent = all(
        sorted(after[q][0].tolist())
        == sorted(ids[offsets[q] : offsets[q + 1]].tolist() + added_ids[among_added[q][0]].tolist())
        for q in range(len(first))
    )
    return {
        "added": int(len(added)),
        "add_s": round(batch_seconds, 4),
        "add_one_us": round(single_seconds / SINGLE_ADDS * 1e6, 1),
        "added_found": float(np.mean(own)),
        "qps_after_add": round(len(sample) / searched, 1),
        "consistent_after_add": consistent,
        "parts_after_add": len(index.layout()),
    }


def worker(args) -> None:
    """One method in this process: prints its row (JSON) and saves its results."""
    folder = Path(args.data)
    hashes = np.load(folder / "hashes.npy")
    queries = np.load(folder / "queries.npy")
    index, built, grown, searched, offsets, ids = build_and_search(
        args.worker, hashes, queries, args
    )
    np.savez(folder / f"{args.worker}.npz", offsets=offsets, ids=ids)
    row = {
        "method": METHOD_NAMES[args.worker],
        "qps": round(len(queries) / searched, 1),
        "build_s": round(built, 3),
        "memory_mb": round(grown / 1e6, 1),
        "search_s": round(searched, 3),
    }
    if args.worker == "siteline":
        row["index_mb"] = round(index.memory_bytes() / 1e6, 1)
        row["layout"] = index.layout()
        row |= adding_without_rebuild(index, queries, (offsets, ids), args)
    row["peak_rss_mb"] = round(rss_bytes("VmHWM") / 1e6, 1)
    print(json.dumps(row))


def ground_truth(hashes, queries, planted, args) -> tuple[np.ndarray, np.ndarray, float]:
    """(offsets, ids, seconds) of every hash within the radius of each query, checked."""
    started = time.perf_counter()
    truth = brute_force_search(hashes, queries, args.radius, args.threads)
    seconds = time.perf_counter() - started
    for q in range(min(len(queries), NUMPY_CHECKED_QUERIES)):
        distances = np.bitwise_count(hashes ^ queries[q]).sum(axis=1)
        if sorted(truth[q][0].tolist()) != np.flatnonzero(distances <= args.radius).tolist():
            raise SystemExit(f"ground truth disagrees with numpy for query {q}")
    true_pairs = set(pair_keys(truth.offsets, truth.ids, len(hashes)).tolist())
    planted_keys = planted[:, 0] * len(hashes) + planted[:, 1]
    if not true_pairs.issuperset(planted_keys.tolist()):
        raise SystemExit("ground truth is missing planted near-duplicates")
    return truth.offsets, truth.ids, seconds


def pair_keys(offsets: np.ndarray, ids: np.ndarray, count: int) -> np.ndarray:
    """Each (query, id) result as one integer, query * count + id."""
    queries = np.repeat(np.arange(len(offsets) - 1, dtype=np.int64), np.diff(offsets))
    return queries * count + ids


def scored(row: dict, results: Path, truth_keys: np.ndarray, count: int) -> dict:
    found = np.load(results)
    keys = np.unique(pair_keys(found["offsets"], found["ids"], count))
    hits = np.isin(keys, truth_keys).sum()
    row["recall"] = round(float(hits / len(truth_keys)), 6) if len(truth_keys) else 1.0
    row["false_hits"] = int(len(keys) - hits + (len(found["ids"]) - len(keys)))  # + repeats
    return row


def run_method(method: str, folder: Path, args) -> dict | None:
    command = [sys.executable, __file__, "--worker", method, "--data", str(folder)]
    command += ["--threads", str(args.threads), "--radius", str(args.radius)]
    command += ["--add", str(args.add), "--seed", str(args.seed)]
    environment = os.environ | {"NUMBA_NUM_THREADS": str(args.threads)}
    done = subprocess.run(command, capture_output=True, text=True, env=environment)
    if done.returncode != 0:
        print(f"{method} failed:\n{done.stderr}", file=sys.stderr)
        return None
    return json.loads(done.stdout.strip().splitlines()[-1])


def faiss_available() -> bool:
    return importlib.util.find_spec("faiss") is not None


def print_table(rows: list[dict], args, truth_seconds: float) -> None:
    print(
        f"{args.hashes:,} hashes, {args.queries:,} queries, radius {args.radius}, "
        f"{args.threads} threads; ground truth by brute force in {truth_seconds:.1f} s"
    )
    print(f"{'method':<42}{'qps':>10}{'recall':>9}{'build s':>9}{'memory MB':>11}{'peak MB':>9}")
    for row in rows:
        print(
            f"{row['method']:<42}{row['qps']:>10,.0f}{row['recall']:>9.4f}"
            f"{row['build_s']:>9.2f}{row['memory_mb']:>11,.0f}{row['peak_rss_mb']:>9,.0f}"
        )
    ours = next((row for row in rows if row["method"] == METHOD_NAMES["siteline"]), None)
    if ours is None:
        return
    print(f"siteline layout: {ours['layout']}; its arrays take {ours['index_mb']:,.0f} MB")
    print(
        f"siteline adds: {args.add:,} hashes in {ours['add_s']:.3f} s, then one at a time in "
        f"{ours['add_one_us']:.0f} us each; {ours['added_found']:.0%} of them found at distance 0 "
        f"by a search at radius {args.radius} ({ours['qps_after_add']:,.0f} queries/s over "
        f"{ours['parts_after_add']} parts); earlier results still exact: "
        f"{ours['consistent_after_add']}"
    )
    if args.hashes != TARGET_HASHES or args.threads != TARGET_THREADS:
        print(f"(the target is set at {TARGET_HASHES:,} hashes on {TARGET_THREADS} threads)")
    checks = [
        (f"at least {TARGET_QPS:,} queries/s", ours["qps"] >= TARGET_QPS),
        ("exact recall", ours["recall"] == 1.0 and ours["false_hits"] == 0),
        (
            f"at most {TARGET_MEMORY_MB:,} MB",
            max(ours["memory_mb"], ours["index_mb"]) <= TARGET_MEMORY_MB,
        ),
        (
            "adds found without rebuilding",
            ours["added_found"] == 1.0 and ours["consistent_after_add"],
        ),
    ]
    for label, passed in checks:
        print(f"  {'PASS ' if passed else 'BELOW'} {label}")


def parse_arguments() -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--hashes", type=int, default=TARGET_HASHES)
    parser.add_argument("--queries", type=int, default=2_000)
    parser.add_argument("--radius", type=int, default=31)
    parser.add_argument("--threads", type=int, default=TARGET_THREADS)
    parser.add_argument("--planted", type=int, default=4, help="near-duplicates per query")
    parser.add_argument("--add", type=int, default=100_000, help="hashes added after the build")
    parser.add_argument("--methods", default=",".join(METHODS), help="comma-separated subset")
    parser.add_argument("--seed", type=int, default=2019)
    parser.add_argument("--json", action="store_true", help="print only the JSON rows")
    parser.add_argument("--worker", help=argparse.SUPPRESS)
    parser.add_argument("--data", help=argparse.SUPPRESS)
    return parser.parse_args()


def main() -> int:
    args = parse_arguments()
    if args.worker:
        worker(args)
        return 0
    methods = [method.strip() for method in args.methods.split(",") if method.strip()]
    if unknown := set(methods) - set(METHODS):
        raise SystemExit(f"unknown methods {sorted(unknown)}; choose from {', '.join(METHODS)}")
    if not faiss_available() and (skipped := [m for m in methods if m != "siteline"]):
        print(f"faiss-cpu is not installed: skipping {', '.join(skipped)}", file=sys.stderr)
        methods = [m for m in methods if m == "siteline"]
    hashes, queries, planted = make_data(
        args.hashes, args.queries, args.planted, args.radius, args.seed
    )
    offsets, ids, truth_seconds = ground_truth(hashes, queries, planted, args)
    truth_keys = np.unique(pair_keys(offsets, ids, args.hashes))
    rows = []
    with tempfile.TemporaryDirectory(prefix="match-index-") as folder:
        np.save(Path(folder) / "hashes.npy", hashes)
        np.save(Path(folder) / "queries.npy", queries)
        del hashes  # the children load their own copy
        for method in methods:
            row = run_method(method, Path(folder), args)
            if row is not None:
                context = {"hashes": args.hashes, "queries": args.queries}
                context |= {"threads": args.threads, "radius": args.radius}
                rows.append(
                    scored(row, Path(folder) / f"{method}.npz", truth_keys, args.hashes) | context
                )
    if args.json:
        print(json.dumps(rows))
    else:
        print_table(rows, args, truth_seconds)
    ours = [row for row in rows if row["method"] == METHOD_NAMES["siteline"]]
    exact = all(row["recall"] == 1.0 and row["false_hits"] == 0 for row in ours)
    return 0 if exact and len(rows) == len(methods) else 1


if __name__ == "__main__":
    sys.exit(main())
