"""The whole compare pipeline on a large scene pair: megapixels per second and peak memory.

Writes a pair of synthetic 3-band uint8 GeoTIFFs of --size × --size pixels (tiled, written
window by window; a crater-like patch in the after scene and a misregistration of a third
of a pixel), then runs the compare pipeline (`imagery.compare.compare_on_grid`: reading
onto the grid, finding and undoing the misregistration, scoring, one threshold, site and
ring statistics, changed objects, the reduced copies for the figure) over a grid covering
the whole scene, in a child process pinned to one core whose peak resident memory is read
from the kernel. Targets: at least 10 megapixels/s on one core, and a 20,000 × 20,000 scene
within 2 GiB.

    .venv/bin/python benchmarks/bench_imagery_compare.py [--size N] [--dir PATH]
"""

from __future__ import annotations

import argparse
import multiprocessing
import os
import resource
import sys
import tempfile
import time
from pathlib import Path

import numpy as np
import rasterio
from rasterio.transform import from_origin
from rasterio.windows import Window
from shapely.geometry import box

TARGET_MPS = 10.0
TARGET_GIB = 2.0
UTM = "EPSG:32637"
WEST, NORTH, PIXEL = 300_000.0, 4_000_000.0, 0.5
# A made-up ground with fine structure: sinusoids of wavelengths from 1.5 to 25 m.
WAVES = np.random.default_rng(11).uniform(size=(24, 3))
TILE = 1024


def ground_tile(offset: float) -> np.ndarray:
    """(3, TILE, TILE) uint8 of the made-up ground, sampled `offset` pixels to the east; the
    scene repeats it (computing the sinusoids for 400 million pixels would take minutes)."""
    cols, rows = np.meshgrid(np.arange(TILE) + 0.5 + offset, np.arange(TILE) + 0.5)
    x, y = cols * PIXEL, rows * PIXEL
    bands = []
    for band in range(3):
        value = np.full(x.shape, 120.0)
        for length, angle, phase in WAVES:
            # Wavelengths that divide the tile's width in both directions keep it seamless.
            cycles_x = round(TILE * PIXEL / (1.5 + 23.5 * length**2) * np.cos(2 * np.pi * angle))
            cycles_y = round(TILE * PIXEL / (1.5 + 23.5 * length**2) * np.sin(2 * np.pi * angle))
            along = (cycles_x * x + cycles_y * y) / (TILE * PIXEL)
            value += 9.0 * np.sin(2 * np.pi * (along + phase) + band)
        bands.append(np.clip(value, 0, 255).astype("uint8"))
    return np.stack(bands)


def write_scene(path: Path, size: int, crater: bool, offset: float) -> None:
    profile = {"driver": "GTiff", "width": size, "height": size, "count": 3, "dtype": "uint8"}
    profile |= {"crs": UTM, "transform": from_origin(WEST, NORTH, PIXEL, PIXEL)}
    profile |= {"tiled": True, "blockxsize": 512, "blockysize": 512, "compress": "zstd"}
    tile = ground_tile(offset)
    repeats = -(-size // TILE)
    with rasterio.open(path, "w", **profile) as target:
        for top in range(0, size, TILE):
            height = min(TILE, size - top)
            strip = np.tile(tile, (1, 1, repeats))[:, :height, :size].copy()
            if crater and top <= size // 2 < top + height:
                rows, cols = np.ogrid[top : top + height, :size]
                near = np.hypot(rows - size / 2, cols - size / 2) * PIXEL < 6
                strip[:, near] = 30
            target.write(strip, window=Window(0, top, size, height))


def run_compare(before: str, after: str, size: int, sensor: str, workdir: str, answer) -> None:
    """In the child: the pipeline on one core, then its time and peak memory."""
    os.sched_setaffinity(0, {min(os.sched_getaffinity(0))})
    from siteline.imagery.compare import compare_on_grid
    from siteline.imagery.grid import Grid
    from siteline.imagery.scenes import read_scene_info

    side = size * PIXEL
    centre = box(
        WEST + side / 2 - 50, NORTH - side / 2 - 50, WEST + side / 2 + 50, NORTH - side / 2 + 50
    )
    whole = box(WEST, NORTH - side, WEST + side, NORTH)
    transform = tuple(from_origin(WEST, NORTH, PIXEL, PIXEL))[:6]
    grid = Grid(UTM, transform, size, size, PIXEL, centre, whole)
    started = time.perf_counter()
    with rasterio.open(before) as first, rasterio.open(after) as second:
        result = compare_on_grid(
            [(first, read_scene_info(Path(before)))],
            [(second, read_scene_info(Path(after)))],
            grid,
            sensor,
            Path(workdir),
        )
    seconds = time.perf_counter() - started
    peak_kib = resource.getrusage(resource.RUSAGE_SELF).ru_maxrss
    answer.send((seconds, peak_kib, result.shift, result.site, result.windows))


def measure(before: Path, after: Path, size: int, sensor: str, folder: str) -> tuple:
    receiving, sending = multiprocessing.Pipe(duplex=False)
    child = multiprocessing.get_context("spawn").Process(
        target=run_compare, args=(str(before), str(after), size, sensor, folder, sending)
    )
    child.start()
    measured = receiving.recv()
    child.join()
    return measured


def report(sensor: str, size: int, seconds, peak_kib, shift, site, windows) -> None:
    megapixels = size * size / 1e6
    rate = megapixels / seconds
    peak_gib = peak_kib / 1024**2
    print(f"\n{sensor}: grid {size:,} × {size:,} = {megapixels:,.1f} MP in {windows} windows")
    print(f"  seconds {seconds:.1f}; {rate:.2f} MP/s on one core; target >= {TARGET_MPS} MP/s: "
          f"{'PASS' if rate >= TARGET_MPS else 'BELOW'}")  # fmt: skip
    print(f"  peak memory {peak_gib:.2f} GiB; target <= {TARGET_GIB} GiB: "
          f"{'PASS' if peak_gib <= TARGET_GIB else 'ABOVE'}")  # fmt: skip
    print(f"  shift found {shift[0]:+.2f} rows {shift[1]:+.2f} cols (planted: -0.33 cols)")
    print(
        f"  site changed {site['site_changed_fraction']:.3f} vs ring {site['ring_changed_fraction']:.4f}"
    )


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--size", type=int, default=20_000, help="pixels a side (20,000)")
    parser.add_argument("--dir", type=Path, default=None, help="where the scenes go (temp)")
    parser.add_argument(
        "--sensors", default="multispectral,rgb", help="the pipelines to run, comma-separated"
    )
    options = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="siteline-bench-imagery-", dir=options.dir) as folder:
        before, after = Path(folder) / "before.tif", Path(folder) / "after.tif"
        started = time.perf_counter()
        write_scene(before, options.size, crater=False, offset=0.0)
        write_scene(after, options.size, crater=True, offset=0.33)
        print(
            f"wrote two {options.size:,} × {options.size:,} scenes in {time.perf_counter() - started:.0f} s"
        )
        for sensor in options.sensors.split(","):
            measured = measure(before, after, options.size, sensor, folder)
            report(sensor, options.size, *measured)
    return 0


if __name__ == "__main__":
    sys.exit(main())
