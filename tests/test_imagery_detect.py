"""The change-detection science on arrays, on synthetic scenes made here: planted changes
that must be found, known shifts that must be recovered, noise that must not be flagged."""

from __future__ import annotations

import json

import numpy as np
import pytest
from scipy import ndimage

from siteline.errors import InvalidInput
from siteline.imagery import colour_structure, thresholds
from siteline.imagery.detect import change_score, detect_change, detect_change_stacks
from siteline.imagery.registration import apply_shift, estimate_shift, register

SIZE = 128


def textured_scene(seed: int, bands: int = 3, size: int = SIZE) -> np.ndarray:
    """uint8 (bands, size, size): fields, texture and a few bright blocks, like a town from above."""
    rng = np.random.default_rng(seed)
    broad = ndimage.gaussian_filter(rng.normal(size=(size, size)), 8)
    fine = ndimage.gaussian_filter(rng.normal(size=(size, size)), 1.5)
    grey = 110 + 400 * broad + 25 * fine
    for _ in range(6):
        top, left = rng.integers(0, size - 16, 2)
        grey[top : top + 12, left : left + 16] += 50
    tints = np.linspace(0.9, 1.1, bands)[:, None, None]
    return np.clip(grey[None] * tints, 0, 255).astype(np.uint8)


def with_noise(image: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    noisy = image + np.random.default_rng(seed).normal(0, sigma, image.shape)
    return np.clip(noisy, 0, 255).astype(np.uint8)


def disc(size: int, centre: tuple[int, int], radius: int) -> np.ndarray:
    rows, cols = np.ogrid[:size, :size]
    return (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2


def f1(predicted: np.ndarray, truth: np.ndarray) -> float:
    tp = np.count_nonzero(predicted & truth)
    return 2 * tp / (np.count_nonzero(predicted) + np.count_nonzero(truth))


def test_a_planted_crater_is_found_in_an_rgb_pair():
    before = textured_scene(1)
    crater = disc(SIZE, (60, 70), 12)
    after = with_noise(before, 2, seed=2).astype(np.float64)
    after[:, crater] = 35 + np.random.default_rng(3).normal(0, 4, (3, int(crater.sum())))
    detection = detect_change(before, after.clip(0, 255).astype(np.uint8), "rgb")
    assert detection.operator == "colour-structure"
    assert detection.changed[crater].mean() > 0.9
    assert detection.changed[~disc(SIZE, (60, 70), 30)].mean() < 0.02


def test_a_no_change_pair_is_almost_never_flagged_whatever_the_sensor():
    scene = textured_scene(4)
    brighter = np.clip(scene * 0.8 + 30, 0, 255)  # another sun, same place
    rgb = detect_change(with_noise(scene, 3, 5), with_noise(brighter, 3, 6), "rgb")
    assert rgb.changed.mean() < 0.01
    bands6 = textured_scene(7, bands=6).astype(np.float64)
    multispectral = detect_change(
        bands6 + noise(bands6, 2, 8), 0.9 * bands6 + 5 + noise(bands6, 2, 9), "multispectral"
    )
    assert multispectral.changed.mean() < 0.01
    radar = textured_scene(10, bands=1).astype(np.float64) + 20
    sar = detect_change(radar * speckle(radar, 11), radar * speckle(radar, 12), "sar")
    assert sar.changed.mean() < 0.03


def noise(image: np.ndarray, sigma: float, seed: int) -> np.ndarray:
    return np.random.default_rng(seed).normal(0, sigma, image.shape)


def speckle(image: np.ndarray, seed: int, looks: int = 4) -> np.ndarray:
    """Multiplicative gamma speckle of mean 1, as in an L-look intensity image."""
    return np.random.default_rng(seed).gamma(looks, 1 / looks, image.shape)


def test_a_known_sub_pixel_shift_is_recovered_within_a_tenth_of_a_pixel():
    before = textured_scene(13).astype(np.float64)
    valid = np.ones((SIZE, SIZE), dtype=bool)
    for true in [(0.3, -0.7), (2.25, 1.6), (-1.45, 0.05)]:
        after = np.stack([ndimage.shift(band, true, order=3, mode="nearest") for band in before])
        (rows, cols), aligned, unaligned = estimate_shift(before, after, valid)
        assert abs(rows - true[0]) < 0.1 and abs(cols - true[1]) < 0.1
        assert aligned > unaligned
        detection = detect_change(before, after, "rgb")
        assert np.allclose(detection.shift, true, atol=0.1)
        assert detection.parameters["registration"]["applied"] is True


def test_shifted_in_pixels_are_marked_not_valid():
    image = textured_scene(14).astype(np.float64)
    moved, valid = apply_shift(image, np.ones((SIZE, SIZE), dtype=bool), (2.5, -1.5))
    assert moved.shape == image.shape
    assert not valid[-3:, :].any() and not valid[:, :2].any()  # came in from outside
    assert valid[10:-10, 10:-10].all()


def test_registration_refuses_an_offset_between_unrelated_images():
    first, second = textured_scene(15).astype(np.float64), textured_scene(16).astype(np.float64)
    after, _, shift, record = register(first, second, np.ones((SIZE, SIZE), dtype=bool))
    assert record["applied"] is False and "reason" in record
    assert shift == (0.0, 0.0) and after is second


def planted_radar_change(seed: int):
    scene = textured_scene(seed, bands=1).astype(np.float64) + 20
    flooded = disc(SIZE, (70, 50), 18)
    changed = scene.copy()
    changed[:, flooded] *= 0.35  # open water returns little
    return scene, changed, flooded


def test_log_ratio_beats_plain_difference_on_speckled_radar():
    scene, changed, flooded = planted_radar_change(17)
    before, after = scene * speckle(scene, 18), changed * speckle(scene, 19)
    ratio = detect_change(before, after, "sar")
    difference = detect_change(before, after, "sar", operator="difference", floor_sigmas=None)
    assert ratio.operator == "log-ratio"
    assert f1(ratio.changed, flooded) > 0.8
    assert f1(ratio.changed, flooded) > f1(difference.changed, flooded) + 0.2


def test_a_welch_t_stack_finds_the_change_better_than_one_pair():
    scene, changed, flooded = planted_radar_change(20)
    before = np.stack([scene * speckle(scene, 30 + i, looks=1) for i in range(5)])
    after = np.stack([changed * speckle(scene, 40 + i, looks=1) for i in range(5)])
    stacked = detect_change_stacks(before, after, "sar")
    single = detect_change(before[0], after[0], "sar")
    assert stacked.operator == "welch-t" and stacked.parameters["scenes"] == [5, 5]
    assert f1(stacked.changed, flooded) > 0.8
    assert f1(stacked.changed, flooded) > f1(single.changed, flooded)


def test_multispectral_change_survives_a_change_of_gain_between_dates():
    before = textured_scene(21, bands=6).astype(np.float64)
    field = np.zeros((SIZE, SIZE), dtype=bool)
    field[20:50, 70:110] = True
    after = 0.7 * before + 12 + noise(before, 1.5, 22)
    after[:, field] = after[:, field][::-1] * 0.5 + 40  # new land cover: another spectrum
    detection = detect_change(before + noise(before, 1.5, 23), after, "multispectral")
    assert detection.parameters["radiometry"]["method"] == "regression"
    assert f1(detection.changed, field) > 0.9


def test_not_valid_pixels_have_no_score_and_no_change():
    before, after = textured_scene(24).astype(np.float64), textured_scene(25).astype(np.float64)
    valid = np.ones((SIZE, SIZE), dtype=bool)
    valid[:, :20] = False
    after[0, 5, 30] = np.nan
    detection = detect_change(before, after, "rgb", valid=valid, register=False)
    assert np.isnan(detection.score[:, :20]).all() and np.isnan(detection.score[5, 30])
    assert not detection.changed[~np.isfinite(detection.score)].any()
    assert detection.score.dtype == np.float32 and detection.changed.dtype == bool


def test_results_are_deterministic_and_the_parameters_are_json():
    before, after = textured_scene(26), textured_scene(27)
    first = detect_change(before, after, "rgb")
    second = detect_change(before.copy(), after.copy(), "rgb")
    assert first.score.tobytes() == second.score.tobytes()
    assert first.changed.tobytes() == second.changed.tobytes()
    assert json.dumps(first.parameters, sort_keys=True) == json.dumps(
        second.parameters, sort_keys=True
    )
    score, operator, parameters = change_score(before, after, "rgb")
    assert score.tobytes() == first.score.tobytes() and operator == first.operator
    assert parameters["threshold_floors"] == {"floor_sigmas": None, "min_threshold": None}


def test_a_windowed_histogram_gives_the_whole_image_threshold():
    score = np.concatenate(
        [np.random.default_rng(28).normal(0, 1, 5000), np.random.default_rng(29).normal(6, 1, 800)]
    )
    edges = thresholds.histogram_edges(-5, 11, 128)
    halves = [
        thresholds.score_histogram(part, edges=edges) for part in (score[:2900], score[2900:])
    ]
    counts, summed_edges = thresholds.add_histograms(*halves)
    whole_counts, _ = thresholds.score_histogram(score, edges=edges)
    assert np.array_equal(counts, whole_counts)
    for method in thresholds.THRESHOLD_METHODS:
        assert 2 < thresholds.threshold_from_histogram(counts, summed_edges, method) < 5
    with pytest.raises(InvalidInput, match="different bin edges"):
        thresholds.add_histograms(halves[0], thresholds.score_histogram(score, bins=64))


def test_threshold_floors_keep_pure_noise_unflagged():
    counts, edges = thresholds.score_histogram(np.random.default_rng(30).normal(0, 1, 20000))
    plain = thresholds.threshold_from_histogram(counts, edges, "otsu")
    guarded = thresholds.threshold_from_histogram(counts, edges, "otsu", floor_sigmas=3.0)
    assert plain < 1 and 2.8 < guarded < 3.2
    assert thresholds.threshold_from_histogram(counts, edges, "otsu", min_threshold=10) == 10


def test_ssim_and_noise_helpers_behave():
    image = textured_scene(31).astype(np.float64)
    assert np.abs(colour_structure.structural_dissimilarity(image, image, 5)).max() < 1e-6
    noisy = image[0] + noise(image[0], 4, 32)
    assert 3 < colour_structure.noise_sigma(noisy) < 6


@pytest.mark.parametrize(
    ("before", "after", "sensor", "options", "message"),
    [
        (np.ones((3, 40, 40)), np.ones((3, 40, 41)), "rgb", {}, "not one grid"),
        (np.ones((3, 40, 40)), np.ones((4, 40, 40)), "multispectral", {}, "4 bands, before has 3"),
        (np.ones((3, 40, 40)), np.ones((3, 40, 40)), "lidar", {}, "unknown sensor"),
        (np.ones((4, 40, 40)), np.ones((4, 40, 40)), "rgb", {}, "needs 3 bands"),
        (np.ones((40, 40)), np.ones((40, 40)), "sar", {}, "expected an array of"),
        (textured_scene(33), np.full((3, SIZE, SIZE), 7), "rgb", {}, "one constant value"),
        (
            textured_scene(33),
            textured_scene(34),
            "rgb",
            {"valid": np.zeros((SIZE, SIZE), bool)},
            "no pixel is valid",
        ),
        (
            textured_scene(33),
            textured_scene(34),
            "rgb",
            {"threshold_methd": "otsu"},
            "unknown option",
        ),
        (textured_scene(33), textured_scene(34), "rgb", {"operator": "magic"}, "unknown operator"),
        (
            textured_scene(33),
            textured_scene(34),
            "rgb",
            {"threshold_method": "guess"},
            "unknown method",
        ),
        (-textured_scene(33, 1).astype(float), textured_scene(34, 1), "sar", {}, "in dB"),
    ],
)
def test_bad_input_is_refused_with_a_clear_message(before, after, sensor, options, message):
    with pytest.raises(InvalidInput, match=message):
        detect_change(before, after, sensor, **options)


def test_a_stack_needs_two_scenes_per_period():
    scene = textured_scene(35, bands=1)[None]
    with pytest.raises(InvalidInput, match="at least 2 scenes"):
        detect_change_stacks(scene, np.concatenate([scene, scene]), "sar")


def test_an_optical_stack_flags_the_change_and_little_else():
    rng = np.random.default_rng(36)
    base = textured_scene(37, bands=4).astype(np.float64)
    before = np.stack([base + rng.normal(0, 3, base.shape) for _ in range(3)])
    after = np.stack([base + rng.normal(0, 3, base.shape) for _ in range(3)])
    block = np.zeros((SIZE, SIZE), dtype=bool)
    block[30:60, 30:60] = True
    quiet = detect_change_stacks(before, after, "multispectral")
    after[:, :, block] += 40
    stacked = detect_change_stacks(before, after, "multispectral")
    assert quiet.changed.mean() < 0.02
    assert f1(stacked.changed, block) > 0.8
    assert stacked.parameters["threshold"]["min_threshold"] == thresholds.t_floor(3, 3, 4, 0.01)


def test_a_fixed_threshold_and_small_regions_are_honoured():
    scene, changed, flooded = planted_radar_change(38)
    before, after = scene * speckle(scene, 39), changed * speckle(scene, 40)
    fixed = detect_change(before, after, "sar", threshold_method="fixed", threshold_value=0.5)
    assert fixed.threshold == 0.5 and fixed.threshold_method == "fixed"
    cleaned = detect_change(before, after, "sar", min_region=50)
    plain = detect_change(before, after, "sar")
    assert cleaned.changed.sum() <= plain.changed.sum()
    assert f1(cleaned.changed, flooded) >= f1(plain.changed, flooded)
    with pytest.raises(InvalidInput, match="needs threshold_value"):
        detect_change(before, after, "sar", threshold_method="fixed")
