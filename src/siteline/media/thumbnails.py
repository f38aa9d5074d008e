"""Small JPEG previews of photos and video frames, for lists and reports.

A thumbnail is a convenience, never evidence: it is made from the pixels the hash was taken
from, with a fixed recipe, and stored as a derived item naming its original.
"""

from __future__ import annotations

import io

import numpy as np
from PIL import Image

THUMBNAIL_SIDE = 320  # pixels on the long side, at most
THUMBNAIL_QUALITY = 80
METHOD = "thumbnail"
METHOD_VERSION = "1"


def thumbnail_jpeg(rgb: np.ndarray) -> bytes:
    """JPEG bytes of an (H, W, 3) uint8 image shrunk to THUMBNAIL_SIDE on its long side."""
    image = Image.fromarray(np.ascontiguousarray(rgb, dtype=np.uint8), "RGB")
    image.thumbnail((THUMBNAIL_SIDE, THUMBNAIL_SIDE), Image.Resampling.BICUBIC)
    out = io.BytesIO()
    # No EXIF, no ICC profile: a preview carries nothing of the original but its look.
    image.save(out, "JPEG", quality=THUMBNAIL_QUALITY, optimize=False)
    return out.getvalue()


def parameters() -> dict:
    return {"max_side": THUMBNAIL_SIDE, "jpeg_quality": THUMBNAIL_QUALITY, "resampling": "bicubic"}
