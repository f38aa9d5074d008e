"""Before/after at a site, end to end: two scenes of our own making in which a crater
appears beside a clinic and the after scene is misregistered by a fraction of a pixel."""

from __future__ import annotations

import json
import math

import numpy as np
import pytest
import rasterio
from rasterio.transform import from_origin

from siteline.domain.entities import Site
from siteline.domain.values import FuzzyTime
from siteline.errors import InvalidInput
from siteline.services import audit, cases, derived, sites
from siteline.services.imagery import add_scene
from siteline.services.imagery_compare import compare_scenes

UTM = "EPSG:32637"
WEST, NORTH = 333_000.0, 4_009_000.0
PIXEL = 0.5
SIZE = 480  # 240 m a side
CENTRE = (WEST + 120.0, NORTH - 120.0)  # the clinic
CRATER = (CENTRE[0] + 14.0, CENTRE[1] - 9.0)  # 14 m east, 9 m south of it
CRATER_RADIUS = 4.0
SHIFT_M = (0.2, -0.15)  # the after scene's content sits this far off its georeference


# A made-up landscape: sinusoids of wavelengths from 1.5 to 25 m in many directions, so
# that it has fine structure and can be sampled anywhere (a shifted scene is exact).
_WAVES = np.random.default_rng(11).uniform(size=(40, 3))


def ground(x: np.ndarray, y: np.ndarray, band: int, crater: bool) -> np.ndarray:
    value = np.full(np.shape(x), 120.0)
    for length, angle, phase in _WAVES:
        wavelength = 1.5 + 23.5 * length**2
        along = x * np.cos(2 * np.pi * angle) + y * np.sin(2 * np.pi * angle)
        value += 9.0 * np.sin(2 * np.pi * along / wavelength + 2 * np.pi * phase + band)
    if crater:
        distance = np.hypot(x - CRATER[0], y - CRATER[1])
        value = np.where(distance < CRATER_RADIUS, 25.0 + 10 * band, value)
    return value


def write_scene(path, crater: bool, offset=(0.0, 0.0), bands: int = 3, noise_seed=None):
    cols, rows = np.meshgrid(np.arange(SIZE) + 0.5, np.arange(SIZE) + 0.5)
    x = WEST + cols * PIXEL + offset[0]
    y = NORTH - rows * PIXEL + offset[1]
    data = np.stack([ground(x, y, band, crater) for band in range(bands)])
    if noise_seed is not None:
        data = data + np.random.default_rng(noise_seed).normal(0, 3, data.shape)
    profile = {"driver": "GTiff", "width": SIZE, "height": SIZE, "count": bands, "dtype": "uint8"}
    profile |= {"crs": UTM, "transform": from_origin(WEST, NORTH, PIXEL, PIXEL)}
    with rasterio.open(path, "w", **profile) as target:
        target.write(np.clip(np.round(data), 0, 255).astype("uint8"))
    return path


def clinic_at(case) -> dict:
    lon, lat = rasterio.warp.transform(UTM, "EPSG:4326", [CENTRE[0]], [CENTRE[1]])
    return sites.add_site(case, Site(name="Eastgate clinic", lat=lat[0], lon=lon[0]))


@pytest.fixture
def pair(case, tmp_path):
    site = clinic_at(case)
    before = add_scene(
        case, write_scene(tmp_path / "before.tif", crater=False),
        captured=FuzzyTime.parse("2016-09-25", "d"), sensor="rgb", provider="Own synthetic",
    )  # fmt: skip
    after = add_scene(
        case, write_scene(tmp_path / "after.tif", crater=True, offset=SHIFT_M),
        captured=FuzzyTime.parse("2016-10-13", "d"), sensor="rgb", provider="Own synthetic",
    )  # fmt: skip
    return site, before["id"], after["id"]


def test_the_crater_is_found_in_the_site_and_the_shift_undone(case, pair):
    site, before, after = pair
    analysis = compare_scenes(case, site["id"], before, after, ring_m=100, radius_m=20)
    # The after scene's content sits 0.2 m east and 0.15 m south of where its grid says: a
    # feature shows 0.4 pixels left of and 0.3 pixels above where it is in the before scene.
    rows, cols = analysis["shift_px"]
    assert math.isclose(cols, -SHIFT_M[0] / PIXEL, abs_tol=0.05)
    assert math.isclose(rows, SHIFT_M[1] / PIXEL, abs_tol=0.05)
    result = analysis["result"]
    assert result["site_changed_fraction"] > 5 * result["ring_changed_fraction"]
    assert result["block_p_value"] < 0.05
    crater_like = [item for item in result["objects"] if item["crater_like"]]
    assert crater_like, result["objects"]
    nearest = min(math.hypot(item["x"] - CRATER[0], item["y"] - CRATER[1]) for item in crater_like)
    assert nearest < 2.0
    # The score is smoothed over a few pixels, so the region is somewhat wider than the crater.
    assert 0.8 * 2 * CRATER_RADIUS < crater_like[0]["diameter_m"] < 2.5 * 2 * CRATER_RADIUS
    assert analysis["before"][0]["sha256"] != analysis["after"][0]["sha256"]
    assert analysis["operator"] == "colour-structure"
    assert "not" in analysis["what_it_shows"]
    assert audit.verify(case).ok


def test_the_analysis_is_kept_and_recomputes_to_the_same_bytes(case, pair):
    site, before, after = pair
    first = compare_scenes(case, site["id"], before, after, ring_m=100, radius_m=20)
    second = compare_scenes(case, site["id"], before, after, ring_m=100, radius_m=20)
    kept = {kind: derived.get_derived(case, number) for kind, number in first["derived"].items()}
    again = {kind: derived.get_derived(case, number) for kind, number in second["derived"].items()}
    assert set(kept) == {"change_map", "change_figure", "change_analysis"}
    for kind in kept:
        assert kept[kind]["blob_sha256"] == again[kind]["blob_sha256"]
        assert kept[kind]["parents"] == [first["before"][0]["sha256"], first["after"][0]["sha256"]]
    stored = json.loads(case.blobs.read(kept["change_analysis"]["blob_sha256"]))
    assert stored["figure_sha256"] == kept["change_figure"]["blob_sha256"]
    assert stored["change_map_sha256"] == kept["change_map"]["blob_sha256"]
    assert case.blobs.read(kept["change_figure"]["blob_sha256"]).startswith(b"\x89PNG")


def test_scenes_that_cannot_be_compared_are_refused_and_nothing_stored(case, pair, tmp_path):
    site, before, after = pair
    far = sites.add_site(case, Site(name="Far away", lat=10.0, lon=37.0))
    four = add_scene(
        case, write_scene(tmp_path / "four.tif", crater=True, bands=4),
        captured=FuzzyTime.parse("2016-10-14", "d"), sensor="rgb",
    )  # fmt: skip
    radar = add_scene(
        case, write_scene(tmp_path / "radar.tif", crater=True, bands=3, offset=(1, 1)),
        captured=FuzzyTime.parse("2016-10-15", "d"), sensor="sar",
    )  # fmt: skip
    counts = cases.summary(case)
    cases_of_refusal = [
        ((far["id"], before, after), "does not overlap the site"),
        ((site["id"], after, before), "was taken after the after scene"),
        ((site["id"], before, four["id"]), f"has 3 bands and scene #{four['id']} 4"),
        ((site["id"], [before, after], four["id"]), "one scene for each period, or at least two"),
        ((site["id"], before, before), f"scene #{before} is given more than once"),
        ((site["id"], before, radar["id"]), "different sensors"),
    ]
    for arguments, message in cases_of_refusal:
        with pytest.raises(InvalidInput, match=message):
            compare_scenes(case, *arguments, ring_m=100, radius_m=20)
    assert cases.summary(case) == counts


def test_two_stacks_are_compared_by_a_welch_t_test(case, tmp_path):
    site = clinic_at(case)
    ids = {}
    for period, crater, days in (("before", False, (1, 5, 9)), ("after", True, (20, 24, 28))):
        ids[period] = []
        for number, day in enumerate(days):
            # Each acquisition its own sensor noise, drawn from the same made-up ground.
            path = write_scene(tmp_path / f"{period}{number}.tif", crater, noise_seed=day)
            when = FuzzyTime.parse(f"2016-09-{day:02d}", "d")
            ids[period].append(add_scene(case, path, captured=when, sensor="rgb")["id"])
    analysis = compare_scenes(
        case, site["id"], ids["before"], ids["after"], ring_m=100, radius_m=20
    )
    assert analysis["operator"] == "welch-t"
    assert analysis["parameters"]["scenes"] == [3, 3]
    assert [scene["evidence_id"] for scene in analysis["before"]] == ids["before"]
    result = analysis["result"]
    assert result["site_changed_fraction"] > 5 * result["ring_changed_fraction"]
    nearest = min(
        math.hypot(item["x"] - CRATER[0], item["y"] - CRATER[1]) for item in result["objects"]
    )
    assert nearest < 2.0
    parents = derived.get_derived(case, analysis["derived"]["change_analysis"])["parents"]
    assert len(parents) == 6


def test_the_command_compares_and_writes_the_figure(case_dir, tmp_path):
    from click.testing import CliRunner

    from siteline.cli import cli

    folder = case_dir()
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(folder), "--name", "imagery"]).exit_code == 0
    opened = cases.open_case(folder)
    try:
        clinic_at(opened)
    finally:
        opened.close()
    for name, crater, offset, when in (
        ("before.tif", False, (0.0, 0.0), "2016-09-25"),
        ("after.tif", True, SHIFT_M, "2016-10-13"),
    ):
        path = write_scene(tmp_path / name, crater, offset)
        added = runner.invoke(
            cli,
            ["--case", str(folder), "imagery", "add", str(path), "--date", when, "--sensor", "rgb"],
        )
        assert added.exit_code == 0, added.output
    figure = tmp_path / "figure.png"
    shown = runner.invoke(
        cli, ["--case", str(folder), "imagery", "compare", "Eastgate clinic", "1", "2",
              "--ring", "100", "--radius", "20", "--figure", str(figure)],
    )  # fmt: skip
    assert shown.exit_code == 0, shown.output
    assert "crater-like" in shown.output and "not evidence of damage" in shown.output
    assert figure.read_bytes().startswith(b"\x89PNG")
    refused = runner.invoke(
        cli, ["--case", str(folder), "imagery", "compare", "Eastgate clinic", "1", "x"]
    )
    assert refused.exit_code == 2 and "not evidence numbers" in refused.output


def test_a_trained_model_can_score_the_pair_and_is_named_by_its_hash(case, pair, tmp_path):
    from test_imagery_model import EPOCHS, write_folder

    from siteline.imagery import train_tiny
    from siteline.imagery.model import sha256_of

    site, before, after = pair
    write_folder(tmp_path / "synthetic-train", seeds=(1, 2))
    weights, summary = train_tiny.train(tmp_path / "synthetic-train", epochs=EPOCHS)
    model = tmp_path / "tiny.onnx"
    train_tiny.export(weights, summary, "rgb", model)
    analysis = compare_scenes(
        case, site["id"], before, after, ring_m=100, radius_m=20, model_path=model
    )
    assert analysis["operator"] == "onnx-model"
    assert analysis["options"]["model_sha256"] == sha256_of(model)
    assert analysis["parameters"]["model"]["sha256"] == sha256_of(model)
    assert analysis["threshold"]["method"] == "fixed"
    assert 0 <= analysis["result"]["site_changed_fraction"] <= 1
    with pytest.raises(InvalidInput, match="scores one pair of scenes, not stacks"):
        compare_scenes(case, site["id"], [before, after], [before, after], model_path=model)
