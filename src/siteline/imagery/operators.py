"""Per-pixel change scores: higher means more change. Inputs are float arrays (bands, H, W).

- change-vector analysis (CVA): length of the per-pixel difference vector of bands that a
  radiometric normalisation has put on one scale (optical, multispectral);
- log-ratio: |log(after / before)| after a small mean filter (SAR). Speckle is
  multiplicative, so a ratio cancels the gain and the filter averages the speckle down;
- Welch t: several scenes per period, the t statistic of the after stack against the
  before stack per pixel (the pixel-wise t-test of the PWTT method for Sentinel-1 damage
  mapping), on log values for SAR;
- colour-structure, for very-high-resolution RGB: in colour_structure.py.
- differences without normalisation, kept as baselines.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from siteline.errors import InvalidInput
from siteline.imagery.radiometry import fill_not_valid, normalise_pair
from siteline.imagery.smoothing import smooth

# Floor of a period's variance in the t-test, relative to the mean variance: a pixel that
# never varied within a period would otherwise give an infinite t for any difference.
VARIANCE_FLOOR = 1e-3


def cva(before: np.ndarray, after: np.ndarray, smoothing: float = 0.0) -> np.ndarray:
    """Magnitude of the band difference vector, then Gaussian-smoothed by `smoothing` pixels
    (0: none): the local mean change energy, so that a change is judged over a neighbourhood
    the size of the objects sought rather than pixel by pixel."""
    kind = np.result_type(before, after, np.float32)
    magnitude = np.zeros(before.shape[1:], kind)
    for band_before, band_after in zip(before, after, strict=True):
        # Band by band: no (bands, H, W) copy of a window's four million pixels a band.
        difference = np.subtract(band_after, band_before, dtype=kind)
        difference *= difference
        magnitude += difference
    np.sqrt(magnitude, out=magnitude)
    return smooth(magnitude, smoothing) if smoothing > 0 else magnitude


def grey_difference(before: np.ndarray, after: np.ndarray) -> np.ndarray:
    """|mean of after's bands − mean of before's bands| (a baseline)."""
    return np.abs(after.mean(axis=0) - before.mean(axis=0))


def speckle_filter(image: np.ndarray, size: int, kind: str = "mean") -> np.ndarray:
    """Each band through a `size`×`size` mean or median filter (size ≤ 1: unchanged)."""
    if size <= 1:
        return image
    if kind not in ("mean", "median"):
        raise InvalidInput("speckle_filter", f"unknown filter {kind!r}; choose mean or median")
    filtered = ndimage.uniform_filter if kind == "mean" else ndimage.median_filter
    return np.stack([filtered(band, size=size) for band in image])


def log_offset(before: np.ndarray, after: np.ndarray, valid: np.ndarray, fraction: float) -> float:
    """A small positive value added before taking logs, so that zero pixels have a ratio:
    `fraction` of the median valid value of both dates, hence independent of the data's scale."""
    pooled = np.concatenate([before[:, valid].ravel(), after[:, valid].ravel()])
    if np.any(pooled < 0):
        raise InvalidInput(
            "image",
            "SAR values must be linear amplitude or intensity, not negative (are they in dB?)",
        )
    median = float(np.median(pooled))
    if median <= 0:
        median = float(pooled.max())
    return fraction * median


def log_ratio(
    before: np.ndarray,
    after: np.ndarray,
    offset: float,
    speckle_size: int = 3,
    speckle_kind: str = "mean",
) -> np.ndarray:
    """Length over bands of log((after + offset) / (before + offset)) after speckle filtering."""
    before = speckle_filter(before, speckle_size, speckle_kind) + offset
    after = speckle_filter(after, speckle_size, speckle_kind) + offset
    return np.sqrt(np.sum(np.log(after / before) ** 2, axis=0))


def welch_t(before_stack: np.ndarray, after_stack: np.ndarray) -> np.ndarray:
    """Per pixel and band, Welch's t of after (n, bands, H, W) against before; the score is
    the largest |t| over the bands (PWTT takes the larger of its two polarisations)."""
    n_before, n_after = before_stack.shape[0], after_stack.shape[0]
    var_before = before_stack.var(axis=0, ddof=1)
    var_after = after_stack.var(axis=0, ddof=1)
    floor = VARIANCE_FLOOR * max(float(var_before.mean()), float(var_after.mean()), 1e-12)
    standard_error = np.sqrt(
        np.maximum(var_before, floor) / n_before + np.maximum(var_after, floor) / n_after
    )
    t = (after_stack.mean(axis=0) - before_stack.mean(axis=0)) / standard_error
    return np.max(np.abs(t), axis=0)


def score_by_name(before, after, raw, valid, settings: dict) -> tuple[np.ndarray, dict]:
    """The score of `settings["operator"]` on normalised bands (`raw`: the bands as given, for
    SSIM) and the operator's parameters as used."""
    operator = settings["operator"]
    if operator in ("cva", "difference"):
        smoothing = float(settings["smoothing"]) if operator == "cva" else 0.0
        return cva(before, after, smoothing), {"smoothing": smoothing}
    if operator == "grey-difference":
        return grey_difference(before, after), {}
    if operator == "log-ratio":
        size, kind = int(settings["speckle_size"]), str(settings["speckle_kind"])
        offset = log_offset(before, after, valid, float(settings["log_offset_fraction"]))
        return log_ratio(before, after, offset, size, kind), {
            "speckle_size": size,
            "speckle_kind": kind,
            "log_offset": offset,
        }
    raise InvalidInput(
        "operator", "welch-t needs several scenes per period: use detect_change_stacks"
    )


def stack_values(before_stack, after_stack, valid, sensor: str, settings: dict):
    """The values a t-test compares: SAR scenes speckle-filtered and as logarithms (speckle
    is multiplicative), optical scenes standardised band by band, each on its own."""
    count = before_stack.shape[0]
    scenes = [fill_not_valid(scene, valid, np.median) for scene in [*before_stack, *after_stack]]
    if sensor == "sar":
        size, kind = int(settings["speckle_size"]), str(settings["speckle_kind"])
        flat = np.concatenate(scenes)  # (scenes × bands, H, W): one offset for every scene
        offset = log_offset(flat, flat, valid, float(settings["log_offset_fraction"]))
        prepared = [np.log(speckle_filter(scene, size, kind) + offset) for scene in scenes]
        record = {
            "transform": "log",
            "log_offset": offset,
            "speckle_size": size,
            "speckle_kind": kind,
        }
    else:
        prepared = [normalise_pair(scene, scene, valid, "standardise")[0] for scene in scenes]
        record = {"transform": "band standardisation, scene by scene"}
    return (np.stack(prepared[:count]), np.stack(prepared[count:])), record
