"""PDQ hashes of many crops of one image at once, equal to pdqhash's on each crop.

PDQ is linear up to its last step: luminance, two passes of box filters along rows and
columns (Jarosz), sampling 64 × 64 points, then a 16 × 16 DCT; only the median threshold is
not. So the DCT coefficients of a crop rows [top, bottom) × columns [left, right) are

    DCT · V · L · Hᵀ · DCTᵀ

where L is the image's luminance, V (64 × H) filters and samples the rows of the crop
exactly as PDQ does on a crop of that height, and H the columns likewise. V depends only on
(top, bottom) and H only on (left, right): for a grid of crops, DCT · V · L is made once
per pair of row bounds and DCT · H once per pair of column bounds, and every crop is then
one 16 × W by W × 16 product. A grid of 1,296 crops of a 320 × 240 image takes 5-10 ms on
one core, against about a second of calls to pdqhash (0.8 ms each). The result equals
pdqhash bit for bit, except where a coefficient ties with the median within rounding (both
work in float32, but sum in another order): tests compare them.
"""

from __future__ import annotations

from functools import lru_cache

import numpy as np

BLOCK = 64  # columns per product of the row filters with the picture
_FREQUENCIES = np.arange(1, 17)[:, None]  # PDQ keeps DCT rows 1..16 (no constant term)
_SAMPLES = np.arange(64)[None, :]
DCT16 = np.sqrt(2 / 64) * np.cos(np.pi / 2 / 64 * _FREQUENCIES * (2 * _SAMPLES + 1))


def luminance(rgb: np.ndarray) -> np.ndarray:
    """PDQ's luma: the weights and float32 arithmetic of the pdqhash binding."""
    channels = rgb.astype(np.float32)
    return channels[..., 0] * 0.299 + channels[..., 1] * 0.587 + channels[..., 2] * 0.114


@lru_cache(maxsize=256)
def sampling_matrix(length: int) -> np.ndarray:
    """(64, length): PDQ's downscaling of a line of `length` pixels — two passes of a box
    filter of its Jarosz window (the window shrinks at both ends, as pdqhash's does), then
    the 64 samples at int((i + 0.5) · length / 64)."""
    window = (length + 2 * 64 - 1) // (2 * 64)
    half = (window + 2) // 2
    positions = np.arange(length)
    first = np.maximum(0, positions - (window - half))
    last = np.minimum(length - 1, positions + half - 1)
    columns = positions[None, :]
    box = ((columns >= first[:, None]) & (columns <= last[:, None])).astype(np.float64)
    box /= box.sum(axis=1, keepdims=True)
    samples = ((np.arange(64) + 0.5) * length / 64).astype(int)
    return box[samples] @ box


def dct_along(length_bounds: list[tuple[int, int]], size: int) -> np.ndarray:
    """(n, 16, size): DCT16 · sampling of each [start, stop) span, placed in a line of `size`
    (float32, as PDQ computes: half the time of float64, and no bit found to differ)."""
    out = np.zeros((len(length_bounds), 16, size), dtype=np.float32)
    for index, (start, stop) in enumerate(length_bounds):
        out[index, :, start:stop] = DCT16 @ sampling_matrix(stop - start)
    return out


def grid_coefficients(
    luma: np.ndarray, row_bounds: list[tuple[int, int]], column_bounds: list[tuple[int, int]]
) -> np.ndarray:
    """(len(row_bounds) · len(column_bounds), 16, 16) DCT coefficients of every crop
    rows × columns, ordered row bounds first."""
    rows = dct_along(row_bounds, luma.shape[0])  # (R, 16, H)
    columns = dct_along(column_bounds, luma.shape[1])  # (C, 16, W)
    # Many small products rather than one large one: OpenBLAS runs a large product on all
    # its threads, which on a machine busy with other work made it 30 times slower.
    left = np.concatenate(
        [rows @ luma[:, start : start + BLOCK] for start in range(0, luma.shape[1], BLOCK)],
        axis=2,
    )  # (R, 16, W)
    products = np.matmul(left[:, None], columns.transpose(0, 2, 1)[None])  # (R, C, 16, 16)
    return products.reshape(-1, 16, 16)


def coefficients_to_bits(coefficients: np.ndarray) -> np.ndarray:
    """(n, 32) uint8 packed hashes: a bit per coefficient above the median of its 256, in
    pdqhash's order (its vector is the 16 × 16 coefficients flattened, last first)."""
    flat = coefficients.reshape(-1, 256)
    # pdqhash's median (Torben's) is the 128th smallest value: exactly 128 bits are set.
    median = np.partition(flat, 127, axis=1)[:, 127:128]
    return np.packbits((flat > median)[:, ::-1], axis=1)


def bits_to_hex(bits: np.ndarray) -> str:
    return bits.tobytes().hex()


def hex_to_bits(hex_digits: str) -> np.ndarray:
    return np.frombuffer(bytes.fromhex(hex_digits), dtype=np.uint8)


def distances(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """(len(first), len(second)) Hamming distances between packed hashes."""
    as_words_a = np.ascontiguousarray(first).view(np.uint64)  # (n, 4)
    as_words_b = np.ascontiguousarray(second).view(np.uint64)
    return np.bitwise_count(as_words_a[:, None, :] ^ as_words_b[None, :, :]).sum(axis=2)
