"""An exact Hamming-radius index over 256-bit hashes (PDQ), which takes new hashes at any time.

`HammingIndex.search` returns, for each query, every stored hash within `radius` bits of it
(31 by default, PDQ's usual match threshold) and nothing else: recall is exact by
construction, not estimated.

How it finds them: multi-index hashing. The 256 bits are split into m disjoint chunks of w
bits. If two hashes differ in at most r bits, their chunk distances d_1..d_m sum to at most
r; give chunk i a flip budget s_i with sum(s_i + 1) >= r + 1, and at least one chunk must
have d_i <= s_i (otherwise the sum would be at least r + 1). So a search looks, in each
chunk's table, at the buckets of every key within s_i bits of the query's chunk, and
verifies each hash found there with its full 256-bit distance. A hash reached through
several chunks is reported only by the first of them, so each appears once.

The layout is chosen per part from its size by a cost model, or a part is scanned where
that is cheaper; `hamming_layout` holds the layout, the cost model and what it chooses at
10 million hashes. The compiled loops are in `hamming_kernels`.

Adding without rebuilding: the index is a list of parts, each immutable once built, plus a
small buffer of recent hashes that is scanned directly. When the buffer fills it becomes a
part; when the newest part holds at least `merge_fraction` (a quarter) of the hashes of the
part before it, the two are merged into one new part, as in a log-structured merge tree.
Parts thus shrink at least fourfold one to the next (about log4(N / buffer_limit) of them),
and the cost of merging is amortised: a hash is rebuilt each time its part grows by a
quarter, O(log N) times, which came to about 2 microseconds of CPU per hash when adding 2
million hashes 1,000 at a time. A merge needs the memory of the parts it merges once more
while it runs. An add must not run while another thread searches the same index.

Hashes are (N, 4) uint64 arrays, word 0 the least significant 64 bits of the 256-bit hash;
`hamming_codec` describes the format and converts from and to bits and hex (its functions
are re-exported here). Ids are int64 row numbers in the order hashes were given, counting
from 0.
"""

from __future__ import annotations

import operator
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass

import numba
import numpy as np

from siteline.errors import InvalidInput
from siteline.media import hamming_kernels as kernels
from siteline.media.hamming_codec import (
    HASH_BITS,
    HASH_WORDS,
    _checked_hashes,
    from_hex,
    hamming,
    pack_bits,
    to_hex,
    unpack_bits,
)
from siteline.media.hamming_layout import (
    CANDIDATE_COST,
    MAX_CHUNK_BITS,
    MAX_PROBES,
    MIN_TABLE_BYTES,
    PROBE_COST,
    SCAN,
    SCAN_COST,
    TABLE_BYTES_PER_HASH,
    Layout,
    choose_layout,
    flip_budgets,
    probe_cost,
    probe_count,
    probe_masks,
    table_bytes,
)

__all__ = [
    "BUFFER_LIMIT",
    "CANDIDATE_COST",
    "DEFAULT_RADIUS",
    "HASH_BITS",
    "HASH_WORDS",
    "MAX_CHUNK_BITS",
    "MAX_HASHES",
    "MAX_PROBES",
    "MAX_RADIUS",
    "MERGE_FRACTION",
    "MIN_TABLE_BYTES",
    "PROBE_COST",
    "QUERY_BATCH",
    "RERUN_ENTRIES",
    "RESULT_CAPACITY",
    "SCAN",
    "SCAN_COST",
    "TABLE_BYTES_PER_HASH",
    "HammingIndex",
    "Layout",
    "Matches",
    "brute_force_search",
    "choose_layout",
    "flip_budgets",
    "from_hex",
    "hamming",
    "pack_bits",
    "probe_cost",
    "probe_count",
    "probe_masks",
    "table_bytes",
    "to_hex",
    "unpack_bits",
]

DEFAULT_RADIUS = 31  # PDQ's recommended match threshold
# Random 256-bit hashes lie 128 +/- 8 bits apart; 64 is already far beyond any real copy,
# and past it every search turns into a scan of everything.
MAX_RADIUS = 64
MAX_HASHES = 2**32 - 1  # tables number rows with uint32
BUFFER_LIMIT = 16_384  # recent hashes scanned directly, before they become a part
MERGE_FRACTION = 0.25
QUERY_BATCH = 4096  # queries searched together, which bounds the result arrays
RESULT_CAPACITY = 64  # matches kept per query on the first try; more are searched again
RERUN_ENTRIES = 1 << 22  # bounds the result arrays of those searched again


@dataclass(frozen=True)
class Matches:
    """Search results in CSR form: query q matched `ids[offsets[q]:offsets[q + 1]]` at
    `distances[offsets[q]:offsets[q + 1]]`, nearest first, then by id."""

    offsets: np.ndarray  # int64, one more than there are queries
    ids: np.ndarray  # int64
    distances: np.ndarray  # int32

    def __len__(self) -> int:
        return len(self.offsets) - 1

    def __getitem__(self, query: int) -> tuple[np.ndarray, np.ndarray]:
        """(ids, distances) of one query's matches."""
        first, last = self.offsets[query], self.offsets[query + 1]
        return self.ids[first:last], self.distances[first:last]

    def __iter__(self) -> Iterator[tuple[np.ndarray, np.ndarray]]:
        return (self[query] for query in range(len(self)))


class _Part:
    """Hashes with ids first_id.. onwards, immutable, with their chunk tables (if any)."""

    def __init__(self, hashes: np.ndarray, first_id: int, layout: Layout, forced: bool):
        self.hashes = hashes
        self.first_id = first_id
        self.layout = layout
        self.forced = forced  # a layout fixed by the caller is always probed
        self.offsets = self.rows = None
        if layout.chunks:
            # Allocated by numpy rather than inside the kernel: numpy asks Linux for huge
            # pages, which spares most TLB misses of the random reads a search makes.
            self.offsets = np.zeros((layout.chunks, 2**layout.chunk_bits + 1), np.uint32)
            self.rows = np.empty((layout.chunks, len(hashes)), np.uint32)
            kernels.build_tables(hashes, layout.starts, layout.chunk_bits, self.offsets, self.rows)

    def __len__(self) -> int:
        return len(self.hashes)

    def nbytes(self) -> int:
        tables = 0 if self.rows is None else self.offsets.nbytes + self.rows.nbytes
        return self.hashes.nbytes + tables

    def search(self, queries: np.ndarray, radius: int, out: tuple) -> None:
        """Fills `out` (see hamming_kernels) with this part's matches, by probing or scanning."""
        if self._scans_at(radius):
            kernels.scan_search(queries, self.hashes, radius, out)
            return
        layout = self.layout
        flips = flip_budgets(layout.chunks, radius)
        masks, mask_counts = probe_masks(layout.chunk_bits, int(flips.max()))
        tables = (layout.starts, layout.chunk_bits, flips, masks, mask_counts)
        kernels.probe_search(queries, self.hashes, (*tables, self.offsets, self.rows), radius, out)

    def _scans_at(self, radius: int) -> bool:
        """Whether a scan is the way to search at this radius: no tables, too many keys to
        probe, or (unless the layout was fixed by the caller) a scan is expected to be faster."""
        if self.layout.chunks == 0 or probe_count(self.layout, radius) > MAX_PROBES:
            return True
        return (
            not self.forced and probe_cost(self.layout, len(self), radius) > len(self) * SCAN_COST
        )


class HammingIndex:
    """Every stored 256-bit hash within a Hamming radius of each query, exactly.

    `hashes`: the first hashes, (N, 4) uint64 (see the module docstring), copied.
    `radius`: the default search radius, 0..MAX_RADIUS; it also sizes the chunk layout.
    `threads`: how many threads searches and builds use (default: all of numba's).
    `chunks`, `chunk_bits`: fix the layout of every indexed part instead of letting the cost
    model choose (for tuning and tests); such parts are probed even where a scan would be
    faster, unless a query would probe more than MAX_PROBES buckets.
    `buffer_limit`, `merge_fraction`: when new hashes become a part and when parts merge.
    """

    def __init__(
        self,
        hashes: np.ndarray | None = None,
        radius: int = DEFAULT_RADIUS,
        *,
        threads: int | None = None,
        chunks: int | None = None,
        chunk_bits: int | None = None,
        buffer_limit: int = BUFFER_LIMIT,
        merge_fraction: float = MERGE_FRACTION,
    ):
        self.radius = _checked_radius(radius, "radius")
        self.threads = _checked_threads(threads)
        self._forced = _checked_layout(chunks, chunk_bits)
        if buffer_limit < 1:
            raise InvalidInput("buffer_limit", f"must be at least 1, not {buffer_limit}")
        if not 0 < merge_fraction <= 1:
            raise InvalidInput("merge_fraction", f"must be in (0, 1], not {merge_fraction}")
        self.buffer_limit = buffer_limit
        self.merge_fraction = merge_fraction
        self._parts: list[_Part] = []
        self._buffer = np.empty((0, HASH_WORDS), np.uint64)  # capacity grows by doubling
        self._buffered = 0
        self._size = 0
        if hashes is not None:
            self.add(hashes)

    def __len__(self) -> int:
        return self._size

    def add(self, hashes: np.ndarray) -> np.ndarray:
        """Stores (copies) the hashes and returns their ids; the next search finds them.

        Each step changes the index only once its new arrays are built, so an error (say,
        out of memory) leaves it as it was, or with the hashes added but parts unmerged."""
        new = _checked_hashes(hashes, "hashes")
        if self._size + len(new) > MAX_HASHES:
            raise InvalidInput("hashes", f"an index holds at most {MAX_HASHES:,} hashes")
        ids = np.arange(self._size, self._size + len(new), dtype=np.int64)
        if self._buffered + len(new) < self.buffer_limit:
            self._append_to_buffer(new)
            self._size += len(new)
            return ids
        block = np.concatenate([self._buffer[: self._buffered], new])
        with _numba_threads(self.threads):
            part = self._new_part(block, first_id=self._size - self._buffered)
            self._parts.append(part)
            self._buffer = np.empty((0, HASH_WORDS), np.uint64)
            self._buffered = 0
            self._size += len(new)
            self._merge_small_parts()
        return ids

    def search(self, queries: np.ndarray, radius: int | None = None) -> Matches:
        """Every stored hash within `radius` (default: the index's) of each query."""
        queries = _checked_hashes(queries, "queries")
        radius = self.radius if radius is None else _checked_radius(radius, "radius")
        found = []
        with _numba_threads(self.threads):
            for first in range(0, len(queries), QUERY_BATCH):
                batch = queries[first : first + QUERY_BATCH]
                for part in self._searched_parts():
                    numbers, rows, distances = _search_part(part, batch, radius)
                    found.append(
                        (numbers + first, rows.astype(np.int64) + part.first_id, distances)
                    )
        return _as_matches(found, len(queries))

    def memory_bytes(self) -> int:
        """Bytes of the index's own arrays: hashes, tables and the buffer's capacity."""
        return sum(part.nbytes() for part in self._parts) + self._buffer.nbytes

    def layout(self) -> list[dict]:
        """The parts, oldest first, and how each is laid out (chunks 0: always scanned)."""
        return [
            {"first_id": p.first_id, "size": len(p)} | asdict(p.layout)
            for p in self._searched_parts()
        ]

    def _searched_parts(self) -> list[_Part]:
        """The parts, and the buffer as a part without tables."""
        parts = list(self._parts)
        if self._buffered:
            first_id = self._size - self._buffered
            parts.append(_Part(self._buffer[: self._buffered], first_id, SCAN, forced=False))
        return parts

    def _new_part(self, hashes: np.ndarray, first_id: int) -> _Part:
        layout = self._forced or choose_layout(len(hashes), self.radius)
        return _Part(hashes, first_id, layout, forced=self._forced is not None)

    def _merge_small_parts(self) -> None:
        """Merges the newest part into the one before while it is not much smaller."""
        parts = self._parts
        while len(parts) >= 2 and len(parts[-1]) >= self.merge_fraction * len(parts[-2]):
            older, newer = parts[-2:]
            merged = np.concatenate([older.hashes, newer.hashes])
            parts[-2:] = [self._new_part(merged, older.first_id)]

    def _append_to_buffer(self, new: np.ndarray) -> None:
        needed = self._buffered + len(new)
        if needed > len(self._buffer):
            grown = np.empty((max(needed, 2 * len(self._buffer), 64), HASH_WORDS), np.uint64)
            grown[: self._buffered] = self._buffer[: self._buffered]
            self._buffer = grown
        self._buffer[self._buffered : needed] = new
        self._buffered = needed


def brute_force_search(
    hashes: np.ndarray,
    queries: np.ndarray,
    radius: int = DEFAULT_RADIUS,
    threads: int | None = None,
) -> Matches:
    """The same results as `HammingIndex(hashes).search(queries, radius)` by comparing every
    query with every hash: for checks, and for sets too small to be worth an index."""
    hashes = _checked_hashes(hashes, "hashes")
    queries = _checked_hashes(queries, "queries")
    radius = _checked_radius(radius, "radius")
    part = _Part(hashes, 0, SCAN, forced=False)
    with _numba_threads(_checked_threads(threads)):
        found = [_search_part(part, queries, radius)] if len(queries) else []
    return _as_matches(found, len(queries))


def _search_part(part: _Part, queries: np.ndarray, radius: int):
    """(query numbers, rows, distances) of one part's matches for a batch of queries.

    Each query has room for RESULT_CAPACITY matches; the few with more are searched again
    with room for all, in groups whose result arrays stay under RERUN_ENTRIES entries.
    """
    out = _result_arrays(len(queries), RESULT_CAPACITY)
    part.search(queries, radius, out)
    counts = out[2]
    overflow = np.flatnonzero(counts > RESULT_CAPACITY)
    overflow = overflow[np.argsort(counts[overflow], kind="stable")]
    wanted = counts[overflow]
    counts[overflow] = 0  # their first results are incomplete: drop them
    pieces = [_flattened(np.arange(len(queries), dtype=np.int64), out)]
    first = 0
    while first < len(overflow):
        last = first + 1
        while last < len(overflow) and wanted[last] * (last + 1 - first) <= RERUN_ENTRIES:
            last += 1
        group = overflow[first:last]
        again = _result_arrays(len(group), int(wanted[last - 1]))
        part.search(np.ascontiguousarray(queries[group]), radius, again)
        pieces.append(_flattened(group.astype(np.int64), again))
        first = last
    return tuple(np.concatenate(column) for column in zip(*pieces, strict=True))


def _result_arrays(count: int, capacity: int) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """Room for `capacity` matches per query: (rows, distances, counts), as kernels fill them."""
    return (
        np.empty((count, capacity), np.uint32),
        np.empty((count, capacity), np.int32),
        np.zeros(count, np.int64),
    )


def _flattened(numbers: np.ndarray, out: tuple) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    """(query number, row, distance) of each match kept in a kernel's result arrays."""
    rows, distances, counts = out
    kept = np.minimum(counts, rows.shape[1])
    mask = np.arange(rows.shape[1]) < kept[:, None]
    return np.repeat(numbers, kept), rows[mask], distances[mask]


def _as_matches(found: list, query_count: int) -> Matches:
    """One CSR result from every part's matches, each query's sorted by distance, then id."""
    if found:
        numbers, ids, distances = (np.concatenate(column) for column in zip(*found, strict=True))
    else:
        numbers = ids = np.empty(0, np.int64)
        distances = np.empty(0, np.int32)
    order = np.lexsort((ids, distances, numbers))
    offsets = np.zeros(query_count + 1, np.int64)
    np.cumsum(np.bincount(numbers, minlength=query_count), out=offsets[1:])
    return Matches(offsets, ids[order], distances[order].astype(np.int32))


def _checked_radius(radius, field: str) -> int:
    try:
        value = operator.index(radius)
    except TypeError:
        raise InvalidInput(field, f"expected a whole number of bits, got {radius!r}") from None
    if isinstance(radius, bool) or not 0 <= value <= MAX_RADIUS:
        raise InvalidInput(field, f"must be between 0 and {MAX_RADIUS} bits, not {radius!r}")
    return value


def _checked_threads(threads: int | None) -> int:
    available = numba.config.NUMBA_NUM_THREADS
    if threads is None:
        return available
    if isinstance(threads, bool) or not isinstance(threads, int) or threads < 1:
        raise InvalidInput("threads", f"expected a positive whole number, got {threads!r}")
    return min(threads, available)  # numba cannot start more threads than at import


def _checked_layout(chunks: int | None, chunk_bits: int | None) -> Layout | None:
    if chunks is None and chunk_bits is None:
        return None
    if chunks is None or chunk_bits is None:
        raise InvalidInput("chunks", "give both chunks and chunk_bits, or neither")
    if not 1 <= chunks <= HASH_BITS:
        raise InvalidInput("chunks", f"must be between 1 and {HASH_BITS}, not {chunks}")
    widest = min(MAX_CHUNK_BITS, HASH_BITS // chunks)
    if not 1 <= chunk_bits <= widest:
        raise InvalidInput(
            "chunk_bits", f"must be between 1 and {widest} for {chunks} chunks, not {chunk_bits}"
        )
    return Layout(chunks, chunk_bits)


@contextmanager
def _numba_threads(threads: int):
    """numba's thread count for kernels launched from this thread, restored afterwards."""
    before = numba.get_num_threads()
    numba.set_num_threads(threads)
    try:
        yield
    finally:
        numba.set_num_threads(before)
