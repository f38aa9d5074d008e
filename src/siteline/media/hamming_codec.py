"""The 256-bit hashes (PDQ) that `siteline.media.hamming_index` stores: their encodings,
their Hamming distance, and the checks every public function applies to them.

Hashes are (N, 4) uint64 arrays: the hash as one 256-bit number, word 0 its least
significant 64 bits. The hex form is that number in 64 hex digits, most significant first,
as PDQ's reference implementation prints it; `pack_bits` reads bits in that same order
(column 0 is the most significant bit), as `np.packbits` and the pdqhash binding do.

These live apart from the index because they are plain conversions with no state: callers
that only read or write hashes need nothing of the index, and the index, its layout and its
tests share one definition of the format.
"""

from __future__ import annotations

import re
from collections.abc import Iterable

import numpy as np

from siteline.errors import InvalidInput

HASH_BITS = 256
HASH_WORDS = 4
_HEX_HASH = re.compile(r"[0-9a-fA-F]{64}")


def pack_bits(bits: np.ndarray) -> np.ndarray:
    """(N, 256) bits of 0/1, most significant first, to (N, 4) uint64 hashes."""
    bits = np.asarray(bits)
    if bits.ndim != 2 or bits.shape[1] != HASH_BITS:
        raise InvalidInput("bits", f"expected shape (N, {HASH_BITS}), got {bits.shape}")
    if bits.dtype != np.bool_ and not (
        np.issubdtype(bits.dtype, np.integer) and np.isin(bits, (0, 1)).all()
    ):
        raise InvalidInput("bits", "expected only 0 and 1 (or booleans)")
    return _from_big_endian_bytes(np.packbits(bits.astype(np.uint8), axis=1))


def unpack_bits(hashes: np.ndarray) -> np.ndarray:
    """(N, 4) uint64 hashes to (N, 256) uint8 bits, most significant first."""
    return np.unpackbits(_to_big_endian_bytes(_checked_hashes(hashes, "hashes")), axis=1)


def from_hex(hexes: str | Iterable[str]) -> np.ndarray:
    """Hashes written as 64 hex digits (either case) to (N, 4) uint64; one string gives N = 1."""
    if isinstance(hexes, str):
        hexes = [hexes]
    hexes = list(hexes)
    for number, text in enumerate(hexes):
        if not isinstance(text, str) or not _HEX_HASH.fullmatch(text):
            raise InvalidInput(f"hex[{number}]", f"expected 64 hexadecimal digits, got {text!r}")
    data = np.frombuffer(bytes.fromhex("".join(hexes)), np.uint8).reshape(len(hexes), 32)
    return _from_big_endian_bytes(data)


def to_hex(hashes: np.ndarray) -> list[str]:
    """(N, 4) uint64 hashes as 64 lower-case hex digits each, most significant first."""
    text = _to_big_endian_bytes(_checked_hashes(hashes, "hashes")).tobytes().hex()
    return [text[i : i + 64] for i in range(0, len(text), 64)]


def hamming(first: np.ndarray, second: np.ndarray) -> np.ndarray:
    """Bits that differ between hashes, row by row ((N, 4) or (4,) arrays, broadcast)."""
    first = _checked_words(first, "first")
    second = _checked_words(second, "second")
    if (
        first.ndim == second.ndim == 2
        and len(first) != len(second)
        and min(len(first), len(second)) > 1
    ):
        raise InvalidInput("second", f"has {len(second)} hashes where first has {len(first)}")
    return np.bitwise_count(first ^ second).sum(axis=-1, dtype=np.int64)


def _from_big_endian_bytes(data: np.ndarray) -> np.ndarray:
    """(N, 32) bytes of the 256-bit number, most significant first, to (N, 4) words."""
    words = data.view(">u8").reshape(len(data), HASH_WORDS)
    return np.ascontiguousarray(words[:, ::-1], dtype=np.uint64)


def _to_big_endian_bytes(hashes: np.ndarray) -> np.ndarray:
    words = np.ascontiguousarray(hashes[:, ::-1], dtype=">u8")
    return words.view(np.uint8).reshape(len(hashes), 32)


def _checked_words(array, field: str) -> np.ndarray:
    if (
        not isinstance(array, np.ndarray)
        or array.dtype != np.uint64
        or array.ndim not in (1, 2)
        or array.shape[-1] != HASH_WORDS
    ):
        raise InvalidInput(
            field, f"expected uint64 hashes of shape (N, 4) or (4,), got {_described(array)}"
        )
    return array


def _checked_hashes(array, field: str) -> np.ndarray:
    """A C-contiguous (N, 4) uint64 array, or InvalidInput naming what is wrong."""
    if (
        not isinstance(array, np.ndarray)
        or array.dtype != np.uint64
        or array.ndim != 2
        or array.shape[1] != HASH_WORDS
    ):
        raise InvalidInput(
            field,
            f"expected a uint64 array of shape (N, 4) (256-bit hashes as four 64-bit words; "
            f"see pack_bits and from_hex), got {_described(array)}",
        )
    return np.ascontiguousarray(array)


def _described(value) -> str:
    if isinstance(value, np.ndarray):
        return f"{value.dtype} array of shape {value.shape}"
    return type(value).__name__
