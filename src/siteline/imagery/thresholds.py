"""Automatic thresholds on a change score, computed from a histogram.

Working from a histogram (counts and bin edges) rather than from the pixels lets a
windowed caller add one histogram over many windows of a large scene and then draw a
single threshold for all of them. Every function here is deterministic.

- Otsu: the threshold that maximises the variance between the two classes.
- Kittler–Illingworth (minimum error): models the histogram as two Gaussians and picks
  the threshold with the least classification error. It suits scores whose unchanged
  class is one compact mode with a long changed tail (the magnitude of radiometric
  residuals on multispectral bands).
"""

from __future__ import annotations

import numpy as np
from scipy.stats import chi2, t
from skimage.filters import threshold_otsu

from siteline.errors import InvalidInput

THRESHOLD_METHODS = ("otsu", "kittler-illingworth")
DEFAULT_BINS = 256
MAD_TO_SIGMA = 1.4826  # median absolute deviation to standard deviation, for a Gaussian


def histogram_edges(low: float, high: float, bins: int = DEFAULT_BINS) -> np.ndarray:
    """`bins` equal bins from `low` to `high`: fix these up front to add windows' histograms."""
    if not np.isfinite(low) or not np.isfinite(high) or high <= low:
        raise InvalidInput("histogram", f"the score range [{low}, {high}] is empty or not finite")
    if bins < 2:
        raise InvalidInput("histogram", f"needs at least 2 bins, got {bins}")
    return np.linspace(float(low), float(high), int(bins) + 1)


def score_histogram(
    score: np.ndarray,
    valid: np.ndarray | None = None,
    *,
    edges: np.ndarray | None = None,
    bins: int = DEFAULT_BINS,
) -> tuple[np.ndarray, np.ndarray]:
    """Counts of the finite scores of valid pixels, and the bin edges used.

    Without `edges` the range is that of the scores themselves. With `edges`, scores outside
    them fall in the first or last bin, so that no pixel of a window is lost.
    """
    values = np.asarray(score)
    keep = np.isfinite(values) if valid is None else (valid & np.isfinite(values))
    values = values[keep]
    if values.size == 0:
        raise InvalidInput("score", "no valid pixel has a finite change score")
    if edges is None:
        edges = histogram_edges(float(values.min()), float(values.max()), bins)
    edges = np.asarray(edges, dtype=np.float64)
    return _equal_bin_counts(values, edges), edges


def _equal_bin_counts(values: np.ndarray, edges: np.ndarray) -> np.ndarray:
    """np.histogram's counts for equal bins (the last one closed), by each value's bin number:
    a few passes over a window instead of a search per value."""
    bins = edges.size - 1
    width = (edges[-1] - edges[0]) / bins
    index = np.floor((values.astype(np.float64) - edges[0]) / width)
    index = np.clip(index, 0, bins - 1).astype(np.intp)  # outside the edges: the end bins
    return np.bincount(index, minlength=bins).astype(np.int64)


def add_histograms(
    first: tuple[np.ndarray, np.ndarray], second: tuple[np.ndarray, np.ndarray]
) -> tuple[np.ndarray, np.ndarray]:
    """The sum of two (counts, edges) histograms built on the same edges."""
    (counts_a, edges_a), (counts_b, edges_b) = first, second
    if edges_a.shape != edges_b.shape or not np.array_equal(edges_a, edges_b):
        raise InvalidInput("histogram", "histograms with different bin edges cannot be added")
    return counts_a + counts_b, edges_a


def threshold_from_histogram(
    counts: np.ndarray,
    edges: np.ndarray,
    method: str,
    *,
    floor_sigmas: float | None = None,
    min_threshold: float | None = None,
) -> float:
    """The score above which a pixel counts as changed, by `method` (see THRESHOLD_METHODS).

    A histogram method always splits, even a scene where nothing changed, whose scores are
    one mode of noise. Two optional floors stop that, and the larger threshold wins:
    `floor_sigmas`: the scene's median score plus that many robust deviations (for scores
    whose bulk is unchanged: a changed pixel must stand out of its scene);
    `min_threshold`: a score that noise alone rarely reaches, in the operator's own units.
    """
    counts = np.asarray(counts, dtype=np.float64)
    edges = np.asarray(edges, dtype=np.float64)
    if counts.ndim != 1 or edges.shape != (counts.size + 1,):
        raise InvalidInput("histogram", "needs 1-D counts and one more edge than counts")
    if np.count_nonzero(counts) < 2:
        raise InvalidInput("score", "the change score takes a single value: nothing to separate")
    if method == "otsu":
        centres = (edges[:-1] + edges[1:]) / 2
        threshold = float(threshold_otsu(hist=(counts, centres)))
    elif method == "kittler-illingworth":
        threshold = _kittler_illingworth(counts, edges)
    else:
        raise InvalidInput(
            "threshold_method",
            f"unknown method {method!r}; choose one of {', '.join(THRESHOLD_METHODS)}",
        )
    if floor_sigmas is not None:
        threshold = max(threshold, robust_floor(counts, edges, floor_sigmas))
    if min_threshold is not None:
        threshold = max(threshold, float(min_threshold))
    return threshold


def chi_floor(bands: int, alpha: float) -> float:
    """The length of a difference vector of `bands` independent unit-Gaussian noises that only
    a share `alpha` of unchanged pixels exceeds (for residuals in no-change standard deviations)."""
    return float(np.sqrt(chi2.isf(alpha, bands)))


def t_floor(n_before: int, n_after: int, bands: int, alpha: float) -> float:
    """The largest |t| over `bands` that only a share `alpha` of unchanged pixels exceeds,
    with n_before + n_after − 2 degrees of freedom (the equal-variance case of Welch's)."""
    per_band = 1 - (1 - alpha) ** (1 / bands)
    return float(t.isf(per_band / 2, n_before + n_after - 2))


def _weighted_median(values: np.ndarray, weights: np.ndarray) -> float:
    order = np.argsort(values, kind="stable")
    cumulative = np.cumsum(weights[order])
    return float(values[order][np.searchsorted(cumulative, cumulative[-1] / 2)])


def robust_floor(counts: np.ndarray, edges: np.ndarray, sigmas: float) -> float:
    """Median + `sigmas` × 1.4826 × median absolute deviation, from the histogram's bin centres."""
    centres = (edges[:-1] + edges[1:]) / 2
    median = _weighted_median(centres, counts)
    deviation = _weighted_median(np.abs(centres - median), counts)
    return median + sigmas * MAD_TO_SIGMA * deviation


def _kittler_illingworth(counts: np.ndarray, edges: np.ndarray) -> float:
    """Minimum-error threshold (Kittler & Illingworth 1986) over every cut between bins."""
    centres = (edges[:-1] + edges[1:]) / 2
    # A bin's own width adds w²/12 to the variance (values spread evenly inside a bin); without
    # it a class squeezed into one bin has zero variance and the criterion runs to -infinity.
    spread = np.diff(edges) ** 2 / 12
    below = np.cumsum(counts)[:-1]
    first = np.cumsum(counts * centres)[:-1]
    second = np.cumsum(counts * (centres**2 + spread))[:-1]
    total, total_first = counts.sum(), (counts * centres).sum()
    total_second = (counts * (centres**2 + spread)).sum()
    above = total - below
    with np.errstate(divide="ignore", invalid="ignore"):
        mean_low, mean_high = first / below, (total_first - first) / above
        var_low = second / below - mean_low**2
        var_high = (total_second - second) / above - mean_high**2
        share_low, share_high = below / total, above / total
        criterion = (
            share_low * np.log(var_low)
            + share_high * np.log(var_high)
            - 2 * (share_low * np.log(share_low) + share_high * np.log(share_high))
        )
    usable = (below > 0) & (above > 0) & (var_low > 0) & (var_high > 0)
    if not usable.any():
        raise InvalidInput("score", "the change score histogram cannot be split into two classes")
    cut = int(np.argmin(np.where(usable, criterion, np.inf)))
    return float(edges[cut + 1])


def threshold_scores(
    score: np.ndarray,
    valid: np.ndarray | None,
    method: str,
    bins: int = DEFAULT_BINS,
    **floors,
) -> float:
    """The threshold by `method` for one score array (its own histogram range); `floors` as
    for threshold_from_histogram."""
    counts, edges = score_histogram(score, valid, bins=bins)
    return threshold_from_histogram(counts, edges, method, **floors)
