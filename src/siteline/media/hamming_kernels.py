"""Compiled kernels behind `siteline.media.hamming_index`: table building, probing, scanning.

Hashes are rows of four uint64 words; bit i of a hash is bit i % 64 of word i // 64. A
chunk is `width` consecutive bits starting at bit `start` (it may straddle two words).

A layout's tables come as one tuple, `(starts, width, flips, masks, mask_counts, offsets,
rows)`: the first bit of each chunk, the chunk width, each chunk's flip budget (-1: not
probed), every key difference to probe ordered by bits set (the first `mask_counts[s]` have
at most s), and per chunk c the CSR bucket table: `rows[c, offsets[c, k]:offsets[c, k + 1]]`
are the rows whose chunk c is k, in increasing order.

Search kernels write into `out = (out_rows, out_distances, counts)`: `out_rows[q, :capacity]`
and `out_distances[q, :capacity]` take the first `capacity` matches of query q, and
`counts[q]` the number of matches, which may exceed `capacity`; the caller then searches
that query again with room for all of them. Matches come in no particular order.

The kernels run in parallel over queries (or over chunks when building) on numba's
threads, release the GIL, and are cached on disk where the package folder is writable.
"""

from __future__ import annotations

import numba
import numpy as np
from llvmlite import ir
from numba import types
from numba.core import cgutils
from numba.extending import intrinsic

# The scan compares a block of queries with a block of hashes small enough to stay in the
# L2 cache, so that memory is read once per query block rather than once per query.
SCAN_HASH_BLOCK = 4096
SCAN_QUERY_BLOCK = 16
# Probing works through buckets and candidates in blocks, reading ahead with prefetches:
# at 10 million hashes the time goes to waiting on memory, and independent reads overlap.
PROBE_BLOCK = 64
CANDIDATE_BLOCK = 256
ROWS_AHEAD = 8  # buckets whose rows are requested before they are copied
HASHES_AHEAD = 16  # candidates whose hashes are requested before they are compared

_ONE = np.uint64(1)


@intrinsic
def _popcount(typingctx, value):
    """The CPU's population count of a uint64 (numba has no popcount of its own)."""
    if value != types.uint64:
        return None

    def codegen(context, builder, signature, args):
        return builder.ctpop(args[0])

    return types.uint64(types.uint64), codegen


@intrinsic
def _prefetch(typingctx, array, row, column):
    """Asks the CPU to start loading array[row, column] into cache; never faults."""
    if not (isinstance(array, types.Array) and array.ndim == 2):
        return None

    def codegen(context, builder, signature, args):
        array_type = signature.args[0]
        view = context.make_array(array_type)(context, builder, args[0])
        indices = [context.cast(builder, args[i], signature.args[i], types.intp) for i in (1, 2)]
        address = cgutils.get_item_pointer(
            context, builder, array_type, view, indices, wraparound=False, boundscheck=False
        )
        bytes_pointer = ir.IntType(8).as_pointer()
        int32 = ir.IntType(32)
        prefetch_type = ir.FunctionType(ir.VoidType(), [bytes_pointer, int32, int32, int32])
        prefetch = cgutils.get_or_insert_function(builder.module, prefetch_type, "llvm.prefetch.p0")
        # Arguments: a read (0), keep in all cache levels (3), data rather than code (1).
        flags = [ir.Constant(int32, value) for value in (0, 3, 1)]
        builder.call(prefetch, [builder.bitcast(address, bytes_pointer), *flags])
        return context.get_dummy_value()

    return types.none(array, row, column), codegen


@numba.njit(inline="always")
def _distance(query, hashes, row):
    """Hamming distance between a query (four words) and row `row` of `hashes`."""
    return np.int64(
        _popcount(query[0] ^ hashes[row, 0])
        + _popcount(query[1] ^ hashes[row, 1])
        + _popcount(query[2] ^ hashes[row, 2])
        + _popcount(query[3] ^ hashes[row, 3])
    )


@numba.njit(inline="always")
def _chunk_key(words, start, width):
    """The `width` bits of a hash (four words) from bit `start` on, as an integer."""
    word = start >> 6
    shift = start & 63
    value = words[word] >> np.uint64(shift)
    if shift + width > 64:
        value |= words[word + 1] << np.uint64(64 - shift)
    return np.int64(value & ((_ONE << np.uint64(width)) - _ONE))


@numba.njit(inline="always")
def _found_earlier(query, candidate, tables, chunk):
    """Whether an earlier chunk's probes reach the candidate too, and so report it.

    This rule reports each match exactly once without remembering what was seen.
    """
    starts, width, flips = tables[0], tables[1], tables[2]
    for earlier in range(chunk):
        if flips[earlier] >= 0:
            difference = _chunk_key(query, starts[earlier], width) ^ _chunk_key(
                candidate, starts[earlier], width
            )
            if np.int64(_popcount(np.uint64(difference))) <= flips[earlier]:
                return True
    return False


@numba.njit(inline="always")
def _verify(q, query, hashes, tables, chunk, candidates, count, radius, found, out):
    """Records the candidates within radius that no earlier chunk reports; returns the count."""
    out_rows, out_distances = out[0], out[1]
    for i in range(count):
        if i + HASHES_AHEAD < count:
            _prefetch(hashes, candidates[i + HASHES_AHEAD], 0)
        row = candidates[i]
        distance = _distance(query, hashes, row)
        if distance <= radius and not _found_earlier(query, hashes[row], tables, chunk):
            if found < out_rows.shape[1]:
                out_rows[q, found] = row
                out_distances[q, found] = distance
            found += 1
    return found


@numba.njit(nogil=True, cache=True)
def _probe_query(q, query, hashes, tables, radius, out):
    """Probes every chunk's buckets within its flip budget of one query; returns the count.

    Blocks of buckets go in three passes that each start many independent memory reads:
    bucket bounds, then the rows in those buckets, then the candidates' hashes.
    """
    starts, width, flips, masks, mask_counts, offsets, rows = tables
    lows = np.empty(PROBE_BLOCK, np.int64)
    highs = np.empty(PROBE_BLOCK, np.int64)
    candidates = np.empty(CANDIDATE_BLOCK, np.int64)
    found = 0
    for chunk in range(starts.shape[0]):
        if flips[chunk] < 0:
            continue
        key = _chunk_key(query, starts[chunk], width)
        probes = mask_counts[min(flips[chunk], width)]
        waiting = 0
        for first in range(0, probes, PROBE_BLOCK):
            block = min(probes - first, PROBE_BLOCK)
            for i in range(block):
                bucket = key ^ masks[first + i]
                lows[i] = offsets[chunk, bucket]
                highs[i] = offsets[chunk, bucket + 1]
            for i in range(block):
                if i + ROWS_AHEAD < block:
                    _prefetch(rows, chunk, lows[i + ROWS_AHEAD])
                for position in range(lows[i], highs[i]):
                    if waiting == CANDIDATE_BLOCK:
                        found = _verify(
                            q, query, hashes, tables, chunk, candidates, waiting, radius, found, out
                        )
                        waiting = 0
                    candidates[waiting] = rows[chunk, position]
                    waiting += 1
        found = _verify(q, query, hashes, tables, chunk, candidates, waiting, radius, found, out)
    return found


@numba.njit(parallel=True, nogil=True, cache=True)
def probe_search(queries, hashes, tables, radius, out):
    """Multi-index search of every query; see the module docstring."""
    counts = out[2]
    for q in numba.prange(queries.shape[0]):
        counts[q] = _probe_query(q, queries[q], hashes, tables, radius, out)


@numba.njit(parallel=True, nogil=True, cache=True)
def scan_search(queries, hashes, radius, out):
    """Compares every query with every hash; see the module docstring."""
    out_rows, out_distances, counts = out
    blocks = (queries.shape[0] + SCAN_QUERY_BLOCK - 1) // SCAN_QUERY_BLOCK
    for block in numba.prange(blocks):
        first = block * SCAN_QUERY_BLOCK
        last = min(queries.shape[0], first + SCAN_QUERY_BLOCK)
        counts[first:last] = 0
        for low in range(0, hashes.shape[0], SCAN_HASH_BLOCK):
            high = min(hashes.shape[0], low + SCAN_HASH_BLOCK)
            for q in range(first, last):
                query = queries[q]
                found = counts[q]
                for row in range(low, high):
                    distance = _distance(query, hashes, row)
                    if distance <= radius:
                        if found < out_rows.shape[1]:
                            out_rows[q, found] = row
                            out_distances[q, found] = distance
                        found += 1
                counts[q] = found


@numba.njit(parallel=True, nogil=True, cache=True)
def build_tables(hashes, starts, width, offsets, rows):
    """Fills each chunk's CSR bucket table (zeroed `offsets`, any `rows`) by counting sort.

    The offsets serve as the write cursors too, which leaves each pointing at the next
    bucket's start; shifting them back one place restores them. No scratch memory.
    """
    buckets = 1 << width
    for chunk in numba.prange(starts.shape[0]):
        start = starts[chunk]
        for row in range(hashes.shape[0]):
            offsets[chunk, _chunk_key(hashes[row], start, width) + 1] += 1
        for bucket in range(buckets):
            offsets[chunk, bucket + 1] += offsets[chunk, bucket]
        for row in range(hashes.shape[0]):
            key = _chunk_key(hashes[row], start, width)
            rows[chunk, offsets[chunk, key]] = row
            offsets[chunk, key] += 1
        for bucket in range(buckets - 1, 0, -1):
            offsets[chunk, bucket] = offsets[chunk, bucket - 1]
        offsets[chunk, 0] = 0
