"""How `siteline.media.hamming_index` lays out a part: its chunks, the buckets a search
probes in each, and the cost model that picks the layout.

A layout splits the 256 bits into `chunks` disjoint chunks of `chunk_bits` bits, each with
a table of its keys; a search at radius r probes, in chunk i, every key within s_i bits of
the query's chunk, with sum(s_i + 1) = r + 1 (`flip_budgets`). SCAN is the layout with no
tables: the part is compared hash by hash.

The layout is chosen per part from its size by a cost model (bucket probes plus hashes
verified, under a memory budget of about twice the hashes' own bytes). For 10 million
hashes and radius 31 it is 11 chunks of 22 bits: ten probed with up to 2 flipped bits (254
buckets each), one with up to 1 (23 buckets): about 2,600 bucket look-ups and 6,000
verified hashes per query, against 10 million for a scan. The tables take 4 bytes per hash
per chunk plus a dense 16 MB offset table per chunk: 945 MB (10^6 bytes) in all, 320 MB of
them the hashes themselves.

These live apart from the index because they are pure arithmetic on sizes and radii, with
no hashes involved: they can be read, tuned and tested on their own.
"""

from __future__ import annotations

from dataclasses import dataclass
from functools import lru_cache
from itertools import combinations
from math import comb

import numpy as np

from siteline.media.hamming_codec import HASH_BITS

MAX_CHUNK_BITS = 24  # a dense offset table of 2**24 entries is 64 MB per chunk
MAX_PROBES = 1 << 20  # more bucket probes per query than this, and a part is scanned
TABLE_BYTES_PER_HASH = 64  # tables may take twice the 32 bytes of the hash itself...
MIN_TABLE_BYTES = 4 << 20  # ...or this much, for small parts
# Relative costs, measured on random hashes at 1 and 10 million (about 16 ns a candidate):
# one bucket looked up, one hash verified at a random place, one hash compared in a scan.
PROBE_COST = 1.5
CANDIDATE_COST = 1.0
SCAN_COST = 0.1


@dataclass(frozen=True)
class Layout:
    """How a part is searched: `chunks` tables of `chunk_bits`-bit keys, or a scan (0, 0)."""

    chunks: int
    chunk_bits: int

    @property
    def starts(self) -> np.ndarray:
        """First bit of each chunk, spread evenly over the 256 bits."""
        return np.array([i * HASH_BITS // self.chunks for i in range(self.chunks)], np.int64)


SCAN = Layout(0, 0)


def flip_budgets(chunks: int, radius: int) -> np.ndarray:
    """Bits to flip per chunk so that sum(budget + 1) == radius + 1 (a budget of -1 means
    the chunk is not probed at all): the least that still finds every hash within radius."""
    base, extra = divmod(radius + 1, chunks)
    return np.array([base if i < extra else base - 1 for i in range(chunks)], np.int64)


@lru_cache(maxsize=64)
def probe_masks(bits: int, flips: int) -> tuple[np.ndarray, np.ndarray]:
    """Every key difference of at most `flips` of `bits` bits, by number of bits set, and
    for each s the count of those with at most s bits set."""
    masks, counts = [], []
    for flipped in range(min(flips, bits) + 1):
        masks.extend(
            sum(1 << bit for bit in chosen) for chosen in combinations(range(bits), flipped)
        )
        counts.append(len(masks))
    return np.array(masks, np.int64), np.array(counts, np.int64)


def probe_count(layout: Layout, radius: int) -> int:
    """Buckets one query probes with this layout at this radius, over all chunks."""
    bits = layout.chunk_bits
    budgets = flip_budgets(layout.chunks, radius)
    return sum(comb(bits, k) for budget in budgets for k in range(min(budget, bits) + 1))


def probe_cost(layout: Layout, size: int, radius: int) -> float:
    """Expected cost of a multi-index search of `size` random hashes with this layout."""
    buckets = probe_count(layout, radius)
    candidates = buckets * size / 2**layout.chunk_bits
    return buckets * PROBE_COST + candidates * CANDIDATE_COST


def table_bytes(layout: Layout, size: int) -> int:
    """Bytes of a part's tables: a row number per hash and a dense offset table per chunk."""
    return layout.chunks * 4 * (size + 2**layout.chunk_bits + 1)


def choose_layout(size: int, radius: int) -> Layout:
    """The cheapest layout for `size` hashes searched at `radius` within the memory budget,
    or SCAN where scanning them all costs less."""
    budget = max(TABLE_BYTES_PER_HASH * size, MIN_TABLE_BYTES)
    best, best_cost = SCAN, size * SCAN_COST
    for chunks in range(1, min(radius + 1, HASH_BITS) + 1):
        for bits in range(1, min(MAX_CHUNK_BITS, HASH_BITS // chunks) + 1):
            layout = Layout(chunks, bits)
            if table_bytes(layout, size) > budget:
                break  # wider chunks only take more
            cost = probe_cost(layout, size, radius)
            if cost < best_cost:
                best, best_cost = layout, cost
    return best
