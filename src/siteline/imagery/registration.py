"""Residual misregistration between two images already on one grid, and its correction.

Scenes reprojected onto one grid still disagree by a fraction of a pixel to a few pixels
(orthorectification, terrain, the providers' own geolocation). Every edge then shows up as
"change". Cross-correlation of one representative band (upsampled around its peak) finds
the offset to a hundredth of a pixel; the after image is resampled by that offset and the
pixels that came in from outside the image are marked not valid.

Two dates of a place that was rebuilt or destroyed may share almost no structure, and the
correlation peak is then noise. The correction is applied only when the aligned bands
correlate at least MIN_CORRELATION and better than unaligned, and never beyond
MAX_SHIFT_FRACTION of the image; otherwise the refusal and its reason are recorded.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage
from skimage.filters import window
from skimage.registration import phase_cross_correlation

UPSAMPLE_FACTOR = 100  # precision of 1/100 pixel
MAX_SHIFT_FRACTION = 0.1  # a larger offset means the grids were not the same place
MIN_SHIFT = 0.05  # below this the after image is kept as it is: resampling would only blur it
MIN_CORRELATION = 0.2  # aligned band-passed images correlating less share too little to align
SPLINE_ORDER = 3
# Band-pass (difference of Gaussians, pixels): drops illumination gradients and pixel noise,
# keeps the edges that fix an offset; plain correlation of such bands is unbiased sub-pixel.
BAND_PASS_SIGMAS = (1.0, 4.0)


def representative_band(image: np.ndarray, valid: np.ndarray) -> np.ndarray:
    """Band-passed mean of the standardised bands, not-valid pixels set to 0."""
    bands = []
    for band in image:
        values = band[valid]
        spread = values.std()
        bands.append((band - values.mean()) / (spread if spread > 0 else 1.0))
    grey = np.where(valid, np.mean(bands, axis=0), 0.0)
    fine, coarse = BAND_PASS_SIGMAS
    passed = ndimage.gaussian_filter(grey, fine) - ndimage.gaussian_filter(grey, coarse)
    return np.where(valid, passed, 0.0)


def aligned_correlation(
    reference: np.ndarray, moving: np.ndarray, valid: np.ndarray, shift: tuple[float, float]
) -> float:
    """Correlation coefficient of `reference` and `moving` moved back by `shift`, on valid pixels."""
    back = ndimage.shift(moving, (-shift[0], -shift[1]), order=1, mode="nearest")
    margin = int(np.ceil(max(abs(shift[0]), abs(shift[1])))) + 1
    inside = np.zeros_like(valid)
    inside[margin:-margin, margin:-margin] = True
    keep = valid & inside
    if np.count_nonzero(keep) < 2:
        return 0.0
    first, second = reference[keep], back[keep]
    if first.std() == 0 or second.std() == 0:
        return 0.0
    return float(np.corrcoef(first, second)[0, 1])


def estimate_shift(
    before: np.ndarray,
    after: np.ndarray,
    valid: np.ndarray,
    *,
    upsample_factor: int = UPSAMPLE_FACTOR,
) -> tuple[tuple[float, float], float, float]:
    """(rows, cols) by which `after` is displaced relative to `before`, to sub-pixel precision,
    with the correlation of the representative bands aligned by it and unaligned.

    before/after: (bands, H, W) floats; valid: bool (H, W). A Hann window tapers the borders,
    whose wrap-around would otherwise pull the estimate towards zero.
    """
    taper = window("hann", valid.shape)
    reference = representative_band(before, valid)
    moving = representative_band(after, valid)
    found, _, _ = phase_cross_correlation(
        reference * taper, moving * taper, upsample_factor=upsample_factor, normalization=None
    )
    # phase_cross_correlation gives the shift that registers `after` onto `before`: the
    # displacement of `after` is its opposite (+ 0.0 turns -0.0 into 0.0).
    shift = (-float(found[0]) + 0.0, -float(found[1]) + 0.0)
    aligned = aligned_correlation(reference, moving, valid, shift)
    unaligned = aligned_correlation(reference, moving, valid, (0.0, 0.0))
    return shift, aligned, unaligned


def apply_shift(
    image: np.ndarray, valid: np.ndarray, shift: tuple[float, float]
) -> tuple[np.ndarray, np.ndarray]:
    """`image` (bands, H, W) moved back by `shift` and the valid mask that goes with it.

    A pixel stays valid only when every source pixel the cubic spline reads was valid and
    inside the image.
    """
    back = (-shift[0], -shift[1])
    # Clipped to each band's range: a cubic spline overshoots at edges, and values that no
    # pixel had (negative radar backscatter, say) are artefacts, not data.
    moved = np.stack(
        [
            np.clip(
                ndimage.shift(band, back, order=SPLINE_ORDER, mode="nearest"),
                band[valid].min(),
                band[valid].max(),
            )
            for band in image
        ]
    )
    inside = ndimage.shift(valid.astype(np.float64), back, order=1, mode="constant", cval=0.0)
    moved_valid = ndimage.binary_erosion(
        inside > 1 - 1e-9, iterations=SPLINE_ORDER // 2 + 1, border_value=1
    )
    return moved, moved_valid


def register(
    before: np.ndarray,
    after: np.ndarray,
    valid: np.ndarray,
    *,
    upsample_factor: int = UPSAMPLE_FACTOR,
    max_shift: float | None = None,
    min_shift: float = MIN_SHIFT,
    apply: bool = True,
) -> tuple[np.ndarray, np.ndarray, tuple[float, float], dict]:
    """`after` aligned onto `before`: (after, valid, shift applied, what was done and why).

    The shift returned is (0.0, 0.0) whenever the correction was not applied; the estimate and
    the reason are in the record.
    """
    shift, aligned, unaligned = estimate_shift(
        before, after, valid, upsample_factor=upsample_factor
    )
    limit = MAX_SHIFT_FRACTION * min(valid.shape) if max_shift is None else float(max_shift)
    size = max(abs(shift[0]), abs(shift[1]))
    record = {
        "method": "cross-correlation, upsampled DFT",
        "band": f"mean of standardised bands, difference of Gaussians {list(BAND_PASS_SIGMAS)}",
        "window": "hann",
        "upsample_factor": upsample_factor,
        "max_shift": limit,
        "min_shift": min_shift,
        "min_correlation": MIN_CORRELATION,
        "spline_order": SPLINE_ORDER,
        "estimate": [shift[0], shift[1]],
        "correlation_aligned": round(aligned, 6),
        "correlation_unaligned": round(unaligned, 6),
    }
    if size > limit:
        reason = f"estimate exceeds the limit of {limit:g} pixels"
    elif size < min_shift:
        reason = f"below {min_shift:g} pixels: resampling would only blur"
    elif aligned < MIN_CORRELATION or aligned <= unaligned:
        reason = "the dates share too little structure for the estimate to be trusted"
    elif not apply:  # the caller moves the after image itself (reading it shifted)
        return after, valid, shift, {**record, "applied": True}
    else:
        moved, moved_valid = apply_shift(after, valid, shift)
        return moved, valid & moved_valid, shift, {**record, "applied": True}
    return after, valid, (0.0, 0.0), {**record, "applied": False, "reason": reason}
