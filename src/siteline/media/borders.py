"""Black borders cut off before hashing.

A copy re-posted with black bars (a landscape video shown in a portrait frame, a 4:3 clip
padded to 16:9) hashes far from its original: PDQ sees the bars as half the picture. Cutting
the near-black rows and columns at the edges first gives both the same picture to hash.

A row or column is a bar when nearly all its pixels are near-black: luminance (BT.601
weights) at most DARK_LUMA of 255, allowing BRIGHT_SHARE of its pixels brighter for the
ringing of lossy coding at the picture's edge or a speck of noise. Only rows and columns
that reach an edge through other bars are cut. A dark scene (night, smoke) could look like
bars: a side is never cut below MIN_KEPT of its length, and a picture dark throughout is
left whole.
"""

from __future__ import annotations

import numpy as np

DARK_LUMA = 24  # black bars decode at 0-20 after lossy coding; dark content sits above
BRIGHT_SHARE = 0.02  # of a bar's pixels that may be brighter: coding noise at its edge
MIN_KEPT = 0.25  # of each side, at least: a landscape video in a portrait frame keeps 32 %
LUMA_WEIGHTS = np.array([77, 150, 29], dtype=np.uint16)  # BT.601 × 256, summing to 256


def trim_borders(rgb: np.ndarray) -> np.ndarray:
    """The (H, W, 3) uint8 picture without its near-black bars: a view, no copy."""
    bright = luminance(rgb) > DARK_LUMA
    top, bottom = content_span(bright.mean(axis=1) > BRIGHT_SHARE)
    left, right = content_span(bright.mean(axis=0) > BRIGHT_SHARE)
    return rgb[top:bottom, left:right]


def luminance(rgb: np.ndarray) -> np.ndarray:
    """BT.601 luma of an (H, W, 3) uint8 picture, 0-255, in integers."""
    red, green, blue = (rgb[..., channel].astype(np.uint16) for channel in range(3))
    return (red * LUMA_WEIGHTS[0] + green * LUMA_WEIGHTS[1] + blue * LUMA_WEIGHTS[2]) >> 8


def content_span(is_content: np.ndarray) -> tuple[int, int]:
    """First and past-the-last index of the lines that are not bars, or the whole length
    when cutting would leave less than MIN_KEPT of it (or nothing)."""
    length = len(is_content)
    found = np.flatnonzero(is_content)
    if not len(found):
        return 0, length
    first, last = int(found[0]), int(found[-1]) + 1
    if last - first < MIN_KEPT * length:
        return 0, length
    return first, last
