"""The array helpers the windowed compare leans on for speed, against plain versions of what
they compute: block means, their interpolation back to the pixels, the coarse Gaussian, the
noise estimate, reading a scene on the grid's lattice, the score sample the threshold is
drawn from, and the choice of the changed objects to measure."""

from __future__ import annotations

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin
from rasterio.windows import Window
from scipy import ndimage
from shapely.geometry import box
from skimage.measure import label, regionprops

from siteline.imagery import compare
from siteline.imagery.colour_structure import noise_sigma, structural_dissimilarity
from siteline.imagery.compare import ScoreSample
from siteline.imagery.grid import Grid, _read_translated, _read_warped
from siteline.imagery.scenes import read_scene_info
from siteline.imagery.sitestats import MAX_OBJECTS, changed_objects
from siteline.imagery.smoothing import block_means, smooth, upsample

UTM = "EPSG:32637"
ORIGIN = (333_000.0, 4_009_000.0)

SHAPES = [(64, 64, 4), (130, 77, 4), (101, 33, 2), (5, 9, 3), (4, 4, 4), (3, 2, 2)]


def plain_block_means(values: np.ndarray, factor: int) -> np.ndarray:
    height, width = values.shape
    rows, cols = -(-height // factor), -(-width // factor)
    out = np.empty((rows, cols))
    padded = np.pad(values, ((0, rows * factor - height), (0, cols * factor - width)), "edge")
    for row in range(rows):
        for col in range(cols):
            block = padded[row * factor : (row + 1) * factor, col * factor : (col + 1) * factor]
            out[row, col] = block.mean()
    return out


def plain_upsample(coarse: np.ndarray, factor: int, shape: tuple[int, int]) -> np.ndarray:
    """Pixel by pixel: block centres at (i + 0.5) × factor, bilinear in between, the edge
    block's value beyond the first and last centres."""

    def along(size: int, blocks: int):
        where = np.clip((np.arange(size) + 0.5) / factor - 0.5, 0, blocks - 1)
        low = np.minimum(np.floor(where).astype(int), blocks - 1)
        high = np.minimum(low + 1, blocks - 1)
        return low, high, where - low

    rows, cols = along(shape[0], coarse.shape[0]), along(shape[1], coarse.shape[1])
    out = np.empty(shape)
    for r in range(shape[0]):
        for c in range(shape[1]):
            (r0, r1, wr), (c0, c1, wc) = (x[r] for x in rows), (x[c] for x in cols)
            top = coarse[r0, c0] * (1 - wc) + coarse[r0, c1] * wc
            bottom = coarse[r1, c0] * (1 - wc) + coarse[r1, c1] * wc
            out[r, c] = top * (1 - wr) + bottom * wr
    return out


@pytest.mark.parametrize(("height", "width", "factor"), SHAPES)
def test_block_means_and_their_interpolation_match_the_plain_versions(height, width, factor):
    values = np.random.default_rng(height * width).random((height, width)).astype(np.float32)
    coarse = block_means(values, factor)
    assert coarse.dtype == np.float32
    np.testing.assert_allclose(coarse, plain_block_means(values, factor), atol=1e-6)
    back = upsample(coarse, factor, (height, width))
    assert back.shape == (height, width)
    np.testing.assert_allclose(back, plain_upsample(coarse, factor, (height, width)), atol=1e-6)


def test_a_coarse_gaussian_stays_close_to_the_full_one():
    rng = np.random.default_rng(5)
    values = ndimage.gaussian_filter(rng.normal(size=(256, 256)), 3).astype(np.float32)
    for sigma in (5.0, 8.0):
        full = ndimage.gaussian_filter(values, sigma, mode="reflect")
        error = np.abs(smooth(values, sigma) - full)
        assert error.max() < 0.1 * np.ptp(full), sigma
        assert np.corrcoef(smooth(values, sigma).ravel(), full.ravel())[0, 1] > 0.99


def test_the_noise_estimate_is_the_immerkaer_one_and_blind_to_ramps():
    rng = np.random.default_rng(9)
    rows, cols = np.mgrid[:300, :300]
    ramp = 0.5 * rows + 0.25 * cols
    assert noise_sigma(ramp.astype(np.float32)) < 1e-3
    noisy = ramp + rng.normal(0, 3, ramp.shape)
    kernel = np.array([[1, -2, 1], [-2, 4, -2], [1, -2, 1]])
    response = ndimage.convolve(noisy, kernel)[1:-1, 1:-1]
    immerkaer = np.sqrt(np.pi / 2) * np.abs(response).mean() / 6
    assert noise_sigma(noisy) == pytest.approx(immerkaer, rel=1e-4)
    assert 2.7 < noise_sigma(noisy) < 3.3


def test_structure_dissimilarity_sees_a_new_pattern_whatever_the_scale_of_the_data():
    rng = np.random.default_rng(2)
    scene = ndimage.gaussian_filter(rng.normal(size=(3, 128, 128)), (0, 2, 2)) * 40 + 120
    rotated = scene.copy()
    rotated[:, 40:80, 40:80] = np.rot90(scene[:, 40:80, 40:80], axes=(1, 2))
    changed = structural_dissimilarity(scene, rotated, 5.0)
    assert changed[50:70, 50:70].mean() > 0.3 and changed[:20, :20].max() < 0.01
    # The same pair in other units (a joint gain and offset, as 8 against 16 bits).
    rescaled = structural_dissimilarity(scene * 256 + 1000, rotated * 256 + 1000, 5.0)
    np.testing.assert_allclose(rescaled, changed, atol=1e-4)


def lattice_scene(tmp_path, nodata=None) -> tuple:
    """A 3-band uint8 GeoTIFF of 2 m pixels, with a no-data corner when `nodata` is given."""
    data = np.random.default_rng(3).integers(1, 255, size=(3, 90, 120), dtype=np.uint8)
    if nodata is not None:
        data[:, :10, :15] = nodata
    profile = {"driver": "GTiff", "width": 120, "height": 90, "count": 3, "dtype": "uint8"}
    profile |= {"crs": UTM, "transform": from_origin(*ORIGIN, 2.0, 2.0), "nodata": nodata}
    path = tmp_path / f"scene-{nodata}.tif"
    with rasterio.open(path, "w", **profile) as target:
        target.write(data)
    return path, read_scene_info(path)


def grid_over(left_pixels: float, top_pixels: float, width: int, height: int) -> Grid:
    """A grid of the scene's CRS and pixel size, its corner `left_pixels`, `top_pixels`
    scene pixels from the scene's (negative: beyond the scene)."""
    west, north = ORIGIN[0] + 2.0 * left_pixels, ORIGIN[1] - 2.0 * top_pixels
    transform = tuple(from_origin(west, north, 2.0, 2.0))[:6]
    area = box(west, north - 2.0 * height, west + 2.0 * width, north)
    return Grid(UTM, transform, width, height, 2.0, area.centroid.buffer(10), area)


def bilinear_reference(raw: np.ndarray, usable: np.ndarray, rows, cols):
    """Each band sampled at (rows, cols) in pixel-index units by scipy, and valid where every
    neighbour the interpolation weighs is inside the scene and usable."""
    values = np.stack([ndimage.map_coordinates(band.astype(float), [rows, cols], order=1)
                       for band in raw])  # fmt: skip
    valid = np.ones(rows.shape, bool)
    for row_part in (np.floor(rows), np.ceil(rows)):
        for col_part in (np.floor(cols), np.ceil(cols)):
            r, c = row_part.astype(int), col_part.astype(int)
            inside = (r >= 0) & (r < raw.shape[1]) & (c >= 0) & (c < raw.shape[2])
            valid &= inside
            valid[inside] &= usable[r[inside], c[inside]]
    return values, valid


@pytest.mark.parametrize("nodata", [None, 0])
@pytest.mark.parametrize(
    ("left", "top", "shift"),
    [(10, 5, (0.0, 0.0)), (10.5, 5.25, (0.0, 0.0)), (-6, -4, (0.3, -0.4)), (100, 70, (0.5, 0.5))],
)
def test_reading_on_the_scene_lattice_is_a_bilinear_translation(tmp_path, nodata, left, top, shift):
    """The direct read, inside the scene, across its edges and over its no-data, against
    scipy's bilinear interpolation; where the scene has no no-data, against GDAL's warper too
    (whose uint8 output is rounded)."""
    path, info = lattice_scene(tmp_path, nodata)
    grid = grid_over(left, top, 40, 30)
    where = Window(0, 0, 40, 30)
    with rasterio.open(path) as source:
        direct, direct_valid = _read_translated(source, info, grid, where, shift)
        warped, warped_valid = _read_warped(source, info, grid, where, shift)
        raw = source.read()
        usable = source.dataset_mask() > 0
    assert direct.dtype == np.float32 and direct.shape == (3, 30, 40)
    rows, cols = np.mgrid[:30, :40].astype(float)
    expected, expected_valid = bilinear_reference(raw, usable, rows + top + shift[0],
                                                  cols + left + shift[1])  # fmt: skip
    assert np.array_equal(direct_valid, expected_valid) and direct_valid.any()
    np.testing.assert_allclose(direct[:, direct_valid], expected[:, direct_valid], atol=1e-3)
    if nodata is None:
        both = direct_valid & warped_valid
        np.testing.assert_allclose(direct[:, both], warped[:, both], atol=0.51)


def test_the_score_sample_is_every_score_or_a_regular_lattice_of_the_grid(monkeypatch):
    grid = grid_over(0, 0, 50, 37)
    score = np.random.default_rng(4).random((37, 50)).astype(np.float32)
    score[:3] = np.nan
    windows = list(grid.windows(16))

    def sampled() -> ScoreSample:
        sample = ScoreSample(grid)
        for where in windows:
            rows = slice(int(where.row_off), int(where.row_off + where.height))
            cols = slice(int(where.col_off), int(where.col_off + where.width))
            sample.add(score[rows, cols], where)
        return sample

    every = sampled()
    assert every.step == 1 and np.array_equal(np.sort(every.values()), np.sort(score[3:].ravel()))
    monkeypatch.setattr(compare, "HISTOGRAM_SAMPLE", 200)
    lattice = sampled()
    expected = score[:: lattice.step, :: lattice.step]
    assert lattice.step == 4 and lattice.record()["scores"] == np.isfinite(expected).sum()
    assert np.array_equal(np.sort(lattice.values()), np.sort(expected[np.isfinite(expected)]))


def test_only_the_largest_changed_regions_are_measured_and_they_come_largest_first():
    rng = np.random.default_rng(6)
    changed = rng.random((300, 300)) < 0.12  # thousands of specks
    changed[20:32, 40:52] = True  # and two clear objects
    changed[200:207, 100:109] = True
    found = changed_objects(changed, 2.0, lambda col, row: (col, row))
    regions = [r for r in regionprops(label(changed, connectivity=2)) if r.area >= 4]
    regions.sort(key=lambda region: (-region.area, region.centroid))
    assert len(regions) > 2 * MAX_OBJECTS and len(found) == MAX_OBJECTS
    expected = [(round(r.centroid[0], 2), round(r.centroid[1], 2), r.area * 4.0)
                for r in regions[:MAX_OBJECTS]]  # fmt: skip
    assert [(o["row"], o["col"], o["area_m2"]) for o in found] == expected
