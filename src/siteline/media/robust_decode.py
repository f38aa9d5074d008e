"""A file's picture without its borders, decoded as finely as the picture alone would be.

The canonical pipeline decodes a file smaller where that is free, by the largest factor
that keeps both sides at least MIN_SIDE pixels (`pdq.decode_for_hash`). A copy framed in
a tall 9:16 story is decoded by the factor its frame allows, twice that of the picture in
it: the picture comes out at half the size of its original's, and PDQ at different sizes
differs by up to 38 bits here. So the `trimmed` variant of a file is the picture cut from a
decode by the factor the canonical pipeline would use for a file of that picture alone:
the same decode its original had.
"""

from __future__ import annotations

import numpy as np

from siteline.media.pdq import decode_reduced, open_image, reduction_factor
from siteline.media.robust_trim import trim_flat_edges


def trimmed_from_file(data: bytes, name: str, rgb: np.ndarray) -> np.ndarray | None:
    """The picture of the file `data` without borders and caption bands, given its
    canonical decode `rgb`; None when there is nothing to cut."""
    trimmed = trim_flat_edges(rgb)
    if trimmed.shape == rgb.shape:
        return None
    image = open_image(data, name)
    reduced_by = max(image.size) / max(rgb.shape[:2])
    full_height, full_width = (round(side * reduced_by) for side in trimmed.shape[:2])
    wanted = reduction_factor(full_width, full_height)
    if wanted >= round(reduced_by):
        return trimmed
    finer = trim_flat_edges(decode_reduced(image, name, wanted))
    return finer if finer.shape != rgb.shape else trimmed
