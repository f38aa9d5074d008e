"""Bulk media ingest: a folder of photos through `siteline ingest media`, on one core and on
every core, and a run interrupted with Ctrl-C (SIGINT) and carried on.

Writes --files photo-like 640 × 480 JPEGs of our own making, then runs the real command
(`siteline ingest media FOLDER`, a subprocess, SQLite case on disk) three times on fresh
cases:

1. with `--workers 1`;
2. with the default, one worker process per core;
3. with the default, sent SIGINT once about half the files are stored, then run again to
   the end: the second run must pass over what the first stored, the case must hold every
   file exactly once, and `siteline audit verify` must pass.

Prints files per second for 1 and 2 (everything ingest does per photo: decoding, the hash
set with its crop probes, matching against the case, a thumbnail, storing) and what a
folder of 100,000 files would take at that rate.

    .venv/bin/python benchmarks/bench_media_ingest.py [--files N] [--dir PATH]
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
from pathlib import Path

from PIL import Image

from siteline.media.synthetic import scene

ROOT = Path(__file__).resolve().parents[1]
SITELINE = str(ROOT / ".venv" / "bin" / "siteline")


def write_photos(folder: Path, count: int) -> None:
    folder.mkdir(parents=True)
    for seed in range(count):
        Image.fromarray(scene(10_000 + seed)).save(folder / f"p{seed:06d}.jpg", quality=85)


def siteline(*args: str, **options) -> subprocess.CompletedProcess:
    environment = {**os.environ, "SITELINE_ACTOR": "benchmark"}
    return subprocess.run([SITELINE, *args], env=environment, text=True, **options)


def new_case(folder: Path) -> Path:
    siteline("init", str(folder), check=True, capture_output=True)
    return folder


def timed_run(case: Path, photos: Path, *extra: str) -> tuple[float, dict]:
    started = time.perf_counter()
    done = siteline("-C", str(case), "ingest", "media", str(photos), "--json", "--quiet", *extra,
                    capture_output=True)  # fmt: skip
    seconds = time.perf_counter() - started
    if done.returncode != 0:
        raise SystemExit(f"ingest failed ({done.returncode}): {done.stderr[-2000:]}")
    return seconds, json.loads(done.stdout)


def interrupted_and_carried_on(case: Path, photos: Path, after_s: float) -> dict:
    environment = {**os.environ, "SITELINE_ACTOR": "benchmark"}
    command = [SITELINE, "-C", str(case), "ingest", "media", str(photos), "--json", "--quiet"]
    first = subprocess.Popen(command, env=environment, text=True, stdout=subprocess.PIPE,
                             stderr=subprocess.PIPE)  # fmt: skip
    time.sleep(after_s)
    first.send_signal(signal.SIGINT)
    out, _ = first.communicate(timeout=600)
    cut = json.loads(out)
    _, carried = timed_run(case, photos)
    listed = siteline("-C", str(case), "evidence", "list", "--kind", "photo", "--json",
                      capture_output=True, check=True)  # fmt: skip
    items = json.loads(listed.stdout)
    verified = siteline("-C", str(case), "audit", "verify", capture_output=True)
    return {
        "first_exit": first.returncode,
        "first": cut,
        "second": carried,
        "items": len(items),
        "distinct": len({item["blob_sha256"] for item in items}),
        "audit_ok": verified.returncode == 0,
    }


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--files", type=int, default=1_000, help="photos (default 1,000)")
    parser.add_argument("--dir", type=Path, default=None, help="where files and cases go")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="siteline-bench-media-", dir=options.dir) as folder:
        root = Path(folder)
        photos = root / "photos"
        write_photos(photos, options.files)
        cores = len(os.sched_getaffinity(0))
        one_s, one = timed_run(new_case(root / "one"), photos, "--workers", "1")
        all_s, every = timed_run(new_case(root / "every"), photos)
        resumed = interrupted_and_carried_on(new_case(root / "cut"), photos, all_s / 2)
    print(f"{options.files:,} photos of 640 × 480, SQLite on disk, {cores} cores")
    for label, seconds, report in (("1 worker", one_s, one), (f"{cores} workers", all_s, every)):
        rate = options.files / seconds
        print(f"  {label:10s} {seconds:7.1f} s  {rate:6.1f} files/s  "
              f"(100,000 files: {100_000 / rate / 3600:.1f} h); added {report['added']}, "
              f"matches {report['matches']}")  # fmt: skip
    print(f"  speed-up on {cores} cores: {one_s / all_s:.2f}x")
    cut, carried = resumed["first"], resumed["second"]
    whole = resumed["items"] == resumed["distinct"] == options.files
    print(
        f"interrupted (exit {resumed['first_exit']}) after {cut['added']} added; carried on: "
        f"{carried['added']} added, {carried['unchanged']} passed over; the case holds "
        f"{resumed['items']} photos, {resumed['distinct']} distinct: "
        f"{'every file once' if whole else 'NOT every file once'}; audit "
        f"{'verified' if resumed['audit_ok'] else 'FAILED'}"
    )
    return 0 if whole and resumed["audit_ok"] and resumed["first_exit"] == 130 else 1


if __name__ == "__main__":
    sys.exit(main())
