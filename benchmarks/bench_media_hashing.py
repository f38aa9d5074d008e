"""Photo hashing throughput: decode + SHA-256 + PDQ of 640 × 480 JPEGs on one core.

Writes --images photo-like JPEGs of our own making (siteline.media.synthetic, quality 85),
then, in a child process pinned to one core, times for each image:

- "siteline": SHA-256 of the bytes and the canonical hash (siteline-pdq/1: the JPEG decoded
  at half size by libjpeg's DCT scaling, then PDQ) — what ingest stores;
- "reference": SHA-256 and PDQ of the image decoded in full, as the reference
  implementation hashes it, for comparison;
- "ingest reading": the whole of what ingest does per photo in a worker (EXIF, the eight
  dihedral hashes, a thumbnail), for information.

It checks that the timed hashes are identical to the ones `siteline ingest media` stores
(read_media_file, run in this process), and prints how far the canonical hashes lie from
the reference ones. Target: at least 300 images/s per core.

    .venv/bin/python benchmarks/bench_media_hashing.py [--images N]
"""

from __future__ import annotations

import argparse
import hashlib
import io
import multiprocessing
import os
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import pdqhash
from PIL import Image

from siteline.media import pdq
from siteline.media.reading import read_media_file
from siteline.media.synthetic import scene

TARGET = 300.0


def write_images(folder: Path, count: int) -> list[Path]:
    paths = []
    for seed in range(count):
        path = folder / f"photo-{seed:04d}.jpg"
        Image.fromarray(scene(seed)).save(path, "JPEG", quality=85)
        paths.append(path)
    return paths


def canonical(data: bytes) -> str:
    hashlib.sha256(data).digest()
    return pdq.hash_image_bytes(data, "photo").hex


def reference(data: bytes) -> str:
    hashlib.sha256(data).digest()
    pixels = np.asarray(Image.open(io.BytesIO(data)).convert("RGB"))
    return pdq.vector_to_hex(pdqhash.compute(pixels)[0])


def timed(function, blobs: list[bytes]) -> tuple[float, list]:
    started = time.perf_counter()
    results = [function(data) for data in blobs]
    return time.perf_counter() - started, results


def on_one_core(paths: list[str], answer) -> None:
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    blobs = [Path(path).read_bytes() for path in paths]  # from memory: hashing, not the disk
    timed(canonical, blobs[:20])  # warm up: libraries loaded, caches filled
    figures = {}
    for name, function in (("siteline", canonical), ("reference", reference)):
        seconds, hashes = timed(function, blobs)
        figures[name] = (seconds, hashes)
    started = time.perf_counter()
    for path in paths:
        read_media_file(path)
    figures["ingest reading"] = (time.perf_counter() - started, None)
    answer.send(figures)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=1000, help="how many JPEGs (1,000)")
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="siteline-bench-hashing-") as folder:
        paths = write_images(Path(folder), options.images)
        receiving, sending = multiprocessing.Pipe(duplex=False)
        child = multiprocessing.get_context("spawn").Process(
            target=on_one_core, args=([str(path) for path in paths], sending)
        )
        child.start()
        figures = receiving.recv()
        child.join()
        stored = [
            next(h["pdq"] for h in read_media_file(path).hashes if h["variant"] == "whole")
            for path in paths
        ]
    count = len(paths)
    print(f"{count} JPEGs of 640 × 480 (quality 85), one core, from memory")
    for name, (seconds, _) in figures.items():
        print(
            f"  {name:15s} {seconds / count * 1000:6.2f} ms an image, {count / seconds:7.1f} images/s"
        )
    rate = count / figures["siteline"][0]
    verdict = "PASS" if rate >= TARGET else "BELOW"
    print(f"target >= {TARGET:.0f} images/s per core: {rate:.1f} {verdict}")
    identical = figures["siteline"][1] == stored
    print(f"hashes identical to what ingest stores: {'yes' if identical else 'NO'}")
    distances = [
        pdq.hex_distance(a, b)
        for a, b in zip(figures["siteline"][1], figures["reference"][1], strict=True)
    ]
    print(
        f"distance to the reference hash of the full decode: median {np.median(distances):.0f}, "
        f"95th percentile {np.percentile(distances, 95):.0f}, max {max(distances)} bits of 256"
    )
    return 0 if identical else 1


if __name__ == "__main__":
    sys.exit(main())
