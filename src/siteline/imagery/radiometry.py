"""Radiometric normalisation between the two dates.

Two scenes of one place differ in sun angle, haze, season and sensor gain even where
nothing changed; comparing them band by band as they are mostly measures that. Each method
here puts the two dates on one scale and returns the numbers it used, so that a reader can
recompute the result:

- "standardise": each band of each date to zero mean and unit spread over the valid pixels
  (the per-band normalisation under change-vector analysis);
- "regression": each band of `after` mapped onto `before` by a linear fit (reduced major
  axis) refitted once without the pixels it explains worst (most likely changed), and both
  dates then divided by the spread of the remaining residuals, so that a unit of difference
  means one typical no-change deviation in every band;
- "none": the values as they are (for operators that are themselves scale-free, such as a
  log-ratio, and for baselines).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np

from siteline.errors import InvalidInput

RADIOMETRY_METHODS = ("standardise", "regression", "none")
# Median absolute deviation times this estimates the standard deviation of a Gaussian.
MAD_TO_SIGMA = 1.4826


def fill_not_valid(image: np.ndarray, valid: np.ndarray, statistic=np.mean) -> np.ndarray:
    """Not-valid pixels set to their band's valid mean (or `statistic`), so that neighbourhood
    filters do not smear arbitrary values into valid pixels."""
    if valid.all():
        return image
    filled, not_valid = image.copy(), ~valid
    for band in filled:
        band[not_valid] = statistic(band[valid])
    return filled


# Statistics of a band (means, spreads, the fit between dates) come from at most this many
# of its valid pixels, taken at a regular step: a quarter of a million pins them to well
# under a per cent, and a window of a large scene holds four million.
SAMPLE_PIXELS = 250_000


def sample_of(valid: np.ndarray) -> np.ndarray | slice:
    """Flat indices of valid pixels at a regular step, at most SAMPLE_PIXELS of them (a
    slice of the flattened band when every pixel is valid)."""
    if valid.all():  # the common case: a slice, so that a sample is a view, not a copy
        return slice(None, None, max(1, -(-valid.size // SAMPLE_PIXELS)))
    where = np.flatnonzero(valid)
    step = max(1, -(-where.size // SAMPLE_PIXELS))
    return where[::step]


def sampled(band: np.ndarray, sample: np.ndarray | slice) -> np.ndarray:
    return band.reshape(-1)[sample]


def band_statistics(image: np.ndarray, valid: np.ndarray) -> tuple[list, list]:
    """Each band's mean and standard deviation over (a regular sample of) the valid pixels;
    InvalidInput for a band without spread."""
    sample = sample_of(valid)
    means = [float(sampled(band, sample).mean()) for band in image]
    spreads = [float(sampled(band, sample).std()) for band in image]
    for index, spread in enumerate(spreads):
        if spread == 0:
            raise InvalidInput(
                "image", f"band {index + 1} has one constant value over the valid pixels"
            )
    return means, spreads


def refuse_constant_bands(image: np.ndarray, valid: np.ndarray) -> None:
    """InvalidInput naming the first band with one value over (a sample of) the valid pixels."""
    sample = sample_of(valid)
    for index, band in enumerate(image):
        values = sampled(band, sample)
        if values.min() == values.max() and band[valid].min() == band[valid].max():
            raise InvalidInput(
                "image", f"band {index + 1} has one constant value over the valid pixels"
            )


def robust_sigma(values: np.ndarray) -> float:
    """Spread that a minority of changed pixels cannot inflate (scaled MAD)."""
    return float(MAD_TO_SIGMA * np.median(np.abs(values - np.median(values))))


def fit_band(reference: np.ndarray, target: np.ndarray, refits: int, clip_sigma: float):
    """Gain and offset mapping `target` onto `reference` (1-D arrays) and the residual spread.

    The line is the reduced major axis (gain = ratio of spreads, signed by the correlation):
    unlike least squares it treats the two dates alike, so that swapping them gives the same
    residuals. The first fit uses every pixel; each refit drops those whose residual exceeds
    `clip_sigma` robust deviations, since real change is what a global fit explains worst.
    """
    keep = np.ones(reference.size, dtype=bool)
    gain, offset, sigma = 1.0, 0.0, 0.0
    for _ in range(refits + 1):
        kept_reference, kept_target = reference[keep], target[keep]
        if kept_reference.size < 2:  # nothing left to fit: keep the last fit
            break
        spread_target = kept_target.std()
        if spread_target == 0 or kept_reference.std() == 0:
            break
        sign = (
            1.0
            if np.mean(
                (kept_reference - kept_reference.mean()) * (kept_target - kept_target.mean())
            )
            >= 0
            else -1.0
        )
        gain = sign * kept_reference.std() / spread_target
        offset = kept_reference.mean() - gain * kept_target.mean()
        residual = reference - (gain * target + offset)
        sigma = robust_sigma(residual) or float(residual.std())
        if not sigma > 0:  # zero, or not a number
            break
        keep = np.abs(residual) <= clip_sigma * sigma
    return float(gain), float(offset), float(sigma)


def regress_after_onto_before(
    before: np.ndarray,
    after: np.ndarray,
    valid: np.ndarray,
    refits: int = 1,
    clip_sigma: float = 3.0,
) -> tuple[BandMaps, BandMaps, dict]:
    """Maps putting both dates in units of the no-change residual spread, `after` in
    `before`'s radiometry."""
    gains, offsets, sigmas = [], [], []
    sample = sample_of(valid)
    for band_before, band_after in zip(before, after, strict=True):
        first, second = sampled(band_before, sample), sampled(band_after, sample)
        gain, offset, sigma = fit_band(first, second, refits, clip_sigma)
        if sigma == 0:
            raise InvalidInput(
                "after", "the two dates are identical up to a linear map: no residual to scale by"
            )
        gains.append(gain)
        offsets.append(offset)
        sigmas.append(sigma)
    record = {
        "gains": gains,
        "offsets": offsets,
        "residual_sigmas": sigmas,
        "refits": refits,
        "clip_sigma": clip_sigma,
        "sample_pixels": int(sampled(before[0], sample).size),
    }
    before_maps = BandMaps([1 / sigma for sigma in sigmas], [0.0] * len(sigmas))
    after_maps = BandMaps(
        [gain / sigma for gain, sigma in zip(gains, sigmas, strict=True)],
        [offset / sigma for offset, sigma in zip(offsets, sigmas, strict=True)],
    )
    return before_maps, after_maps, record


@dataclass(frozen=True)
class BandMaps:
    """Per band, normalised = value × gain + offset."""

    gains: list[float]
    offsets: list[float]

    @classmethod
    def identity(cls, bands: int) -> BandMaps:
        return cls([1.0] * bands, [0.0] * bands)

    @classmethod
    def standardising(cls, means: list[float], spreads: list[float]) -> BandMaps:
        return cls([1 / s for s in spreads], [-m / s for m, s in zip(means, spreads, strict=True)])

    def is_identity(self) -> bool:
        return all(g == 1 for g in self.gains) and all(o == 0 for o in self.offsets)

    def band(self, image: np.ndarray, index: int, out: np.ndarray | None = None) -> np.ndarray:
        """Band `index` of `image` mapped, into `out` (a new array, float32 or wider as the
        image is, when None)."""
        kind = np.result_type(image, np.float32) if out is None else out.dtype
        out = np.multiply(image[index], kind.type(self.gains[index]), out=out, dtype=kind)
        out += kind.type(self.offsets[index])
        return out

    def apply(self, image: np.ndarray) -> np.ndarray:
        """Every band mapped (the image itself when the maps change nothing)."""
        if self.is_identity():
            return image
        mapped = np.empty(image.shape, np.result_type(image, np.float32))
        for index in range(image.shape[0]):
            self.band(image, index, out=mapped[index])
        return mapped


def normalising_maps(
    before: np.ndarray, after: np.ndarray, valid: np.ndarray, method: str
) -> tuple[BandMaps, BandMaps, dict]:
    """The maps that put `before` and `after` (bands, H, W) on one radiometric scale, and the
    record of how they were found, without applying them."""
    if method == "none":
        bands = before.shape[0]
        return BandMaps.identity(bands), BandMaps.identity(bands), {"method": "none"}
    if method == "standardise":
        means_b, spreads_b = band_statistics(before, valid)
        means_a, spreads_a = band_statistics(after, valid)
        record = {
            "method": method,
            "before_means": means_b,
            "before_spreads": spreads_b,
            "after_means": means_a,
            "after_spreads": spreads_a,
        }
        maps = (
            BandMaps.standardising(means_b, spreads_b),
            BandMaps.standardising(means_a, spreads_a),
        )
        return *maps, record
    if method == "regression":
        refuse_constant_bands(before, valid)
        refuse_constant_bands(after, valid)
        before_maps, after_maps, record = regress_after_onto_before(before, after, valid)
        return before_maps, after_maps, {"method": method, **record}
    raise InvalidInput(
        "radiometry", f"unknown method {method!r}; choose one of {', '.join(RADIOMETRY_METHODS)}"
    )


def normalise_pair(
    before: np.ndarray, after: np.ndarray, valid: np.ndarray, method: str
) -> tuple[np.ndarray, np.ndarray, dict]:
    """`before` and `after` (bands, H, W) on one radiometric scale, and what was done."""
    before_maps, after_maps, record = normalising_maps(before, after, valid, method)
    return before_maps.apply(before), after_maps.apply(after), record
