"""Wide Gaussian smoothing, computed on a coarser grid.

A Gaussian of σ pixels costs 8σ + 1 multiplications a pixel and axis; at σ 5 and 8, as the
RGB operator uses, that was four fifths of a compare. What such a kernel leaves is smooth at
the scale of σ, so it can be worked out on means of k × k blocks (k about σ / 2) with a
kernel of σ / k, and brought back to the pixels by bilinear interpolation: the result
differs from the full Gaussian by a small fraction of its range, for a tenth of the cost.
"""

from __future__ import annotations

import numpy as np
from scipy import ndimage

COARSE_FROM_SIGMA = 4.0  # narrower kernels are cheap enough as they are


def coarse_factor(sigma: float) -> int:
    """The block size for a kernel of `sigma` pixels (1: smooth the pixels themselves)."""
    return max(1, int(sigma // 2)) if sigma >= COARSE_FROM_SIGMA else 1


def smooth(values: np.ndarray, sigma: float) -> np.ndarray:
    """`values` (H, W) smoothed by a Gaussian of `sigma` pixels (reflecting at the edges)."""
    factor = coarse_factor(sigma)
    if factor == 1:
        return ndimage.gaussian_filter(values, sigma, mode="reflect")
    coarse = ndimage.gaussian_filter(block_means(values, factor), sigma / factor, mode="reflect")
    return upsample(coarse, factor, values.shape)


def block_means(values: np.ndarray, factor: int) -> np.ndarray:
    """Means of factor × factor blocks; the last row and column of blocks repeat the edge."""
    height, width = values.shape
    rows, cols = -(-height // factor), -(-width // factor)
    padded = np.pad(values, ((0, rows * factor - height), (0, cols * factor - width)), "edge")
    blocks = padded.reshape(rows, factor, cols, factor)
    return blocks.mean(axis=(1, 3), dtype=np.float32)


def upsample(coarse: np.ndarray, factor: int, shape: tuple[int, int]) -> np.ndarray:
    """Bilinear interpolation of block values (each at its block's centre) to the pixels."""
    rows, row_weight = _positions(shape[0], factor, coarse.shape[0])
    cols, col_weight = _positions(shape[1], factor, coarse.shape[1])
    coarse = np.pad(coarse, ((0, 1), (0, 1)), "edge")  # a neighbour for the last block
    down = coarse[rows] + row_weight[:, None] * (coarse[rows + 1] - coarse[rows])
    return down[:, cols] + col_weight[None, :] * (down[:, cols + 1] - down[:, cols])


def _positions(size: int, factor: int, blocks: int) -> tuple[np.ndarray, np.ndarray]:
    """For each pixel: the block before it (a centre at or left of it) and the weight of
    the next; beyond the first and last centres, the edge block's value."""
    where = (np.arange(size) + 0.5) / factor - 0.5  # in block units, centres at integers
    where = np.clip(where, 0, blocks - 1)
    before = np.floor(where).astype(np.intp)
    return before, (where - before).astype(np.float32)
