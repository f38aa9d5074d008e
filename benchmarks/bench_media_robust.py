"""Near-duplicate matching beyond PDQ: copies matched per change, false matches, speed.

Makes N originals of our own (`siteline.media.synthetic.scene`, seeds 0 … N-1, 640 × 480,
saved as JPEG q=95) and from each one copy per change of `synthetic.CHANGES` (re-encoding,
scaling, crops, borders, letterbox and pillarbox bars, caption bands added above or below
or printed over the top, a half-transparent watermark band laid over the bottom, a mirror
image, and combinations), each saved as
JPEG q=85 as a platform re-encodes an upload (q=60 where the change says so). Every file
is hashed from its bytes in the same run by both methods:

- plain PDQ: the canonical siteline-pdq/1 hash of each file; two files match when their
  hashes are within 31 bits and both have quality ≥ 50;
- Siteline: the hash sets of siteline-pdq-set/1 (`siteline.media.robust`); a picture
  searching the index matches a stored one when one of its probes is within 31 bits of
  one of the stored hashes.

It prints, per change, the share of copies matched to their own original: by PDQ, and by
Siteline in both orders (the copy searching the stored original, as when the copy comes
in later; the original searching the stored copy, as when the original comes in later),
with the stored variant and the probe that matched most often. Then the false matches, for both methods in the same
run: the share of pairs of unrelated originals that match (every pair, in either order);
the share of pairs of a copy and an unrelated original that match (each copy against
--unrelated originals, in either order); and the closest distance seen between unrelated
pictures. Last, the mean time to hash one file (decoding included): PDQ alone, and
Siteline's set. Targets: Siteline matches at least 95 % of the copies of every change, in
both orders, and makes no false match (exit status 1 otherwise). The default, 120
originals (2,400 files), takes about a minute and a half on one busy core.

    .venv/bin/python benchmarks/bench_media_robust.py [--originals N] [--unrelated K] [--json]
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import time
from collections import Counter

# One core, as measured: OpenBLAS's threads only contend with the other work on the machine.
os.environ.setdefault("OPENBLAS_NUM_THREADS", "1")

import numpy as np  # noqa: E402

from siteline.media import robust_frames  # noqa: E402
from siteline.media.pdq import QUALITY_FLOOR, hash_image_bytes  # noqa: E402
from siteline.media.robust import MATCH_RADIUS, HashSet, best_match, hash_set  # noqa: E402
from siteline.media.synthetic import CHANGES, ORIGINAL_QUALITY, jpeg_bytes, scene  # noqa: E402

TARGET_RATE = 0.95


class Timer:
    """Seconds and count of the hashing calls of one method (and for sets, their sizes)."""

    def __init__(self) -> None:
        self.seconds = 0.0
        self.count = 0
        self.stored = 0
        self.probes = 0

    def run(self, function, *args):
        start = time.perf_counter()
        result = function(*args)
        self.seconds += time.perf_counter() - start
        self.count += 1
        return result

    def per_file_ms(self) -> float:
        return 1000 * self.seconds / max(self.count, 1)


class Hashed:
    """A file's hashes by both methods; the probes only as long as they are needed."""

    def __init__(self, data: bytes, name: str, timers: dict[str, Timer]):
        digest = timers["pdq"].run(hash_image_bytes, data, name)
        self.pdq = robust_frames.hex_to_bits(digest.hex)
        self.pdq_matchable = digest.quality >= QUALITY_FLOOR
        self.set: HashSet = timers["siteline"].run(hash_set, data, name)
        timers["siteline"].stored += len(self.set.stored)
        timers["siteline"].probes += len(self.set.probe_labels)


def pdq_distance(first: Hashed, second: Hashed) -> int | None:
    """Distance of the plain PDQ hashes, None when either is below the quality floor."""
    if not (first.pdq_matchable and second.pdq_matchable):
        return None
    return int(robust_frames.distances(first.pdq[None], second.pdq[None])[0, 0])


def closest_set_distance(first: HashSet, second: HashSet) -> int:
    """The closest pair over both orders, however far (for the margin of unrelated ones)."""
    match = best_match(first, second, radius=256)
    reverse = best_match(second, first, radius=256)
    return min(m.distance for m in (match, reverse) if m is not None) if match or reverse else 256


class Unrelated:
    """False matches between unrelated pictures, for both methods."""

    def __init__(self) -> None:
        self.pairs = 0
        self.pdq_matches = 0
        self.set_matches = 0
        self.closest_pdq = 256
        self.closest_set = 256

    def add(self, first: Hashed, second: Hashed) -> None:
        self.pairs += 1
        distance = pdq_distance(first, second)
        if distance is not None:
            self.closest_pdq = min(self.closest_pdq, distance)
            self.pdq_matches += distance <= MATCH_RADIUS
        closest = closest_set_distance(first.set, second.set)
        self.closest_set = min(self.closest_set, closest)
        self.set_matches += closest <= MATCH_RADIUS

    def summary(self) -> dict:
        return {
            "pairs": self.pairs,
            "pdq_false_matches": self.pdq_matches,
            "pdq_rate": self.pdq_matches / max(self.pairs, 1),
            "siteline_false_matches": self.set_matches,
            "siteline_rate": self.set_matches / max(self.pairs, 1),
            "closest_pdq": self.closest_pdq,
            "closest_siteline": self.closest_set,
        }


def run(originals: int, unrelated: int) -> dict:
    timers = {"pdq": Timer(), "siteline": Timer()}
    pictures = [scene(seed) for seed in range(originals)]
    stored = [
        Hashed(jpeg_bytes(pixels, ORIGINAL_QUALITY), f"original-{seed}.jpg", timers)
        for seed, pixels in enumerate(pictures)
    ]
    between_originals = Unrelated()
    for first in range(originals):
        for second in range(first + 1, originals):
            between_originals.add(stored[first], stored[second])
    copies_to_others = Unrelated()
    changes = []
    for number, change in enumerate(CHANGES):
        pdq_found = copy_found = original_found = 0
        via = Counter()
        for seed in range(originals):
            rng = np.random.default_rng([seed, number, 0xC0])
            pixels = np.ascontiguousarray(change.make(pictures[seed], rng))
            copy = Hashed(jpeg_bytes(pixels, change.quality), f"copy-{seed}.jpg", timers)
            original = stored[seed]
            distance = pdq_distance(copy, original)
            pdq_found += distance is not None and distance <= MATCH_RADIUS
            searching = best_match(copy.set, original.set)
            copy_found += searching is not None
            original_found += best_match(original.set, copy.set) is not None
            if searching:
                via[f"{searching.stored} ← {searching.probe.split(' t')[0]}"] += 1
            for offset in range(1, min(unrelated, originals - 1) + 1):
                copies_to_others.add(copy, stored[(seed + offset) % originals])
        changes.append(
            {
                "change": change.name,
                "pdq": pdq_found / originals,
                "siteline_copy_searching": copy_found / originals,
                "siteline_original_searching": original_found / originals,
                "usually_via": via.most_common(1)[0][0] if via else "",
            }
        )
    return {
        "originals": originals,
        "radius": MATCH_RADIUS,
        "changes": changes,
        "unrelated_originals": between_originals.summary(),
        "copies_and_unrelated_originals": copies_to_others.summary(),
        "unrelated_per_copy": min(unrelated, originals - 1),
        "ms_per_file": {name: timer.per_file_ms() for name, timer in timers.items()},
        "files_hashed": timers["pdq"].count,
        "stored_per_file": timers["siteline"].stored / timers["siteline"].count,
        "probes_per_file": timers["siteline"].probes / timers["siteline"].count,
    }


def passed(result: dict) -> bool:
    rates_met = all(
        min(row["siteline_copy_searching"], row["siteline_original_searching"]) >= TARGET_RATE
        for row in result["changes"]
    )
    no_false = not any(
        result[key]["siteline_false_matches"]
        for key in ("unrelated_originals", "copies_and_unrelated_originals")
    )
    return rates_met and no_false


def print_table(result: dict) -> None:
    print(
        f"{result['originals']} originals, one copy per change; a match is within "
        f"{result['radius']} bits.\n"
    )
    heading = f"{'change':<38} {'PDQ':>6} {'copy→orig':>10} {'orig→copy':>10}  usually via"
    print(heading)
    print("-" * len(heading))
    for row in result["changes"]:
        print(
            f"{row['change']:<38} {row['pdq']:>6.0%} {row['siteline_copy_searching']:>10.0%} "
            f"{row['siteline_original_searching']:>10.0%}  {row['usually_via']}"
        )
    print("\nFalse matches (pairs that match; closest distance seen):")
    for key, title in (
        ("unrelated_originals", "unrelated originals, every pair"),
        (
            "copies_and_unrelated_originals",
            f"copy and unrelated original ({result['unrelated_per_copy']} per copy)",
        ),
    ):
        part = result[key]
        print(
            f"  {title}: {part['pairs']:,} pairs — PDQ {part['pdq_false_matches']} "
            f"({part['pdq_rate']:.4%}, closest {part['closest_pdq']}), Siteline "
            f"{part['siteline_false_matches']} ({part['siteline_rate']:.4%}, closest "
            f"{part['closest_siteline']})"
        )
    timing = result["ms_per_file"]
    print(
        f"\nHashing one file ({result['files_hashed']:,} files, decoding included): PDQ "
        f"{timing['pdq']:.1f} ms, Siteline's set {timing['siteline']:.1f} ms "
        f"({result['stored_per_file']:.2f} stored hashes and {result['probes_per_file']:,.0f} "
        "probes a file, on average)"
    )
    verdict = "PASS" if passed(result) else "BELOW"
    print(
        f"Target: Siteline matches ≥ {TARGET_RATE:.0%} of every change's copies in both "
        f"orders, no false match: {verdict}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--originals", type=int, default=120, help="originals (default 120)")
    parser.add_argument(
        "--unrelated", type=int, default=10, help="unrelated originals per copy (default 10)"
    )
    parser.add_argument("--json", action="store_true", help="print the results as JSON")
    arguments = parser.parse_args()
    if arguments.originals < 2:
        parser.error("--originals must be at least 2")
    result = run(arguments.originals, arguments.unrelated)
    if arguments.json:
        print(json.dumps(result | {"passed": passed(result)}, indent=2, ensure_ascii=False))
    else:
        print_table(result)
    return 0 if passed(result) else 1


if __name__ == "__main__":
    sys.exit(main())
