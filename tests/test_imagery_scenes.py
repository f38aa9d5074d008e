"""Scenes into a case (GeoTIFF, ENVI, PNG with given bounds), refused when they cannot be
placed, and read back onto one grid over a site; the site statistics of a change mask."""

from __future__ import annotations

import json
import math
from pathlib import Path

import numpy as np
import pytest
import rasterio
from click.testing import CliRunner
from rasterio.transform import from_origin
from shapely.geometry import Point

from siteline.cli import cli
from siteline.domain.values import FuzzyTime
from siteline.errors import InvalidInput
from siteline.imagery.grid import check_cover, make_grid, read_on_grid, site_polygon_wgs84
from siteline.imagery.scenes import parse_bounds, parse_crs, read_scene_info
from siteline.imagery.sitestats import ChangeCounts, block_fractions, changed_objects, site_test
from siteline.services import cases, evidence
from siteline.services.imagery import add_scene, opened_scene, scene_record

# A made-up place at 36.2° N, 37.15° E (UTM zone 37 N), 2 m pixels.
UTM = "EPSG:32637"
ORIGIN = (333_000.0, 4_009_000.0)
DATE = FuzzyTime.parse("2016-09-25", "date")


def write_raster(path: Path, data: np.ndarray, crs=UTM, transform=None, driver="GTiff") -> Path:
    bands, height, width = data.shape
    profile = {"driver": driver, "width": width, "height": height, "count": bands}
    profile |= {"dtype": data.dtype.name}
    if crs is not None:
        profile["crs"] = crs
        profile["transform"] = transform or from_origin(*ORIGIN, 2.0, 2.0)
    with rasterio.open(path, "w", **profile) as target:
        target.write(data)
    return path


def scene_pixels(seed: int = 1, size: int = 64) -> np.ndarray:
    rng = np.random.default_rng(seed)
    return rng.integers(0, 255, size=(3, size, size), dtype=np.uint8)


def test_a_geotiff_is_stored_whole_with_its_grid(case, tmp_path):
    path = write_raster(tmp_path / "before.tif", scene_pixels())
    record = add_scene(case, path, captured=DATE, sensor="rgb", provider="Own synthetic")
    assert evidence.read_original(case, record["id"]) == path.read_bytes()
    item, info = scene_record(case, record["id"])
    assert (info.crs, info.width, info.bands, info.georeference) == (UTM, 64, 3, "file")
    assert info.transform[:3] == (2.0, 0.0, ORIGIN[0])
    assert json.loads(item["details"])["sensor"] == "rgb"
    with opened_scene(case, item) as source:
        assert np.array_equal(source.read(), scene_pixels())


def test_an_envi_scene_is_read_back_with_its_header(case, tmp_path):
    data = scene_pixels(2)
    path = write_raster(tmp_path / "landsat.img", data, driver="ENVI")
    record = add_scene(case, path, captured=DATE, sensor="multispectral")
    item, info = scene_record(case, record["id"])
    assert info.driver == "ENVI" and "envi_header" in json.loads(item["details"])
    with opened_scene(case, item) as source:
        assert np.array_equal(source.read(), data)
        assert source.crs.to_epsg() == 32637


def test_a_png_needs_bounds_and_crs_and_they_are_recorded_as_given(case, tmp_path):
    path = write_raster(tmp_path / "viewer.png", scene_pixels(3), crs=None, driver="PNG")
    with pytest.raises(InvalidInput, match="give its --bounds and --crs"):
        add_scene(case, path, captured=DATE, sensor="rgb")
    bounds = parse_bounds("37.1,36.1,37.2,36.2")
    record = add_scene(
        case, path, captured=DATE, sensor="rgb", bounds=bounds, crs=parse_crs("EPSG:4326")
    )
    _, info = scene_record(case, record["id"])
    assert info.georeference == "given" and info.crs == "EPSG:4326"
    assert info.transform[2] == 37.1 and math.isclose(info.transform[0], 0.1 / 64)


@pytest.mark.parametrize(
    ("make", "message"),
    [
        (lambda p: write_raster(p / "a.tif", scene_pixels(), crs=None), "no coordinate reference"),
        (
            lambda p: (p / "b.tif").write_bytes(b"II*\x00" + b"\x00" * 64) and p / "b.tif",
            "not a raster",
        ),
        (lambda p: (p / "c.tif").write_text("hello") and p / "c.tif", "not a raster"),
    ],
)
def test_a_scene_that_cannot_be_placed_is_refused_and_nothing_stored(case, tmp_path, make, message):
    before = cases.summary(case)
    with pytest.raises(InvalidInput, match=message):
        add_scene(case, make(tmp_path), captured=DATE, sensor="rgb")
    assert cases.summary(case) == before


def test_bounds_on_a_georeferenced_file_and_bad_bounds_are_refused(case, tmp_path):
    path = write_raster(tmp_path / "before.tif", scene_pixels())
    with pytest.raises(InvalidInput, match="carries its own georeference"):
        add_scene(
            case, path, captured=DATE, sensor="rgb", bounds=(0, 0, 1, 1), crs=parse_crs("EPSG:4326")
        )
    with pytest.raises(InvalidInput, match="west must be below east"):
        parse_bounds("2,0,1,1")
    with pytest.raises(InvalidInput, match="not a coordinate reference system"):
        parse_crs("EPSG:999999")


def test_the_command_adds_a_scene_and_names_a_bad_file(case_dir, tmp_path):
    folder = case_dir()
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(folder), "--name", "imagery"]).exit_code == 0
    path = write_raster(tmp_path / "before.tif", scene_pixels())
    added = runner.invoke(
        cli, ["--case", str(folder), "imagery", "add", str(path), "--date", "2016-09-25",
              "--sensor", "rgb", "--json"],
    )  # fmt: skip
    assert added.exit_code == 0, added.output
    assert json.loads(added.output)["kind"] == "satellite_scene"
    refused = runner.invoke(
        cli,
        [
            "--case",
            str(folder),
            "imagery",
            "add",
            str(tmp_path / "absent.tif"),
            "--date",
            "2016",
            "--sensor",
            "rgb",
        ],
    )
    assert refused.exit_code != 0 and "no such file" in refused.output


def test_two_scenes_in_different_crs_are_read_onto_one_grid(tmp_path):
    utm = write_raster(tmp_path / "utm.tif", scene_pixels(4, 128))
    info_utm = read_scene_info(utm)
    # The same place in degrees, pixels of about 3 m: the grid takes the coarser.
    west, north = rasterio.warp.transform(UTM, "EPSG:4326", [ORIGIN[0]], [ORIGIN[1]])
    degrees = write_raster(
        tmp_path / "wgs84.tif", scene_pixels(5, 128), crs="EPSG:4326",
        transform=from_origin(west[0], north[0], 3.3e-5, 2.7e-5),
    )  # fmt: skip
    info_degrees = read_scene_info(degrees)
    centre = rasterio.warp.transform(UTM, "EPSG:4326", [ORIGIN[0] + 120], [ORIGIN[1] - 120])
    site = site_polygon_wgs84({"name": "clinic", "lat": centre[1][0], "lon": centre[0][0]}, 20)
    grid = make_grid(site, 40, [info_utm, info_degrees], None)
    assert grid.crs == UTM and 2.9 < grid.pixel_size_m < 3.1
    assert math.isclose(grid.site.area, math.pi * 20**2, rel_tol=0.01)
    for path, info in ((utm, info_utm), (degrees, info_degrees)):
        assert check_cover(grid, info, "scene") > 0.99
        with rasterio.open(path) as source:
            data, valid = read_on_grid(source, info, grid, next(grid.windows(1024)))
        assert data.shape == (3, grid.height, grid.width) and valid.all()
    far = site_polygon_wgs84({"name": "far", "lat": 10.0, "lon": 37.0}, 20)
    with pytest.raises(InvalidInput, match="does not overlap the site"):
        check_cover(make_grid(far, 40, [info_utm], None), info_utm, "before")


def test_a_changed_site_in_a_quiet_ring_is_unusual_and_its_crater_found():
    size = 120
    rows, cols = np.mgrid[:size, :size]
    site = (abs(rows - 60) < 10) & (abs(cols - 60) < 10)
    ring = ~site
    changed = (rows - 58) ** 2 + (cols - 62) ** 2 <= 5**2  # a disk 11 px across in the site
    valid = np.ones_like(site)
    counts = ChangeCounts()
    counts.add(changed, valid, site, ring)
    assert counts.site_fraction > 0.15 and counts.ring_fraction == 0
    result = site_test(counts, block_fractions(changed, valid, ring, 20))
    assert result["ring_blocks"] >= 20 and result["block_p_value"] < 0.05
    found = changed_objects(changed, 0.5, lambda x, y: (x * 0.5, -y * 0.5))
    assert len(found) == 1 and found[0]["crater_like"]
    assert math.isclose(found[0]["diameter_m"], 0.5 * 11, rel_tol=0.1)
    assert (round(found[0]["row"]), round(found[0]["col"])) == (58, 62)


def test_a_site_changed_like_its_ring_is_not_unusual():
    rng = np.random.default_rng(7)
    changed = rng.random((120, 120)) < 0.2
    site = np.zeros_like(changed)
    site[50:70, 50:70] = True
    counts = ChangeCounts()
    counts.add(changed, np.ones_like(changed), site, ~site)
    result = site_test(counts, block_fractions(changed, np.ones_like(changed), ~site, 20))
    assert result["block_p_value"] > 0.05
    assert result["ring_changed_fraction"] == pytest.approx(0.2, abs=0.02)


def test_a_point_site_without_location_is_refused():
    with pytest.raises(InvalidInput, match="has no location"):
        site_polygon_wgs84({"name": "nowhere", "lat": None, "lon": None}, 50)
    assert site_polygon_wgs84({"name": "p", "geometry_wkt": Point(0, 0).buffer(1).wkt}, 5).area > 3


def test_a_pixel_size_of_zero_or_a_grid_too_large_is_refused(tmp_path):
    info = read_scene_info(write_raster(tmp_path / "a.tif", scene_pixels()))
    centre = rasterio.warp.transform(UTM, "EPSG:4326", [ORIGIN[0] + 60], [ORIGIN[1] - 60])
    site = site_polygon_wgs84({"name": "clinic", "lat": centre[1][0], "lon": centre[0][0]}, 20)
    with pytest.raises(InvalidInput, match="0 m is not a pixel size"):
        make_grid(site, 40, [info], 0.0)
    with pytest.raises(InvalidInput, match="give a larger --pixel"):
        make_grid(site, 40, [info], 0.001)
