"""The Hamming-radius index over 256-bit hashes: exact against a brute-force scan."""

from __future__ import annotations

import numpy as np
import pytest

from siteline.errors import InvalidInput
from siteline.media.hamming_index import (
    RESULT_CAPACITY,
    HammingIndex,
    Layout,
    flip_budgets,
    from_hex,
    hamming,
    pack_bits,
    to_hex,
    unpack_bits,
)

HASHES = 60_000
QUERIES = 48
FARTHEST_PLANTED = 40  # neighbours planted at every distance 0..40, one of each per query


def random_hashes(rng: np.random.Generator, count: int) -> np.ndarray:
    return rng.integers(0, 2**64, (count, 4), dtype=np.uint64)


def at_distance(rng: np.random.Generator, hash_: np.ndarray, distance: int) -> np.ndarray:
    """A copy of the hash with `distance` of its bits, chosen at random, flipped."""
    bits = unpack_bits(hash_[None])[0]
    flipped = rng.choice(256, distance, replace=False)
    bits[flipped] ^= 1
    return pack_bits(bits[None])[0]


@pytest.fixture(scope="module")
def data() -> tuple[np.ndarray, np.ndarray]:
    """Random hashes with, for each query, a neighbour at every distance 0..40 planted at a
    random row (random hashes are almost never within 40 bits of each other)."""
    rng = np.random.default_rng(2024)
    hashes = random_hashes(rng, HASHES)
    queries = random_hashes(rng, QUERIES)
    rows = rng.choice(HASHES, QUERIES * (FARTHEST_PLANTED + 1), replace=False)
    for number, row in enumerate(rows):
        query, distance = divmod(number, FARTHEST_PLANTED + 1)
        hashes[row] = at_distance(rng, queries[query], distance)
    return hashes, queries


def brute_force(hashes: np.ndarray, queries: np.ndarray, radius: int) -> list[list[tuple]]:
    """Each query's (distance, id) pairs within radius, sorted, by numpy over every hash."""
    results = []
    for query in queries:
        distances = np.bitwise_count(hashes ^ query).sum(axis=1)
        ids = np.flatnonzero(distances <= radius)
        results.append(sorted(zip(distances[ids].tolist(), ids.tolist(), strict=True)))
    return results


def as_pairs(matches) -> list[list[tuple]]:
    return [list(zip(distances.tolist(), ids.tolist(), strict=True)) for ids, distances in matches]


def test_finds_exactly_the_hashes_within_radius(data):
    hashes, queries = data
    index = HammingIndex(hashes)
    assert all(part["chunks"] > 0 for part in index.layout())  # probed, not scanned
    found = as_pairs(index.search(queries))
    truth = brute_force(hashes, queries, 31)
    assert found == truth  # same ids, same distances, nearest first then by id
    planted_distances = sorted(d for pairs in found for d, _ in pairs)
    assert planted_distances == sorted(list(range(32)) * QUERIES)


def test_distance_32_is_outside_radius_31_and_inside_32(data):
    hashes, queries = data
    index = HammingIndex(hashes)
    assert max(d for pairs in as_pairs(index.search(queries)) for d, _ in pairs) == 31
    wider = as_pairs(index.search(queries, radius=32))
    assert all(pairs[-1][0] == 32 for pairs in wider)


@pytest.mark.parametrize(
    ("chunks", "chunk_bits"),
    [(16, 16), (11, 18), (10, 12), (7, 20), (32, 8), (3, 22)],
    ids=lambda value: str(value),
)
def test_every_chunk_layout_is_exact(data, chunks, chunk_bits):
    hashes, queries = data
    index = HammingIndex(hashes, chunks=chunks, chunk_bits=chunk_bits)
    assert index.layout()[0]["chunks"] == chunks
    radius = 31 if chunks > 3 else 14  # three chunks at 31 would probe millions of keys
    assert as_pairs(index.search(queries, radius=radius)) == brute_force(hashes, queries, radius)


@pytest.mark.parametrize(("chunks", "chunk_bits"), [(11, 22), (12, 16), (9, 20), (16, 16)])
def test_hardest_neighbours_are_found(chunks, chunk_bits):
    """A hash just inside the radius that only one chunk's probes can reach: every other
    chunk differs by one bit more than its flip budget. One such hash per chunk."""
    rng = np.random.default_rng(chunks * 100 + chunk_bits)
    query = random_hashes(rng, 1)[0]
    starts = Layout(chunks, chunk_bits).starts
    budgets = flip_budgets(chunks, 31)
    inside = []
    for reached_by in range(chunks):
        neighbour = query.copy()
        for chunk, (start, budget) in enumerate(zip(starts, budgets, strict=True)):
            differing = budget + (chunk != reached_by)
            for bit in start + rng.choice(chunk_bits, differing, replace=False):
                neighbour[bit // 64] ^= np.uint64(1) << np.uint64(bit % 64)
        assert hamming(neighbour, query) == 31
        inside.append(neighbour)
    hashes = np.concatenate([random_hashes(rng, 5_000), np.array(inside)])
    index = HammingIndex(hashes, chunks=chunks, chunk_bits=chunk_bits)
    ids, distances = index.search(query[None])[0]
    assert sorted(ids.tolist()) == list(range(5_000, 5_000 + chunks))
    assert (distances == 31).all()


def test_layout_with_too_many_keys_to_probe_is_scanned(data):
    hashes, queries = data
    index = HammingIndex(hashes[:5_000], chunks=2, chunk_bits=20)  # 2 million keys at 31
    assert as_pairs(index.search(queries)) == brute_force(hashes[:5_000], queries, 31)


def test_flip_budgets_cover_the_radius():
    for chunks in (1, 7, 11, 16, 33):
        for radius in (0, 5, 31, 64):
            budgets = flip_budgets(chunks, radius)
            assert (budgets + 1).sum() == radius + 1  # the least that keeps the search exact
            assert budgets.max() - budgets.min() <= 1


@pytest.mark.parametrize("radius", [0, 3, 17, 40, 64])
def test_radius_of_each_search_is_honoured(data, radius):
    hashes, queries = data
    index = HammingIndex(hashes)
    assert as_pairs(index.search(queries, radius=radius)) == brute_force(hashes, queries, radius)


def test_radius_given_at_construction_is_the_default(data):
    hashes, queries = data
    index = HammingIndex(hashes, radius=9)
    assert as_pairs(index.search(queries)) == brute_force(hashes, queries, 9)


def test_added_hashes_are_found_without_rebuilding(data):
    hashes, queries = data
    index = HammingIndex(hashes[:20_000], buffer_limit=2_000, merge_fraction=0.5)
    sizes = [1, 1, 500, 3_000, 999, 7, 12_000, 1, 4_000, 9_000, 10_491]  # up to all 60,000
    assert sum(sizes) == HASHES - 20_000
    stored = 20_000
    layouts = []
    for size in sizes:
        ids = index.add(hashes[stored : stored + size])
        assert ids.tolist() == list(range(stored, stored + size))
        stored += size
        assert len(index) == stored
        assert as_pairs(index.search(queries)) == brute_force(hashes[:stored], queries, 31)
        layouts.append(index.layout())
    # The buffer took small adds, parts were made and merged along the way, and no part
    # ever covered what another did.
    assert any(layout[-1]["chunks"] == 0 for layout in layouts)
    assert max(len(layout) for layout in layouts) >= 3
    for layout in layouts:
        starts = [part["first_id"] for part in layout]
        assert starts == sorted(starts) and starts[0] == 0


def test_many_merges_keep_results_exact(data):
    hashes, queries = data
    index = HammingIndex(buffer_limit=500, merge_fraction=0.25, chunks=16, chunk_bits=12)
    for first in range(0, 29_400, 700):
        index.add(hashes[first : first + 700])
    assert len(index.layout()) >= 2
    assert as_pairs(index.search(queries)) == brute_force(hashes[:29_400], queries, 31)


def test_more_matches_than_the_first_result_capacity(data):
    hashes, queries = data
    copies = np.repeat(queries[:3], RESULT_CAPACITY * 3, axis=0)
    index = HammingIndex(np.concatenate([hashes, copies]))
    found = index.search(queries[:5])
    for query in range(3):
        ids, distances = found[query]
        assert (ids >= HASHES).sum() == RESULT_CAPACITY * 3
        assert (distances[: RESULT_CAPACITY * 3] == 0).all()
    assert as_pairs(found) == brute_force(np.concatenate([hashes, copies]), queries[:5], 31)


def test_empty_index_and_empty_queries(data):
    hashes, queries = data
    empty = HammingIndex()
    assert len(empty) == 0 and empty.memory_bytes() == 0
    assert [len(ids) for ids, _ in empty.search(queries[:4])] == [0, 0, 0, 0]
    assert len(HammingIndex(hashes[:100]).search(queries[:0])) == 0


def test_queries_need_not_be_contiguous(data):
    hashes, queries = data
    index = HammingIndex(hashes)
    every_other = queries[::2]
    assert not every_other.flags.c_contiguous
    assert as_pairs(index.search(every_other)) == brute_force(hashes, every_other, 31)


def test_index_keeps_its_own_copy(data):
    hashes, queries = data
    mine = hashes.copy()
    index = HammingIndex(mine)
    before = as_pairs(index.search(queries))
    mine[:] = 0
    assert as_pairs(index.search(queries)) == before
    assert index.memory_bytes() >= hashes.nbytes


def test_hex_round_trip_and_bit_order():
    rng = np.random.default_rng(7)
    hashes = random_hashes(rng, 50)
    texts = to_hex(hashes)
    assert all(len(text) == 64 for text in texts)
    assert np.array_equal(from_hex(texts), hashes)
    assert np.array_equal(from_hex([text.upper() for text in texts]), hashes)
    # The hex is the 256-bit number most significant digit first; word 0 is its low end.
    assert from_hex("8" + "0" * 62 + "1").tolist() == [[1, 0, 0, 1 << 63]]
    for hash_, text in zip(hashes, texts, strict=True):
        number = sum(int(word) << (64 * i) for i, word in enumerate(hash_))
        assert text == f"{number:064x}"


def test_bits_are_read_most_significant_first():
    rng = np.random.default_rng(8)
    bits = rng.integers(0, 2, (20, 256), dtype=np.uint8)
    hashes = pack_bits(bits)
    assert np.array_equal(unpack_bits(hashes), bits)
    # The order of np.packbits: how PDQ bit vectors are written as hex elsewhere.
    assert to_hex(hashes) == [np.packbits(row).tobytes().hex() for row in bits]
    assert to_hex(pack_bits(np.eye(256, dtype=bool)[:1]))[0] == "8" + "0" * 63


def test_hamming_agrees_with_python_integers():
    rng = np.random.default_rng(9)
    first, second = random_hashes(rng, 30), random_hashes(rng, 30)
    as_int = [int(text, 16) for text in to_hex(first)], [int(text, 16) for text in to_hex(second)]
    expected = [(a ^ b).bit_count() for a, b in zip(*as_int, strict=True)]
    assert hamming(first, second).tolist() == expected
    assert hamming(first, first[0]).tolist()[0] == 0
    assert hamming(first[:1], second).tolist() == hamming(second, first[:1]).tolist()


@pytest.mark.parametrize(
    ("call", "field"),
    [
        (lambda: HammingIndex(np.zeros((5, 32), np.uint8)), "hashes"),
        (lambda: HammingIndex(np.zeros((5, 3), np.uint64)), "hashes"),
        (lambda: HammingIndex(np.zeros(4, np.uint64)), "hashes"),
        (lambda: HammingIndex(np.zeros((5, 4), np.int64)), "hashes"),
        (lambda: HammingIndex([[1, 2, 3, 4]]), "hashes"),
        (lambda: HammingIndex().search(np.zeros((2, 4), np.float64)), "queries"),
        (lambda: HammingIndex(radius=-1), "radius"),
        (lambda: HammingIndex(radius=65), "radius"),
        (lambda: HammingIndex(radius=3.5), "radius"),
        (lambda: HammingIndex(radius=True), "radius"),
        (lambda: HammingIndex().search(np.zeros((1, 4), np.uint64), radius=300), "radius"),
        (lambda: HammingIndex(threads=0), "threads"),
        (lambda: HammingIndex(chunks=11), "chunks"),
        (lambda: HammingIndex(chunks=0, chunk_bits=8), "chunks"),
        (lambda: HammingIndex(chunks=16, chunk_bits=17), "chunk_bits"),
        (lambda: HammingIndex(buffer_limit=0), "buffer_limit"),
        (lambda: HammingIndex(merge_fraction=0), "merge_fraction"),
        (lambda: from_hex(["0" * 63]), "hex[0]"),
        (lambda: from_hex(["0" * 64, "0" * 65]), "hex[1]"),
        (lambda: from_hex(["g" + "0" * 63]), "hex[0]"),
        (lambda: from_hex(["00 " + "0" * 61]), "hex[0]"),
        (lambda: from_hex([b"0" * 64]), "hex[0]"),
        (lambda: pack_bits(np.zeros((2, 255), np.uint8)), "bits"),
        (lambda: pack_bits(np.full((2, 256), 2, np.uint8)), "bits"),
        (lambda: hamming(np.zeros((2, 4), np.uint64), np.zeros((2, 4), np.int64)), "second"),
        (lambda: hamming(np.zeros((2, 4), np.uint64), np.zeros((3, 4), np.uint64)), "second"),
        (lambda: hamming(np.zeros((2, 2, 4), np.uint64), np.zeros(4, np.uint64)), "first"),
    ],
)
def test_bad_input_names_what_is_wrong(call, field):
    with pytest.raises(InvalidInput) as raised:
        call()
    assert raised.value.field == field
    assert raised.value.problem
