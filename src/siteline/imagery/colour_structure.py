"""The RGB operator for very-high-resolution scenes: colour change plus structural change,
and the test of whether a difference stands out from the images' own noise.

A building that appears or goes shows as a new pattern of edges and shadows as much as a
new colour. The score is the standardised local colour change (change-vector magnitude of
the normalised bands, averaged over `colour_sigma` pixels) plus the standardised local
structural dissimilarity (1 − SSIM of the grey images over `structure_sigma` pixels).

Everything neighbourly here is at the scale of several pixels, so it is worked out once on
means of BLOCK × BLOCK blocks, where a Gaussian of σ pixels becomes one of σ / BLOCK, and
brought back to the pixels by bilinear interpolation (smoothing.py): two interpolations
per window instead of one per local statistic, for a fifth of the cost. The pixels
themselves are visited only to form the per-pixel quantities and their block means.

The noise test: the local mean square of the band differences, in units of the noise both
dates carry (Immerkær's estimate, per band), must exceed `noise_floor`². Where nothing
changed it is about 1, whatever the scene, so a pair with no change shows none, which a
histogram threshold alone cannot promise.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

from siteline.imagery.radiometry import BandMaps
from siteline.imagery.smoothing import block_means, upsample

BLOCK = 4  # pixels a side: fine enough for σ of 5 and 8 pixels (about a house at 0.5 m)
# SSIM stabilising constants of Wang et al. (2004), as fractions of the dynamic range.
SSIM_K1, SSIM_K2 = 0.01, 0.03
# Immerkær's noise kernel, the difference of two Laplacians (blind to flat ramps), is the
# outer product of [1, −2, 1] with itself: second differences down, then across.
NOISE_SIDE = 512  # noise is measured on at most this many pixels a side, at the centre


def colour_structure(
    before: np.ndarray,
    after: np.ndarray,
    maps: tuple[BandMaps, BandMaps],
    valid: np.ndarray,
    colour_sigma: float,
    structure_sigma: float,
    noise_floor: float | None,
) -> tuple[np.ndarray, dict, np.ndarray | None, dict | None]:
    """(score, the operator's parameters, the noise test's mask or None, its record or None).

    `before`, `after`: the bands as given (bands, H, W), not-valid pixels already filled by
    a valid value; SSIM is taken on these (it normalises brightness and contrast itself,
    locally), colour on the bands as `maps` (before's, after's) normalise them."""
    block = min(BLOCK, *valid.shape)
    kept = _blocks_to_count(valid, block)
    colour, mean_square, noise = _band_differences(before, after, maps, block)
    colour = _coarse_gaussian(colour, colour_sigma / block)
    structure = 1.0 - _coarse_ssim(before, after, block, structure_sigma / block)
    coarse_score = _standardised(colour, kept) + _standardised(structure, kept)
    score = upsample(coarse_score, block, valid.shape)
    parameters = {
        "colour_sigma": colour_sigma,
        "structure_sigma": structure_sigma,
        "ssim_k": [SSIM_K1, SSIM_K2],
        "block": block,
    }
    if noise_floor is None:
        return score, parameters, None, None
    local = upsample(_coarse_gaussian(mean_square, colour_sigma / block), block, valid.shape)
    significant = local > np.float32(noise_floor) ** 2
    record = {"floor": noise_floor, "smoothing": colour_sigma, **noise}
    return score, parameters, significant, record


def _blocks_to_count(valid: np.ndarray, block: int) -> np.ndarray:
    """The blocks whose statistics standardise the score: those wholly valid, or any with a
    valid pixel when none is."""
    shape = (-(-valid.shape[0] // block), -(-valid.shape[1] // block))
    if valid.all():
        return np.ones(shape, bool)
    share = block_means(valid.astype(np.float32), block)
    return share == 1 if (share == 1).any() else share > 0


def _band_differences(before, after, maps: tuple[BandMaps, BandMaps], block: int):
    """Block means of the change-vector magnitude and of the mean square of the band
    differences in noise units (both of the normalised bands), and the noise figures
    used; one band at a time, never the normalised image whole."""
    before_maps, after_maps = maps
    # A normalising map scales a band's noise by its gain.
    noise_before = [noise_sigma(b) * abs(g) for b, g in zip(before, before_maps.gains, strict=True)]
    noise_after = [noise_sigma(b) * abs(g) for b, g in zip(after, after_maps.gains, strict=True)]
    magnitude = np.zeros(before.shape[1:], np.float32)
    in_noise = np.zeros(before.shape[1:], np.float32)
    square, mapped_before = (np.empty(before.shape[1:], np.float32) for _ in range(2))
    for index in range(before.shape[0]):
        after_maps.band(after, index, out=square)
        square -= before_maps.band(before, index, out=mapped_before)
        square *= square
        magnitude += square
        noise = max(noise_before[index] ** 2 + noise_after[index] ** 2, 1e-24)
        square *= np.float32(1 / (noise * before.shape[0]))
        in_noise += square
    np.sqrt(magnitude, out=magnitude)
    record = {"noise_before": noise_before, "noise_after": noise_after}
    return block_means(magnitude, block), block_means(in_noise, block), record


def _coarse_ssim(before, after, block: int, sigma: float) -> np.ndarray:
    """SSIM of the grey images on the block grid. Both are moved to start at 0 by their
    common minimum, and their common range is the dynamic range, so that the result does
    not depend on the data type or a joint rescaling. (Not-valid pixels hold a valid
    value, so the extremes of the whole window are those of its valid pixels.)"""
    first, second = _grey(before), _grey(after)
    low = min(first.min(), second.min())
    dynamic_range = float(max(first.max(), second.max()) - low)
    first -= low
    second -= low
    means = [block_means(values, block) for values in (first, second)]
    products = [
        block_means(np.multiply(a, b), block)
        for a, b in ((first, first), (second, second), (first, second))
    ]
    mean_1, mean_2 = (_coarse_gaussian(values, sigma) for values in means)
    square_1, square_2, cross = (_coarse_gaussian(values, sigma) for values in products)
    var_1, var_2 = square_1 - mean_1**2, square_2 - mean_2**2
    covariance = cross - mean_1 * mean_2
    c1, c2 = (SSIM_K1 * dynamic_range) ** 2, (SSIM_K2 * dynamic_range) ** 2
    return ((2 * mean_1 * mean_2 + c1) * (2 * covariance + c2)) / (
        (mean_1**2 + mean_2**2 + c1) * (var_1 + var_2 + c2)
    )


def structural_dissimilarity(before, after, sigma: float, block: int = BLOCK) -> np.ndarray:
    """1 − SSIM of the mean bands of two images (bands, H, W), at the pixels."""
    block = min(block, *before.shape[1:])
    coarse = _coarse_ssim(before, after, block, sigma / block)
    return 1.0 - upsample(coarse, block, before.shape[1:])


def _grey(image: np.ndarray) -> np.ndarray:
    grey = np.array(image[0], dtype=np.float32)
    for band in image[1:]:
        grey += band
    grey *= np.float32(1 / image.shape[0])
    return grey


def _coarse_gaussian(values: np.ndarray, sigma: float) -> np.ndarray:
    return ndimage.gaussian_filter(values, sigma, mode="reflect") if sigma > 0 else values


def _standardised(values: np.ndarray, kept: np.ndarray) -> np.ndarray:
    """`values` minus their mean over their standard deviation, both over `kept`."""
    chosen = values[kept]
    spread = float(chosen.std())
    if spread == 0:
        return np.zeros_like(values)
    return (values - float(chosen.mean())) / np.float32(spread)


def _central(band: np.ndarray, side: int) -> np.ndarray:
    top, left = max(0, (band.shape[0] - side) // 2), max(0, (band.shape[1] - side) // 2)
    return band[top : top + side, left : left + side]


def noise_sigma(band: np.ndarray) -> float:
    """Standard deviation of a band's pixel noise (Immerkær 1996, "Fast noise variance
    estimation"): texture inflates it a little, which only makes the noise test stricter.
    Measured on the central NOISE_SIDE × NOISE_SIDE pixels at most: a quarter of a million
    samples pin the mean of the response to a fraction of a per cent."""
    band = np.asarray(_central(band, NOISE_SIDE), dtype=np.float32)
    if min(band.shape) < 3:
        return 0.0
    response = _second_difference(_second_difference(band, 0), 1)
    return float(np.sqrt(np.pi / 2) * np.abs(response).mean(dtype=np.float64) / 6)


def _second_difference(values: np.ndarray, axis: int) -> np.ndarray:
    """values[i - 1] − 2 values[i] + values[i + 1] along `axis`, at the inner positions."""
    size = values.shape[axis]

    def shifted(start: int) -> np.ndarray:
        where = [slice(None)] * values.ndim
        where[axis] = slice(start, size - 2 + start)
        return values[tuple(where)]

    result = shifted(0) + shifted(2)
    result -= 2 * shifted(1)
    return result
