"""Hash sets (siteline-pdq-set/1) on photos of our own making: every change a re-posted copy
goes through is matched in both orders, where plain PDQ misses the crops, borders and bands;
unrelated pictures and flat pictures never match; crops are hashed exactly as pdqhash would;
borders and caption bands are cut; bad input is refused by name."""

from __future__ import annotations

import itertools

import numpy as np
import pytest

from siteline.errors import InvalidInput
from siteline.media import robust
from siteline.media.pdq import (
    QUALITY_FLOOR,
    decode_for_hash,
    hash_image_bytes,
    hash_pixels,
    hex_distance,
    open_image,
)
from siteline.media.robust_decode import trimmed_from_file
from siteline.media.robust_frames import hex_to_bits
from siteline.media.robust_trim import trim_flat_edges
from siteline.media.synthetic import (
    CHANGES,
    ORIGINAL_QUALITY,
    bordered,
    caption_band,
    crop,
    frame_to_aspect,
    jpeg_bytes,
    scene,
)

SEEDS = (3, 11, 27)
# Changes that move or frame the picture: plain PDQ loses every one of these copies.
PDQ_MISSES = {
    "cropped 5 % per side",
    "cropped 10 % per side",
    "cropped 10 % on one side",
    "10 % black border",
    "10 % white border",
    "10 % border, random colour",
    "letterbox: bars above/below (9:16)",
    "pillarbox: bars left/right (16:9)",
    "caption band added above",
    "caption band added below",
    "mirrored",
    "cropped 5 % + JPEG q=60",
    "cropped 5 % + caption band added below",
    "10 % black border + scaled to 50 %",
}


@pytest.fixture(scope="module")
def originals() -> dict[int, tuple[bytes, robust.HashSet]]:
    files = {seed: jpeg_bytes(scene(seed), ORIGINAL_QUALITY) for seed in SEEDS}
    return {
        seed: (data, robust.hash_set(data, f"original-{seed}.jpg")) for seed, data in files.items()
    }


def test_the_changes_named_as_missed_by_pdq_exist():
    assert PDQ_MISSES.issubset(change.name for change in CHANGES)


@pytest.mark.parametrize("change", CHANGES, ids=lambda change: change.name)
def test_every_change_is_matched_in_both_orders(change, originals):
    for seed in SEEDS:
        original_data, original = originals[seed]
        rng = np.random.default_rng([seed, 5])
        copy_data = jpeg_bytes(change.make(scene(seed), rng), change.quality)
        copy = robust.hash_set(copy_data, "copy.jpg")
        assert robust.best_match(copy, original) is not None, (change.name, seed)
        assert robust.best_match(original, copy) is not None, (change.name, seed)
        if change.name in PDQ_MISSES:
            plain = hex_distance(
                hash_image_bytes(copy_data, "copy.jpg").hex,
                hash_image_bytes(original_data, "original.jpg").hex,
            )
            assert plain > robust.MATCH_RADIUS, (change.name, seed, plain)


def test_a_crop_of_10_percent_per_side_finds_the_inner_part(originals):
    _, original = originals[SEEDS[0]]
    copy = robust.hash_set(jpeg_bytes(crop(scene(SEEDS[0]), 0.1, 0.1, 0.1, 0.1), 85), "c.jpg")
    match = robust.best_match(copy, original)
    assert match is not None and match.stored == "inner10" and match.probe == "whole"
    assert match.distance <= robust.MATCH_RADIUS


def test_unrelated_pictures_do_not_match(originals):
    sets = [hash_set for _, hash_set in originals.values()]
    sets += [robust.hash_set(jpeg_bytes(scene(seed), 85), "other.jpg") for seed in (40, 41, 42)]
    for first, second in itertools.combinations(sets, 2):
        assert robust.sets_match(first, second) is None
        # Far from it, not just beyond the radius.
        assert robust.sets_match(first, second, radius=55) is None


def test_the_set_names_its_pipeline_and_variants(originals):
    data, hashed = originals[SEEDS[0]]
    assert hashed.pipeline == robust.SET_PIPELINE == "siteline-pdq-set/1"
    variants = [item.variant for item in hashed.stored]
    assert {"whole", "inner10", "upper85", "lower85"} <= set(variants)
    assert set(variants) <= {"whole", "trimmed", "inner10", "upper85", "lower85"}
    assert len(variants) <= robust.STORED_MAX
    # `whole` is the canonical hash itself, so sets and single hashes can be compared.
    assert hashed.variant("whole").hex == hash_image_bytes(data, "o.jpg").hex
    record = hashed.record()
    assert record["pipeline"] == "siteline-pdq-set/1"
    assert [row["variant"] for row in record["variants"]] == variants
    assert all(len(row["pdq"]) == 64 for row in record["variants"])
    labels = hashed.probe_labels
    assert len(labels) == len(set(labels)) == len(hashed.probe_bits)
    assert "crop t2.5 b0 l10 r5" in labels and "whole/flip_x" in labels
    assert labels[: len(variants)] == tuple(variants)


def test_crops_are_hashed_exactly_as_pdqhash_hashes_each_crop():
    pixels = scene(5)[::2, ::2]  # 320 × 240, as the canonical pipeline decodes 640 × 480
    hashed = robust.hash_set(pixels, "pixels")
    height, width = pixels.shape[:2]
    by_label = dict(zip(hashed.probe_labels, hashed.probe_bits, strict=True))
    for t, b, le, r in [(0.025, 0, 0.1, 0.05), (0.125, 0.125, 0.125, 0.125), (0, 0.075, 0, 0)]:
        label = f"crop t{t * 100:g} b{b * 100:g} l{le * 100:g} r{r * 100:g}"
        part = pixels[
            round(height * t) : height - round(height * b),
            round(width * le) : width - round(width * r),
        ]
        expected = hex_to_bits(hash_pixels(part).hex)
        # Equal but for a coefficient tied with the median within float rounding.
        assert np.unpackbits(expected ^ by_label[label]).sum() <= 2, label


def test_flat_pictures_are_kept_but_never_matched():
    grey = np.full((240, 320, 3), 128, dtype=np.uint8)
    hashed = robust.hash_set(grey, "grey")
    assert hashed.stored and all(item.quality < QUALITY_FLOOR for item in hashed.stored)
    assert not any(item.matchable for item in hashed.stored)
    assert (hashed.probe_quality < QUALITY_FLOOR).all()
    assert robust.sets_match(hashed, robust.hash_set(grey.copy(), "grey again")) is None


def test_bad_input_is_refused_naming_the_file():
    for data in (b"this is not an image", b""):
        with pytest.raises(InvalidInput) as refused:
            robust.hash_set(data, "notes.txt")
        assert refused.value.field == "notes.txt"
    with pytest.raises(InvalidInput) as refused:
        robust.hash_set(np.zeros((10, 10), dtype=np.uint8), "frame-3")
    assert refused.value.field == "frame-3"


@pytest.mark.parametrize("colour", [(0, 0, 0), (255, 255, 255), (40, 150, 90)])
def test_borders_of_any_colour_are_cut(colour):
    pixels = scene(1)[::2, ::2]
    framed = bordered(pixels, 0.1, colour)
    assert trim_flat_edges(framed).shape == pixels.shape


@pytest.mark.parametrize("at_top", [True, False])
def test_caption_bands_are_cut(at_top):
    pixels = scene(1)[::2, ::2]
    banded = caption_band(pixels, np.random.default_rng(4), at_top=at_top)
    assert banded.shape[0] > pixels.shape[0]
    assert trim_flat_edges(banded).shape == pixels.shape


def test_black_bars_above_a_night_sky_are_cut():
    night = scene(69)
    assert night[:20].mean() < 30  # the scene of this seed has a dark sky
    framed = frame_to_aspect(night, 9 / 16)
    assert trim_flat_edges(framed).shape == night.shape


def test_a_framed_file_is_trimmed_from_a_decode_as_fine_as_its_picture_alone():
    # A 9:16 frame lets the canonical pipeline decode at a quarter; the picture alone
    # (640 × 480) is decoded at half, and so is the trimmed picture.
    data = jpeg_bytes(frame_to_aspect(scene(3), 9 / 16), 85)
    canonical = decode_for_hash(open_image(data, "story.jpg"), "story.jpg")
    assert canonical.shape[:2] == (285, 160)
    height, width, _ = trimmed_from_file(data, "story.jpg", canonical).shape
    assert width == 320 and abs(height - 240) <= 2  # a row of the bars' edge may stay


def test_a_picture_without_border_is_left_whole():
    for seed in (1, 2, 7):
        pixels = scene(seed)
        assert trim_flat_edges(pixels).shape == pixels.shape
    flat = np.zeros((100, 100, 3), dtype=np.uint8)
    assert trim_flat_edges(flat).shape == flat.shape


def test_scenes_are_made_from_their_seed_alone():
    assert np.array_equal(scene(8), scene(8))
    assert not np.array_equal(scene(8), scene(9))
    assert scene(8, 200, 100).shape == (100, 200, 3)
