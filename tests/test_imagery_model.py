"""The trained-model interface (imagery/model.py) and the small model we train (train_tiny.py).

Synthetic pairs: a smooth textured scene, the after date with another gain, offset and noise,
and bright blobs planted in it (the changes). Trained on some pairs, scored on others.
"""

from __future__ import annotations

import hashlib
import json
import shutil
import warnings

import numpy as np
import onnx
import pytest
import rasterio
from conftest import shared_data
from onnx import TensorProto, helper, numpy_helper
from rasterio.errors import NotGeoreferencedWarning
from scipy import ndimage

from siteline.errors import InvalidInput
from siteline.imagery import train_tiny
from siteline.imagery.model import ChangeModel, evaluate_model, normalise

SIDE = 96
EPOCHS = 120


def synthetic_pair(seed: int, side: int = SIDE):
    """(before, after, label): uint8 (3, side, side) images and a 0/255 mask."""
    generator = np.random.default_rng(seed)
    field = ndimage.gaussian_filter(generator.normal(size=(3, side, side)), (0, 3, 3))
    before = 120 + 400 * field
    gain, offset = generator.uniform(0.8, 1.2, 3), generator.uniform(-15, 15, 3)
    after = before * gain[:, None, None] + offset[:, None, None]
    after += generator.uniform(-30, 30) * np.linspace(-1, 1, side)  # light across the scene
    after += generator.normal(0, 4, after.shape)
    label = np.zeros((side, side), dtype=np.uint8)
    rows, cols = np.mgrid[:side, :side]
    for _ in range(max(2, side // 24)):
        centre, radius = generator.uniform(8, side - 8, 2), generator.uniform(3, 8)
        blob = (rows - centre[0]) ** 2 + (cols - centre[1]) ** 2 <= radius**2
        after[:, blob] = generator.uniform(150, 250, 3)[:, None] + generator.normal(
            0, 6, (3, blob.sum())
        )
        label[blob] = 255
    before = before + generator.normal(0, 4, before.shape)
    return _to_uint8(before), _to_uint8(after), label


def _to_uint8(image: np.ndarray) -> np.ndarray:
    return np.clip(np.round(image), 0, 255).astype(np.uint8)


def write_png(path, array: np.ndarray) -> None:
    array = array if array.ndim == 3 else array[None]
    path.parent.mkdir(parents=True, exist_ok=True)
    profile = {"driver": "PNG", "dtype": "uint8", "count": array.shape[0]}
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)  # plain PNGs, as in the data
        with rasterio.open(
            path, "w", width=array.shape[2], height=array.shape[1], **profile
        ) as out:
            out.write(array)


def write_folder(folder, seeds) -> None:
    for seed in seeds:
        before, after, label = synthetic_pair(seed)
        for part, array in (("A", before), ("B", after), ("label", label)):
            write_png(folder / part / f"pair_{seed}.png", array)


@pytest.fixture(scope="module")
def trained(tmp_path_factory):
    """A model trained on three synthetic pairs, and a folder of two pairs it never saw."""
    root = tmp_path_factory.mktemp("model")
    write_folder(root / "synthetic-train", seeds=(1, 2, 3))
    write_folder(root / "synthetic-held-out", seeds=(11, 12))
    weights, summary = train_tiny.train(root / "synthetic-train", epochs=EPOCHS)
    path = root / "tiny.onnx"
    train_tiny.export(weights, summary, "rgb", path)
    return {"root": root, "weights": weights, "summary": summary, "path": path}


def test_a_trained_model_finds_planted_changes_it_never_saw(trained):
    result = evaluate_model(trained["root"] / "synthetic-held-out", trained["path"])
    changed_share = np.mean([(synthetic_pair(seed)[2] == 255).mean() for seed in (11, 12)])
    all_changed_f1 = 2 * changed_share / (1 + changed_share)
    assert result["pairs"] == 2
    assert result["scored_on"] == "synthetic-held-out"
    assert result["trained_on"][0]["dataset"] == "synthetic-train"
    # measured: F1 0.98, AUC 0.997; marking every pixel changed gives F1 0.12
    assert result["f1"] > 0.85 > 5 * all_changed_f1
    assert result["auc"] > 0.95


def test_onnx_graph_computes_what_the_numpy_network_computes(trained):
    before, after, _ = synthetic_pair(21, side=70)
    valid = np.ones(before.shape[1:], dtype=bool)
    pair = np.concatenate([normalise(image, valid, "standardise") for image in (before, after)])
    expected = train_tiny.forward(trained["weights"], pair)
    scored = ChangeModel(trained["path"]).score(before, after)
    assert scored.dtype == np.float32 and scored.shape == (70, 70)
    assert np.abs(scored - expected).max() < 1e-5


def test_tiles_join_without_seams(trained):
    before, after, _ = synthetic_pair(31, side=150)
    before, after = before[:, :, :131], after[:, :, :131]  # not a multiple of the tile
    valid = np.ones(before.shape[1:], dtype=bool)
    valid[40:50, 60:90] = False
    whole = ChangeModel(trained["path"], tile=512).score(before, after, valid)
    tiled = ChangeModel(trained["path"], tile=32).score(before, after, valid)
    assert np.array_equal(np.isnan(whole), ~valid)
    np.testing.assert_allclose(tiled, whole, atol=1e-6, equal_nan=True)


def test_the_same_inputs_give_the_same_bytes(trained, tmp_path):
    first, second = tmp_path / "first.onnx", tmp_path / "second.onnx"
    folder = trained["root"] / "synthetic-train"
    one = train_tiny.train_and_export(folder, "rgb", first, seed=3, epochs=10)
    two = train_tiny.train_and_export(folder, "rgb", second, seed=3, epochs=10)
    assert first.read_bytes() == second.read_bytes() and one["sha256"] == two["sha256"]
    before, after, _ = synthetic_pair(41)
    scores = [ChangeModel(first).score(before, after).tobytes() for _ in range(2)]
    assert scores[0] == scores[1]


def test_parameters_name_the_model_by_hash_and_metadata(trained):
    model = ChangeModel(trained["path"])
    detection = model.detect(*synthetic_pair(51)[:2])
    recorded = detection.parameters["model"]
    assert recorded["sha256"] == hashlib.sha256(trained["path"].read_bytes()).hexdigest()
    assert json.loads(recorded["metadata"]["siteline.trained_on"])[0]["ids"] == [
        "pair_1",
        "pair_2",
        "pair_3",
    ]
    assert detection.threshold == model.threshold == trained["summary"]["threshold"]
    assert detection.operator == "onnx-model" and detection.threshold_method == "fixed"


def test_figures_on_training_pairs_are_refused(trained, tmp_path):
    with pytest.raises(InvalidInput, match="trained on 3 pair"):
        evaluate_model(trained["root"] / "synthetic-train", trained["path"])
    renamed = tmp_path / "renamed-copy"
    shutil.copytree(trained["root"] / "synthetic-train", renamed)
    with pytest.raises(InvalidInput, match="pair_1, pair_2, pair_3"):
        evaluate_model(renamed, trained["path"])


# Bad models, each written here with onnx.helper.

METADATA = {
    "siteline.bands": "3",
    "siteline.sensor": "rgb",
    "siteline.normalisation": "standardise",
    "siteline.trained_on": "[]",
}


def small_model(path, *, channels=6, squash=True, metadata=METADATA, height="H"):
    """A 1×1 convolution of `channels` input channels to one, through a sigmoid or not."""
    weight = numpy_helper.from_array(np.full((1, channels, 1, 1), 0.5, np.float32), "weight")
    nodes = [helper.make_node("Conv", ["pair", "weight"], ["raw" if squash else "change"])]
    if squash:
        nodes.append(helper.make_node("Sigmoid", ["raw"], ["change"]))
    graph = helper.make_graph(
        nodes,
        "test",
        [helper.make_tensor_value_info("pair", TensorProto.FLOAT, ["N", channels, height, "W"])],
        [helper.make_tensor_value_info("change", TensorProto.FLOAT, ["N", 1, height, "W"])],
        [weight],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    helper.set_model_props(model, metadata)
    onnx.save(model, path)
    return path


def test_a_well_formed_small_model_loads(tmp_path):
    model = ChangeModel(small_model(tmp_path / "good.onnx"))
    assert (model.bands, model.layout, model.threshold) == (3, "stacked", 0.5)


def test_a_file_that_is_not_onnx_is_refused(tmp_path):
    path = tmp_path / "notes.onnx"
    path.write_text("not a model\n")
    with pytest.raises(InvalidInput, match=r"notes\.onnx: not an ONNX model"):
        ChangeModel(path)


def test_a_model_with_the_wrong_number_of_channels_is_refused(tmp_path):
    path = small_model(tmp_path / "three.onnx", channels=3)
    with pytest.raises(InvalidInput, match=r"three\.onnx: input 'pair' has 3 channels; expected 6"):
        ChangeModel(path)


def test_a_model_whose_output_is_not_a_probability_is_refused(tmp_path):
    path = small_model(tmp_path / "raw.onnx", squash=False)
    with pytest.raises(InvalidInput, match=r"raw\.onnx: output is not a probability"):
        ChangeModel(path)


def test_a_scene_with_other_bands_than_the_model_is_refused(tmp_path):
    model = ChangeModel(small_model(tmp_path / "good.onnx"))
    image = np.random.default_rng(0).uniform(0, 255, (4, 20, 20))
    with pytest.raises(InvalidInput, match=r"good\.onnx: the model takes 3 bands .* has 4"):
        model.score(image, image + 1)


def two_input_model(path):
    """Inputs `before` and `after`: the sigmoid of the difference of their band sums."""
    weight = numpy_helper.from_array(np.full((1, 3, 1, 1), 0.02, np.float32), "weight")
    nodes = [
        helper.make_node("Conv", ["before", "weight"], ["first"]),
        helper.make_node("Conv", ["after", "weight"], ["second"]),
        helper.make_node("Sub", ["second", "first"], ["difference"]),
        helper.make_node("Sigmoid", ["difference"], ["change"]),
    ]
    dates = [
        helper.make_tensor_value_info(name, TensorProto.FLOAT, ["N", 3, "H", "W"])
        for name in ("before", "after")
    ]
    output = helper.make_tensor_value_info("change", TensorProto.FLOAT, ["N", 1, "H", "W"])
    graph = helper.make_graph(nodes, "two", dates, [output], [weight])
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    helper.set_model_props(model, {**METADATA, "siteline.normalisation": "divide:255"})
    onnx.save(model, path)
    return path


def test_a_model_may_take_before_and_after_as_two_inputs(tmp_path):
    model = ChangeModel(two_input_model(tmp_path / "two.onnx"))
    before = np.full((3, 12, 10), 100, dtype=np.uint8)
    after = before.copy()
    after[:, :, :4] = 255
    score = model.score(before, after)
    assert model.layout == "separate"
    expected = 1 / (1 + np.exp(-0.02 * 3 * 155 / 255))
    np.testing.assert_allclose(score[:, :4], expected, rtol=1e-6)
    np.testing.assert_allclose(score[:, 4:], 0.5, rtol=1e-6)


def halving_model(path, metadata):
    """Averages 2×2 blocks and spreads them back: like a network that downsamples, it
    needs an even height and width."""
    weight = numpy_helper.from_array(np.full((1, 6, 1, 1), 0.1, np.float32), "weight")
    scales = numpy_helper.from_array(np.array([1, 1, 2, 2], np.float32), "scales")
    nodes = [
        helper.make_node("Conv", ["pair", "weight"], ["mixed"]),
        helper.make_node("AveragePool", ["mixed"], ["pooled"], kernel_shape=[2, 2], strides=[2, 2]),
        helper.make_node("Resize", ["pooled", "", "scales"], ["spread"], mode="nearest"),
        helper.make_node("Sigmoid", ["spread"], ["change"]),
    ]
    graph = helper.make_graph(
        nodes,
        "halving",
        [helper.make_tensor_value_info("pair", TensorProto.FLOAT, ["N", 6, "H", "W"])],
        [helper.make_tensor_value_info("change", TensorProto.FLOAT, ["N", 1, "H2", "W2"])],
        [weight, scales],
    )
    model = helper.make_model(graph, opset_imports=[helper.make_opsetid("", 17)], ir_version=8)
    helper.set_model_props(model, metadata)
    onnx.save(model, path)
    return path


def test_a_model_that_needs_even_sizes_scores_odd_images_when_it_says_so(tmp_path):
    image = np.random.default_rng(0).uniform(0, 255, (3, 21, 33))
    plain = ChangeModel(halving_model(tmp_path / "halving.onnx", METADATA), tile=16)
    with pytest.raises(
        InvalidInput,
        match=r"halving\.onnx: output has shape \[1, 1, 20, 32\]; expected \[1, 1, 21, 33\]",
    ):
        plain.score(image, image[:, ::-1])
    said = halving_model(tmp_path / "said.onnx", {**METADATA, "siteline.multiple": "2"})
    score = ChangeModel(said, tile=16).score(image, image[:, ::-1])
    assert score.shape == (21, 33) and np.isfinite(score).all()


def test_models_without_the_contract_metadata_or_with_fixed_sizes_are_refused(tmp_path):
    bare = small_model(tmp_path / "bare.onnx", metadata={"siteline.bands": "3"})
    with pytest.raises(InvalidInput, match="metadata lacks siteline.sensor"):
        ChangeModel(bare)
    fixed = small_model(tmp_path / "fixed.onnx", height=256)
    with pytest.raises(InvalidInput, match="H and W free"):
        ChangeModel(fixed)


def test_on_real_pairs_a_model_is_scored_only_where_it_was_not_trained(tmp_path):
    dsifn = shared_data("changedetection/dsifn-cd")
    levir = shared_data("changedetection/levir-cd")
    path = tmp_path / "dsifn.onnx"
    summary = train_tiny.train_and_export(dsifn, "rgb", path, epochs=20)
    assert summary["trained_on"][0]["dataset"] == "dsifn-cd"
    assert len(summary["trained_on"][0]["ids"]) == len(list((dsifn / "label").glob("*.png")))
    with pytest.raises(
        InvalidInput, match=f"was trained on {len(summary['trained_on'][0]['ids'])} pair"
    ):
        evaluate_model(dsifn, path)
    result = evaluate_model(levir, path)
    assert result["pairs"] == 7 and 0 < result["f1"] < 1
