"""Per-pixel change scores: higher means more change. Inputs are float arrays (bands, H, W).

- change-vector analysis (CVA): length of the per-pixel difference vector of bands that a
  radiometric normalisation has put on one scale (optical, multispectral);
- log-ratio: |log(after / before)| after a small mean filter (SAR). Speckle is
  multiplicative, so a ratio cancels the gain and the filter averages the speckle down;
- Welch t: several scenes per period, the t statistic of the after stack against the
  before stack per pixel (the pixel-wise t-test of the PWTT method for Sentinel-1 damage
  mapping), on log values for SAR;
- colour-structure: for very-high-resolution RGB, where a building appears or goes as a new
  pattern of edges and shadows as much as a new colour: smoothed CVA plus one minus the
  local structural similarity (SSIM) of the grey images, each standardised over the image.
- differences without normalisation, kept as baselines.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from siteline.errors import InvalidInput
from siteline.imagery.radiometry import fill_not_valid, normalise_pair
from siteline.imagery.smoothing import block_means, coarse_factor, smooth, upsample

# SSIM stabilising constants of Wang et al. (2004), as fractions of the dynamic range.
SSIM_K1, SSIM_K2 = 0.01, 0.03
# Immerkær's noise-estimation kernel: the difference of two Laplacians, blind to flat ramps.
NOISE_KERNEL = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]], dtype=np.float64)
# Floor of a period's variance in the t-test, relative to the mean variance: a pixel that
# never varied within a period would otherwise give an infinite t for any difference.
VARIANCE_FLOOR = 1e-3


def cva(before: np.ndarray, after: np.ndarray, smoothing: float = 0.0) -> np.ndarray:
    """Magnitude of the band difference vector, then Gaussian-smoothed by `smoothing` pixels
    (0: none): the local mean change energy, so that a change is judged over a neighbourhood
    the size of the objects sought rather than pixel by pixel."""
    magnitude = np.sqrt(np.sum((after - before) ** 2, axis=0))
    return smooth(magnitude, smoothing) if smoothing > 0 else magnitude


NOISE_SIDE = 1024


def _central(band: np.ndarray, side: int) -> np.ndarray:
    top, left = max(0, (band.shape[0] - side) // 2), max(0, (band.shape[1] - side) // 2)
    return band[top : top + side, left : left + side]


def noise_sigma(band: np.ndarray) -> float:
    """Standard deviation of a band's pixel noise (Immerkær 1996, "Fast noise variance
    estimation"): texture inflates it a little, which only makes the noise test stricter.
    Measured on the central NOISE_SIDE × NOISE_SIDE pixels at most: a million samples pin
    the mean of the response as well as a window's four million."""
    band = _central(band, NOISE_SIDE)
    response = ndimage.convolve(band, NOISE_KERNEL, mode="reflect")[1:-1, 1:-1]
    return float(np.sqrt(np.pi / 2) * np.abs(response).mean() / 6)


def noise_normalised_change(
    before: np.ndarray, after: np.ndarray, noise_before, noise_after, smoothing: float
) -> np.ndarray:
    """Local RMS of the band differences in units of the noise both dates carry: about 1
    where nothing changed, whatever the scene. `noise_*`: per band, same units as the bands."""
    noise = np.sqrt(np.asarray(noise_before) ** 2 + np.asarray(noise_after) ** 2)
    noise = np.maximum(noise, 1e-12)[:, None, None]
    mean_square = np.mean(((after - before) / noise) ** 2, axis=0)
    if smoothing > 0:
        mean_square = smooth(mean_square, smoothing)
    return np.sqrt(mean_square)


def significant_change(before, after, floor: float, smoothing: float) -> tuple[np.ndarray, dict]:
    """Pixels whose local RMS difference exceeds `floor` times the two dates' own noise, and
    the noise figures used: where nothing changed, a histogram threshold would split noise."""
    noise_before = [noise_sigma(band) for band in before]
    noise_after = [noise_sigma(band) for band in after]
    change = noise_normalised_change(before, after, noise_before, noise_after, smoothing)
    record = {
        "floor": floor,
        "smoothing": smoothing,
        "noise_before": noise_before,
        "noise_after": noise_after,
    }
    return change > floor, record


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


def structural_dissimilarity(
    before: np.ndarray, after: np.ndarray, valid: np.ndarray, sigma: float
) -> np.ndarray:
    """1 − SSIM of the mean bands, with Gaussian windows of `sigma` pixels.

    SSIM's brightness term needs non-negative intensities and a dynamic range: both grey
    images are moved to start at 0 by their common minimum, and their common range is the
    dynamic range, so that the result does not depend on the data type or a joint rescaling.
    Written with scipy's filters because skimage's structural_similarity refuses images
    smaller than its window, and windows of a large scene can be small at the edges.
    """
    first, second = before.mean(axis=0), after.mean(axis=0)
    low = min(first[valid].min(), second[valid].min())
    dynamic_range = max(first[valid].max(), second[valid].max()) - low
    first, second = first - low, second - low

    # Local means on a coarser grid for a wide window (see smoothing.py): SSIM is then
    # worked out there and brought back to the pixels once.
    factor = coarse_factor(sigma)

    def local(values):
        if factor == 1:
            return ndimage.gaussian_filter(values, sigma, mode="reflect")
        coarse = block_means(values, factor)
        return ndimage.gaussian_filter(coarse, sigma / factor, mode="reflect")

    mean_1, mean_2 = local(first), local(second)
    var_1 = local(first * first) - mean_1**2
    var_2 = local(second * second) - mean_2**2
    covariance = local(first * second) - mean_1 * mean_2
    c1, c2 = (SSIM_K1 * dynamic_range) ** 2, (SSIM_K2 * dynamic_range) ** 2
    similarity = ((2 * mean_1 * mean_2 + c1) * (2 * covariance + c2)) / (
        (mean_1**2 + mean_2**2 + c1) * (var_1 + var_2 + c2)
    )
    if factor > 1:
        similarity = upsample(similarity, factor, first.shape)
    return 1.0 - similarity


def standardised(score: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """`score` minus its mean over its standard deviation, both over valid pixels."""
    values = score[valid]
    spread = float(values.std())
    if spread == 0:
        return np.zeros_like(score)
    return (score - float(values.mean())) / spread


def colour_structure(
    before: np.ndarray,
    after: np.ndarray,
    raw_before: np.ndarray,
    raw_after: np.ndarray,
    valid: np.ndarray,
    colour_sigma: float,
    structure_sigma: float,
) -> np.ndarray:
    """Standardised smoothed CVA of the normalised bands plus standardised structural
    dissimilarity of the images as given (SSIM normalises brightness and contrast itself,
    locally), equal weights."""
    colour = cva(before, after, smoothing=colour_sigma)
    structure = structural_dissimilarity(raw_before, raw_after, valid, structure_sigma)
    return standardised(colour, valid) + standardised(structure, valid)


def score_by_name(before, after, raw, valid, settings: dict) -> tuple[np.ndarray, dict]:
    """The score of `settings["operator"]` on normalised bands (`raw`: the bands as given, for
    SSIM) and the operator's parameters as used."""
    operator = settings["operator"]
    if operator in ("cva", "difference"):
        smoothing = float(settings["smoothing"]) if operator == "cva" else 0.0
        return cva(before, after, smoothing), {"smoothing": smoothing}
    if operator == "grey-difference":
        return grey_difference(before, after), {}
    if operator == "colour-structure":
        colour, structure = float(settings["colour_sigma"]), float(settings["structure_sigma"])
        score = colour_structure(before, after, *raw, valid, colour, structure)
        return score, {
            "colour_sigma": colour,
            "structure_sigma": structure,
            "ssim_k": [SSIM_K1, SSIM_K2],
        }
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
