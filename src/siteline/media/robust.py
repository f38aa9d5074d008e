"""Near-duplicate matching that survives crops, borders, captions and watermark bands.

PDQ alone is brittle to framing: a copy cut by 2 % on each side is already about 36 bits
from its original (of 256), by 5 % about 80, where copies must be within 31. A hash set
gives each picture a few hashes for the index and many for searching, made so that the
usual changes of a re-posted copy bring one of each side's hashes together.

siteline-pdq-set/1, on the pixels of the canonical pipeline (`pdq.decode_for_hash`):

Stored (each its own row in the index; at most STORED_MAX):
- `whole`: the canonical PDQ hash of the picture (the siteline-pdq/1 hash itself);
- `trimmed`: PDQ after cutting flat borders of any colour and caption bands
  (`robust_trim.trim_flat_edges`), only when something was cut; for a file, from a decode
  as fine as the picture alone would get (`robust_decode`);
- `inner10`: PDQ of the central part left after cutting 10 % of each side: the part of
  the picture that any copy cropped by at most 10 % per side still shows whole;
- `upper85`, `lower85`: PDQ of the upper and lower 85 % of the picture: a band laid over
  the picture (a watermark, a caption printed on it) of up to 15 % of its height at the
  bottom or top leaves one of them untouched.

Probes (computed to search, never stored): the stored hashes, plus
- `crop tT bB lL rR`: PDQ of the picture with T, B, L, R % of its height and width cut at
  its top, bottom, left and right, every combination of CROP_STEPS (0 to 12.5 % by 2.5 %):
  1,295 crops. A copy cut by up to 10 % per side (each side its own amount) contains the
  original's `inner10` part, at a place and size that one of these crops hits within
  1.25 % of each side, which PDQ tolerates; and for a stored copy, one of the original's
  crops is that copy's `whole`. They are computed together (`robust_frames`), equal to
  pdqhash on each crop;
- the same crops of the trimmed picture, when trimming cut something (`trimmed crop …`);
- `whole/rotate90` … `whole/flip_minus1`: PDQ's dihedral hashes of the picture, for
  mirrored and rotated copies.

Matching rule: a picture Q that searches matches a stored picture S when some probe of Q
and some stored hash of S, both of quality at least QUALITY_FLOOR, are within MATCH_RADIUS
(31) bits. That is how an index is used: each new picture's probes are searched against
the stored rows of the pictures before it. The sets are made so that a copy is found
whichever came first: the copy searching its stored original, or the original searching
its stored copy. `sets_match` tries both orders. Crops have no quality of their own
(computing it would need the 64 × 64 image of each): they take the lower quality of
`whole` and `inner10`, between which they all lie (crops of the trimmed picture take the
quality of `trimmed`).

Why these: every stored hash is a row in the index, and each widens what an unrelated
picture can come close to, so the stored side is kept to five; the search side can afford
many, since they are made at once and searched in one batch. The benchmark
(benchmarks/bench_media_robust.py) measures the match rate per change and the false
matches between unrelated pictures, for PDQ alone and for these sets.
"""

from __future__ import annotations

import itertools
from dataclasses import dataclass
from functools import cached_property

import numpy as np

from siteline.errors import InvalidInput
from siteline.media import robust_frames as frames
from siteline.media.pdq import (
    DIHEDRAL_NAMES,
    QUALITY_FLOOR,
    PerceptualHash,
    decode_for_hash,
    hash_pixels,
    open_image,
)
from siteline.media.robust_decode import trimmed_from_file
from siteline.media.robust_trim import trim_flat_edges

SET_PIPELINE = "siteline-pdq-set/1"
MATCH_RADIUS = 31
INNER_CUT = 0.10  # per side: the largest crop per side that copies must survive
BAND_KEPT = 0.85  # of the height: bands of up to 15 % laid over the top or bottom
CROP_STEPS = (0.0, 0.025, 0.05, 0.075, 0.1, 0.125)  # per side; 0.125 = 10 % of the 80 % left
STORED_MAX = 5
MIN_SIDE = 16  # pixels: a crop grid needs a picture of some size
# (top, bottom) and (left, right) cuts of the crop grid, and each crop's label; the first
# crop, which cuts nothing, is the picture itself (`whole`) and is left out.
STEP_PAIRS = list(itertools.product(CROP_STEPS, CROP_STEPS))
CROP_LABELS = [
    f"crop t{t * 100:g} b{b * 100:g} l{le * 100:g} r{r * 100:g}"
    for (t, b), (le, r) in itertools.product(STEP_PAIRS, STEP_PAIRS)
][1:]


@dataclass(frozen=True)
class VariantHash:
    """One hash of a set: which variant of the picture it was taken from, and its quality."""

    variant: str
    hex: str
    quality: int

    @property
    def matchable(self) -> bool:
        return self.quality >= QUALITY_FLOOR

    def record(self) -> dict:
        return {"variant": self.variant, "pdq": self.hex, "quality": self.quality}


@dataclass(frozen=True)
class Match:
    """The closest pair that made two sets match: the searching picture's probe, the
    stored picture's variant, and their distance in bits."""

    distance: int
    probe: str
    stored: str


@dataclass(frozen=True, eq=False)
class HashSet:
    """The stored hashes of a picture and the probes it searches with (see the module)."""

    stored: tuple[VariantHash, ...]
    probe_labels: tuple[str, ...]
    probe_bits: np.ndarray  # (n, 32) uint8: each probe's 256 bits, most significant first
    probe_quality: np.ndarray  # (n,) int
    width: int
    height: int
    pipeline: str = SET_PIPELINE

    @cached_property
    def stored_bits(self) -> np.ndarray:
        """(n, 32) uint8 of the stored hashes, in the order of `stored`."""
        return np.stack([frames.hex_to_bits(item.hex) for item in self.stored])

    def variant(self, name: str) -> VariantHash | None:
        return next((item for item in self.stored if item.variant == name), None)

    def probes(self) -> list[VariantHash]:
        """Every probe as a VariantHash (the stored hashes first)."""
        hexes = self.probe_bits.tobytes().hex()
        return [
            VariantHash(label, hexes[64 * index : 64 * index + 64], int(quality))
            for index, (label, quality) in enumerate(
                zip(self.probe_labels, self.probe_quality, strict=True)
            )
        ]

    def record(self) -> dict:
        """What is kept with the picture: the stored hashes (probes are made again when
        needed)."""
        return {
            "pipeline": self.pipeline,
            "hashed_size": [self.width, self.height],
            "variants": [item.record() for item in self.stored],
        }


def hash_set(source: bytes | np.ndarray, name: str) -> HashSet:
    """The hash set of an image file's bytes (decoded by the canonical pipeline) or of
    (H, W, 3) uint8 pixels already decoded; InvalidInput naming `name` for bytes that are
    not an image or pixels of another shape."""
    if isinstance(source, (bytes, bytearray, memoryview)):
        data = bytes(source)
        rgb = checked_size(decode_for_hash(open_image(data, name), name), name)
        return assembled(rgb, trimmed_from_file(data, name, rgb))
    pixels = np.asarray(source)
    if pixels.dtype != np.uint8 or pixels.ndim != 3 or pixels.shape[2] != 3:
        raise InvalidInput(name, f"expected (height, width, 3) uint8 pixels, got {pixels.shape}")
    return hash_set_pixels(pixels, name)


def hash_set_pixels(rgb: np.ndarray, name: str = "pixels") -> HashSet:
    """The hash set of (H, W, 3) uint8 pixels as they are."""
    rgb = checked_size(np.ascontiguousarray(rgb, dtype=np.uint8), name)
    trimmed = trim_flat_edges(rgb)
    return assembled(rgb, trimmed if trimmed.shape != rgb.shape else None)


def checked_size(rgb: np.ndarray, name: str) -> np.ndarray:
    if min(rgb.shape[:2]) < MIN_SIDE:
        raise InvalidInput(name, f"too small to hash in parts: {rgb.shape[1]} × {rgb.shape[0]}")
    return rgb


def assembled(rgb: np.ndarray, trimmed: np.ndarray | None) -> HashSet:
    """The set of a picture and of its trimmed picture (None when nothing was cut)."""
    whole = hash_pixels(rgb, dihedral=True)
    stored = stored_variants(rgb, whole, trimmed)
    labels, bits, quality = search_probes(rgb, whole, trimmed, stored)
    return HashSet(
        stored=tuple(stored.values()),
        probe_labels=tuple(labels),
        probe_bits=bits,
        probe_quality=quality,
        width=rgb.shape[1],
        height=rgb.shape[0],
    )


def stored_variants(
    rgb: np.ndarray, whole: PerceptualHash, trimmed: np.ndarray | None
) -> dict[str, VariantHash]:
    """The hashes the index keeps, by variant, in the order of the module's list."""
    kept = round(rgb.shape[0] * BAND_KEPT)
    parts = {"trimmed": trimmed, "inner10": inner(rgb, INNER_CUT)}
    parts |= {"upper85": rgb[:kept], "lower85": rgb[-kept:]}
    stored = {"whole": VariantHash("whole", whole.hex, whole.quality)}
    for variant, pixels in parts.items():
        if pixels is not None:
            digest = hash_pixels(pixels)
            stored[variant] = VariantHash(variant, digest.hex, digest.quality)
    return stored


def search_probes(
    rgb: np.ndarray,
    whole: PerceptualHash,
    trimmed: np.ndarray | None,
    stored: dict[str, VariantHash],
) -> tuple[list[str], np.ndarray, np.ndarray]:
    """Labels, (n, 32) hashes and qualities of every probe: the stored hashes, the crops
    of the picture (and of the trimmed picture), the mirror images and rotations."""
    labels = list(stored)
    bits = [np.stack([frames.hex_to_bits(item.hex) for item in stored.values()])]
    quality = [item.quality for item in stored.values()]
    # Crops have no quality of their own: they lie between a picture and its inner part.
    grids = [("", rgb, min(whole.quality, stored["inner10"].quality))]
    if trimmed is not None:
        grids.append(("trimmed ", trimmed, stored["trimmed"].quality))
    for prefix, pixels, grid_quality in grids:
        labels += [prefix + label for label in CROP_LABELS]
        bits.append(crop_grid(pixels))
        quality += [grid_quality] * len(CROP_LABELS)
    for label, hex_digits in zip(DIHEDRAL_NAMES[1:], whole.dihedral[1:], strict=True):
        labels.append(f"whole/{label}")
        bits.append(frames.hex_to_bits(hex_digits)[None])
        quality.append(whole.quality)
    return labels, np.concatenate(bits), np.asarray(quality)


def inner(rgb: np.ndarray, cut: float) -> np.ndarray:
    """The central part of `rgb` left after cutting `cut` of each side."""
    height, width = rgb.shape[:2]
    top, left = round(height * cut), round(width * cut)
    return rgb[top : height - top, left : width - left]


def crop_grid(rgb: np.ndarray) -> np.ndarray:
    """(n, 32) hashes of every crop of CROP_STEPS per side (top, bottom, left, right, in the
    order of CROP_LABELS) but no crop at all, which is the picture itself."""
    height, width = rgb.shape[:2]
    row_bounds = [(round(height * t), height - round(height * b)) for t, b in STEP_PAIRS]
    column_bounds = [(round(width * le), width - round(width * r)) for le, r in STEP_PAIRS]
    coefficients = frames.grid_coefficients(frames.luminance(rgb), row_bounds, column_bounds)
    return frames.coefficients_to_bits(coefficients[1:])


def best_match(searching: HashSet, stored: HashSet, radius: int = MATCH_RADIUS) -> Match | None:
    """The closest pair of a probe of `searching` and a stored hash of `stored`, both
    matchable, when within `radius` bits; None otherwise."""
    usable = [index for index, item in enumerate(stored.stored) if item.matchable]
    probes = np.flatnonzero(searching.probe_quality >= QUALITY_FLOOR)
    if not usable or not len(probes):
        return None
    stored_bits = stored.stored_bits[usable]
    found = frames.distances(searching.probe_bits[probes], stored_bits)
    probe, variant = np.unravel_index(int(np.argmin(found)), found.shape)
    distance = int(found[probe, variant])
    if distance > radius:
        return None
    return Match(
        distance,
        searching.probe_labels[probes[probe]],
        stored.stored[usable[variant]].variant,
    )


def sets_match(first: HashSet, second: HashSet, radius: int = MATCH_RADIUS) -> Match | None:
    """The closer of `best_match` in both orders (first searching second, then second
    searching first): the two pictures match when it is not None."""
    found = [best_match(first, second, radius), best_match(second, first, radius)]
    found = [match for match in found if match is not None]
    return min(found, key=lambda match: match.distance, default=None)
