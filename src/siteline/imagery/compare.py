"""Before against after over a site, window by window: misregistration found and undone,
change scored, one threshold for the whole grid, the site set against its ring.

Two passes over the grid, none holding more than a window of pixels, and a threshold
between them:

1. each window of both scenes is read onto the grid (the after scene shifted by the
   misregistration found on the site's window) and scored; scores go to a GeoTIFF on disk,
   with a second band saying where the difference stands out from the images' own noise
   (RGB) or 1 everywhere (other sensors); a reduced copy of both scenes and the score is
   kept for the figure, and a sample of the scores for the threshold;
2. the threshold is chosen from one histogram of that sample (every score, or a regular
   lattice of about 16 million of them on a larger grid);
3. each window is thresholded; changed pixels are counted inside the site and the ring,
   blocks of the ring are scored for the site test, and changed objects are found.

The scene sources are open rasterio datasets; nothing here touches a case.
"""

from __future__ import annotations

import math
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import rasterio
from rasterio.windows import Window

from siteline.errors import InvalidInput
from siteline.imagery import thresholds
from siteline.imagery.detect import scored_window, stack_score
from siteline.imagery.grid import Grid, read_on_grid
from siteline.imagery.registration import register as register_after
from siteline.imagery.sitestats import (
    MAX_OBJECTS,
    ChangeCounts,
    block_fractions,
    changed_objects,
    site_block_side,
    site_test,
)

WINDOW = 2048  # pixels a side: three float32 bands of two scenes and their score, ~200 MB
FIGURE_SIDE = 800  # the figure's panels are at most this many pixels a side
HISTOGRAM_BINS = 1024
HISTOGRAM_SAMPLE = 16_000_000  # scores at most in the threshold's histogram (see ScoreSample)
HISTOGRAM_CHUNK = 4_000_000
GDAL_CACHE_MB = 256
REGISTRATION_SIDE = 1024  # the misregistration is found on this window around the site


@dataclass
class Figures:
    """Reduced copies (every `step`-th pixel) of both scenes and the result, for the figure."""

    step: int
    before: np.ndarray
    after: np.ndarray
    score: np.ndarray
    changed: np.ndarray
    stands_out: np.ndarray


@dataclass
class Comparison:
    shift: tuple[float, float]
    operator: str
    threshold: float
    threshold_method: str
    parameters: dict
    site: dict
    objects: list[dict]
    score_path: Path
    figures: Figures
    windows: int = 0


def compare_on_grid(
    before: list[tuple],
    after: list[tuple],
    grid: Grid,
    sensor: str,
    workdir: Path,
    *,
    register: bool = True,
    threshold_method: str | None = None,
    window: int = WINDOW,
    model=None,
) -> Comparison:
    """`before` and `after` are lists of (open dataset, SceneInfo) over the same place: one
    scene each (a pair), or at least two each (stacks, compared by a Welch t-test). `model`:
    a trained change model (imagery.model.ChangeModel) to score a pair instead of the
    training-free operator; its own threshold is used."""
    if model is not None and (not pair_of(before, after) or model.sensor != sensor):
        raise InvalidInput(
            "--model",
            f"the model scores pairs of {model.sensor} scenes, not {sensor} {len(before)}+{len(after)}",
        )
    pair = pair_of(before, after)
    if not (pair or (len(before) >= 2 and len(after) >= 2)):
        raise InvalidInput(
            "scenes", "give one scene for each period, or at least two for each (a t-test)"
        )
    # GDAL keeps written and read blocks in a cache of 5 % of the machine's memory by
    # default: on a large grid that, not the windows, would set the memory a run takes.
    with rasterio.Env(GDAL_CACHEMAX=GDAL_CACHE_MB):
        return _compare(
            before, after, grid, sensor, workdir, pair and register, threshold_method, window, model
        )


def pair_of(before: list, after: list) -> bool:
    return len(before) == 1 and len(after) == 1


def _compare(before, after, grid, sensor, workdir, register, threshold_method, window, model):
    if register:
        shift, registration = _misregistration(before[0], after[0], grid)
    else:
        reason = "not asked" if len(before) == 1 else "stacks are compared as given"
        shift, registration = (0.0, 0.0), {"applied": False, "reason": reason}
    score_path = workdir / "change-score.tif"
    figures = _empty_figures(grid, sensor)
    operator, parameters, sample = _score_pass(
        before, after, grid, sensor, shift, score_path, window, figures, model
    )
    method = threshold_method or parameters.get("threshold_method") or "otsu"
    floors = parameters.get("threshold_floors") or {}
    if method == "fixed":  # a trained model's own threshold
        threshold = float(parameters["threshold_value"])
    else:
        threshold = _threshold_from_sample(sample, method, floors)
        parameters["threshold_histogram"] = sample.record()
    counts, blocks, objects = _mask_pass(grid, score_path, threshold, window)
    figures.changed = figures.stands_out & (np.nan_to_num(figures.score, nan=-np.inf) > threshold)
    return Comparison(
        shift=shift,
        operator=operator,
        threshold=threshold,
        threshold_method=method,
        parameters={**parameters, "registration": registration},
        site=site_test(counts, blocks),
        objects=objects,
        score_path=score_path,
        figures=figures,
        windows=math.ceil(grid.width / window) * math.ceil(grid.height / window),
    )


def _misregistration(before: tuple, after: tuple, grid: Grid) -> tuple[tuple[float, float], dict]:
    """The shift of after against before, found on a window centred on the site, with the
    record of how (and, when it is not applied, why not)."""
    (cx, cy) = grid.site.centroid.coords[0]
    col, row = ~grid.affine @ (cx, cy)
    side = min(REGISTRATION_SIDE, grid.width, grid.height)
    left = int(min(max(col - side / 2, 0), grid.width - side))
    top = int(min(max(row - side / 2, 0), grid.height - side))
    where = Window(left, top, side, side)
    first, first_valid = read_on_grid(*before, grid, where)
    second, second_valid = read_on_grid(*after, grid, where)
    # `register` decides whether the estimate can be trusted; its shifted copy is dropped:
    # the scene is read again through the shifted grid, resampled once from the source.
    _, _, shift, record = register_after(first, second, first_valid & second_valid, apply=False)
    return shift, record


def _score_pass(before, after, grid, sensor, shift, score_path, window, figures, model):
    """Every window scored and written; returns the operator, its parameters and the
    sample of scores the threshold is drawn from."""
    profile = {
        "driver": "GTiff",
        "width": grid.width,
        "height": grid.height,
        "count": 2,
        "dtype": "float32",
        "crs": grid.crs,
        "transform": grid.affine,
        "nodata": float("nan"),
        "tiled": True,
        "blockxsize": 256,
        "blockysize": 256,
        # Each band in blocks of its own: the bands are written, and read back, one by one.
        "interleave": "band",
        # Zstandard at level 1, without the floating-point predictor: a third of the time
        # that the predictor took (a fifth of the whole compare), for files 7 % larger.
        "compress": "zstd",
        "zstd_level": 1,
    }
    operator, parameters, skipped = None, {}, []
    sample = ScoreSample(grid)
    with rasterio.open(score_path, "w", **profile) as target:
        for where in grid.windows(window):
            firsts = [read_on_grid(*scene, grid, where) for scene in before]
            seconds = [read_on_grid(*scene, grid, where, shift) for scene in after]
            valid = np.logical_and.reduce([mask for _, mask in firsts + seconds])
            first, second = firsts[-1][0], seconds[0][0]  # the two nearest the change, shown
            scored = _score_window(firsts, seconds, sensor, valid, where, skipped, model)
            if scored is None:
                empty = np.full((int(where.height), int(where.width)), np.nan, "float32")
                target.write(empty, 1, window=where)
                target.write(empty, 2, window=where)
                continue
            score, operator, parameters, significant = scored
            score = np.asarray(score, dtype=np.float32)
            score[~valid] = np.nan  # the operators mark these already; a model need not
            stands_out = np.where(valid, 1, np.nan).astype("float32")
            if significant is not None:
                stands_out[~significant] = 0
            target.write(score, 1, window=where)
            target.write(stands_out, 2, window=where)
            _keep_for_figure(figures, where, first, second, score, stands_out)
            sample.add(score, where)
    if operator is None or not sample.spread():
        reasons = "; ".join(skipped[:3]) or "no pixel of the site or ring is in both scenes"
        raise InvalidInput("scenes", f"no change score could be computed over the site ({reasons})")
    return operator, {**parameters, "windows_skipped": skipped}, sample


class ScoreSample:
    """The finite scores of every `step`-th row and column of the grid, for the threshold's
    histogram: every score up to HISTOGRAM_SAMPLE pixels, then a regular lattice of about
    that many (16 million scores pin a histogram of 1,024 bins far below a count per bin
    that would move a threshold), so that the scores are not read back a second time."""

    def __init__(self, grid: Grid):
        self.step = max(1, math.ceil(math.sqrt(grid.width * grid.height / HISTOGRAM_SAMPLE)))
        self.parts: list[np.ndarray] = []

    def add(self, score: np.ndarray, where: Window) -> None:
        row0, col0 = (-int(where.row_off)) % self.step, (-int(where.col_off)) % self.step
        kept = score[row0 :: self.step, col0 :: self.step]
        self.parts.append(kept[np.isfinite(kept)])

    def values(self) -> np.ndarray:
        return np.concatenate(self.parts) if self.parts else np.empty(0, np.float32)

    def spread(self) -> bool:
        values = self.values()
        return bool(values.size) and bool(values.max() > values.min())

    def record(self) -> dict:
        return {"bins": HISTOGRAM_BINS, "every_nth_row_and_column": self.step,
                "scores": int(sum(part.size for part in self.parts))}  # fmt: skip


def _score_window(firsts, seconds, sensor, valid, where, skipped, model=None):
    """A window's score, or None (and why, in `skipped`) when it has nothing to compare:
    no pixel in every scene, or a scene of one constant value there (open sea, a blank)."""
    if not valid.any():
        return None
    try:
        if model is not None:
            score = model.score(firsts[0][0], seconds[0][0], valid)
            fixed = {"threshold_method": "fixed", "threshold_value": model.threshold}
            return score, "onnx-model", {**model.parameters, **fixed}, None
        if len(firsts) > 1:
            stacks = [np.stack([data for data, _ in scenes]) for scenes in (firsts, seconds)]
            score, operator, parameters, _ = stack_score(*stacks, sensor, valid=valid)
            return score, operator, parameters, None
        # The misregistration is undone by the reading: none is looked for again.
        return scored_window(firsts[0][0], seconds[0][0], sensor, valid=valid, register=False)
    except InvalidInput as error:
        skipped.append(f"window at row {int(where.row_off)}, column {int(where.col_off)}: {error}")
        return None


def _threshold_from_sample(sample: ScoreSample, method: str, floors: dict) -> float:
    values = sample.values()
    edges = thresholds.histogram_edges(float(values.min()), float(values.max()), HISTOGRAM_BINS)
    total = None
    for start in range(0, values.size, HISTOGRAM_CHUNK):  # bin numbers in float64: in parts
        part = thresholds.score_histogram(values[start : start + HISTOGRAM_CHUNK], edges=edges)
        total = part if total is None else thresholds.add_histograms(total, part)
    return float(thresholds.threshold_from_histogram(*total, method, **floors))


def _mask_pass(grid, score_path, threshold, window):
    counts, blocks, objects = ChangeCounts(), [], []
    side = site_block_side(grid.site.area / grid.pixel_size_m**2)
    with rasterio.open(score_path) as scores:
        for where in grid.windows(window):
            score, stands_out = scores.read(window=where)
            valid = np.isfinite(score)
            changed = valid & (score > threshold) & (stands_out > 0)
            site, ring = grid.masks(where)
            counts.add(changed, valid, site, ring)
            blocks += block_fractions(changed, valid, ring, side)
            offset = (int(where.row_off), int(where.col_off))
            to_map = lambda col, row: grid.affine @ (col, row)  # noqa: E731
            objects += changed_objects(changed & (site | ring), grid.pixel_size_m, to_map, offset)
    objects.sort(key=lambda found: (-found["area_m2"], found["row"], found["col"]))
    return counts, blocks, objects[:MAX_OBJECTS]


def _empty_figures(grid: Grid, sensor: str) -> Figures:
    step = max(1, math.ceil(max(grid.width, grid.height) / FIGURE_SIDE))
    height, width = math.ceil(grid.height / step), math.ceil(grid.width / step)
    bands = 3 if sensor == "rgb" else 1
    return Figures(
        step=step,
        before=np.zeros((bands, height, width), "float32"),
        after=np.zeros((bands, height, width), "float32"),
        score=np.full((height, width), np.nan, "float32"),
        changed=np.zeros((height, width), bool),
        stands_out=np.zeros((height, width), bool),
    )


def _keep_for_figure(figures: Figures, where: Window, first, second, score, stands_out) -> None:
    """Every `step`-th pixel of the grid, from the window's share of it."""
    step = figures.step
    row0, col0 = (-int(where.row_off)) % step, (-int(where.col_off)) % step
    kept = score[row0::step, col0::step]
    top, left = (int(where.row_off) + row0) // step, (int(where.col_off) + col0) // step
    rows, cols = slice(top, top + kept.shape[0]), slice(left, left + kept.shape[1])
    figures.score[rows, cols] = kept
    figures.stands_out[rows, cols] = stands_out[row0::step, col0::step] > 0
    bands = figures.before.shape[0]
    # RGB scenes are shown in colour; other sensors by their first band, in grey.
    figures.before[:, rows, cols] = first[:bands, row0::step, col0::step]
    figures.after[:, rows, cols] = second[:bands, row0::step, col0::step]
