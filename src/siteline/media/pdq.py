"""PDQ perceptual hashes through one fixed, versioned pipeline.

A hash is only comparable with another made the same way: decoded at the same size, turned
into luminance the same way, hashed by the same code. PIPELINE names every step below; a
change to any of them is a new pipeline name, and hashes of different pipelines are never
matched against each other.

siteline-pdq/1:
1. decode with Pillow, refusing images over MAX_PIXELS before any pixel is decoded (a
   "decompression bomb" of a few kilobytes can declare billions of pixels);
2. turn the image as EXIF says it is shown (re-posted copies have their rotation baked in);
3. decode smaller where that is free: a JPEG at 1/2, 1/4 or 1/8 of its size by the DCT
   scaling of libjpeg, any other image by means of k × k blocks (Pillow's `reduce`), the
   largest factor that keeps both sides at least MIN_SIDE pixels. PDQ reduces every image
   to 64 × 64 itself, so this moves a hash by a few bits (8 of 256 in the median, at most
   18 on our test images, against hashing the full decode as the reference implementation
   does; copies match up to 31), for a third of the time;
4. RGB, then PDQ (Meta's reference C++ implementation, through the `pdqhash` binding), which
   also gives the quality (0–100): hashes below QUALITY_FLOOR (flat or nearly blank images)
   are kept but never matched.

Hashes are written as 64 hexadecimal digits, most significant first, as the reference
implementation prints them.
"""

from __future__ import annotations

import io
import warnings
from dataclasses import dataclass

import numpy as np
import pdqhash
import PIL
from PIL import Image, ImageOps, UnidentifiedImageError

from siteline.errors import InvalidInput

PIPELINE = "siteline-pdq/1"
MIN_SIDE = 160  # pixels: the smallest side left after decoding smaller (PDQ works on 64)
MAX_PIXELS = 150_000_000  # more than any camera's photo; a bomb declares far more
QUALITY_FLOOR = 50  # below this, PDQ's own advice: the hash says too little to match on
DIHEDRAL_NAMES = (
    "original",
    "rotate90",
    "rotate180",
    "rotate270",
    "flip_x",
    "flip_y",
    "flip_plus1",
    "flip_minus1",
)
LIBRARY_VERSIONS = {"pdqhash": pdqhash.__version__, "pillow": PIL.__version__}


@dataclass(frozen=True)
class PerceptualHash:
    """A PDQ hash of an image, its quality, and the size of the pixels it was taken from."""

    hex: str
    quality: int
    width: int
    height: int
    pipeline: str = PIPELINE
    dihedral: tuple[str, ...] = ()  # the hashes of the 8 rotations and mirror images, when asked

    @property
    def matchable(self) -> bool:
        return self.quality >= QUALITY_FLOOR

    def record(self) -> dict:
        record = {
            "pdq": self.hex,
            "quality": self.quality,
            "hashed_size": [self.width, self.height],
            "pipeline": self.pipeline,
        }
        if self.dihedral:
            record["dihedral"] = dict(zip(DIHEDRAL_NAMES, self.dihedral, strict=True))
        return record


def hash_image_bytes(data: bytes, name: str, *, dihedral: bool = False) -> PerceptualHash:
    """The canonical hash of an image file's bytes; InvalidInput naming `name` when the bytes
    are not an image Pillow can decode whole."""
    return hash_image(open_image(data, name), name, dihedral=dihedral)


def hash_image(image: Image.Image, name: str, *, dihedral: bool = False) -> PerceptualHash:
    """The canonical hash of an image opened by `open_image` (not yet decoded)."""
    return hash_pixels(decode_for_hash(image, name), dihedral=dihedral)


def hash_pixels(rgb: np.ndarray, *, dihedral: bool = False) -> PerceptualHash:
    """PDQ of an (H, W, 3) uint8 array as it is (steps 4 of the pipeline): video frames
    come here already scaled."""
    pixels = np.ascontiguousarray(rgb, dtype=np.uint8)
    if pixels.ndim != 3 or pixels.shape[2] != 3 or min(pixels.shape[:2]) < 1:
        raise InvalidInput("pixels", f"expected (height, width, 3), got shape {pixels.shape}")
    height, width = pixels.shape[:2]
    if dihedral:
        vectors, quality = pdqhash.compute_dihedral(pixels)
        hexes = tuple(vector_to_hex(vector) for vector in vectors)
        return PerceptualHash(hexes[0], int(quality), width, height, dihedral=hexes)
    vector, quality = pdqhash.compute(pixels)
    return PerceptualHash(vector_to_hex(vector), int(quality), width, height)


def open_image(data: bytes, name: str) -> Image.Image:
    """The image in `data`, opened (its header read, no pixel decoded yet) and checked
    against MAX_PIXELS."""
    if not data:
        raise InvalidInput(name, "the file is empty")
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("error", Image.DecompressionBombWarning)
            image = Image.open(io.BytesIO(data))
    except UnidentifiedImageError:
        raise InvalidInput(
            name, "not an image Siteline can read (unknown or corrupt format)"
        ) from None
    except (Image.DecompressionBombError, Image.DecompressionBombWarning) as error:
        raise InvalidInput(name, f"refused as a decompression bomb ({error})") from None
    except (OSError, ValueError, SyntaxError) as error:
        raise InvalidInput(name, f"a damaged image ({error})") from None
    width, height = image.size
    if width < 1 or height < 1 or width * height > MAX_PIXELS:
        raise InvalidInput(
            name,
            f"declares {width} × {height} pixels; more than {MAX_PIXELS:,} is refused "
            "(a decompression bomb, or not a photo)",
        )
    return image


def decode_for_hash(image: Image.Image, name: str) -> np.ndarray:
    """Steps 2 and 3: the (H, W, 3) uint8 pixels the hash is taken from."""
    return decode_reduced(image, name, reduction_factor(*image.size))


def decode_reduced(image: Image.Image, name: str, factor: int) -> np.ndarray:
    """The pixels of an image opened by `open_image`, turned as EXIF says and reduced by
    `factor` as the pipeline reduces: a JPEG in its DCT, any other image by block means.
    (robust.py asks for other factors, to decode a framed picture as finely as its original.)"""
    width = image.size[0]
    try:
        if image.format == "JPEG" and factor > 1:
            image.draft("RGB", (-(-width // factor), -(-image.size[1] // factor)))
        image.load()
        done = round(width / image.size[0])  # what the JPEG decoder has done already
        image = ImageOps.exif_transpose(image).convert("RGB")
        if factor // done > 1:
            image = image.reduce(factor // done)
    except (OSError, ValueError, SyntaxError, Image.DecompressionBombError) as error:
        raise InvalidInput(name, f"a truncated or damaged image ({error})") from None
    return np.asarray(image)


def reduction_factor(width: int, height: int) -> int:
    """The largest of 8, 4, 2 that keeps both sides at least MIN_SIDE, or 1."""
    for factor in (8, 4, 2):
        if min(width, height) // factor >= MIN_SIDE:
            return factor
    return 1


def vector_to_hex(vector: np.ndarray) -> str:
    """pdqhash's 256 bits (most significant first) as the reference's 64 hex digits."""
    return np.packbits(np.asarray(vector, dtype=np.uint8)).tobytes().hex()


def hex_distance(first: str, second: str) -> int:
    """Hamming distance between two hashes written in hex."""
    return (int(first, 16) ^ int(second, 16)).bit_count()
