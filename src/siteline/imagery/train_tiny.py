"""The small change model Siteline trains itself, to test the model interface (model.py).

Made with numpy alone, the same bytes again on the same machine: fixed features, a tiny two-layer network, full-batch Adam with
a fixed seed, on the labelled pairs of ONE folder (`A/`, `B/`, `label/`; 255 changed, 0
unchanged, 128 ignored). Exported as an ONNX graph written node by node, so the file says
exactly what it computes. It is a test instrument, not a detector to trust: its figures
count only on data it was not trained on (model.evaluate_model refuses the rest).

Features, per pixel, of the standardised bands b (before) and a (after):
  a, b; d = a − b; d²; the local means of d² over 3, 7 and 15 pixels; the square of the
  local mean of d over 7 pixels (a consistent colour shift, not noise); the local variance
  of each date's grey image over 7 pixels (texture, as buildings bring edges).
Local means are zero-padded boxes, written as two 1-D convolutions (ONNX Conv).
"""

from __future__ import annotations

import json
from pathlib import Path

import numpy as np

from siteline.errors import InvalidInput
from siteline.imagery import evaluate, metrics
from siteline.imagery.detect import SENSORS
from siteline.imagery.model import normalise, sha256_of

ENERGY_SIZES = (3, 7, 15)
SMOOTH_SIZE = 7  # a neighbourhood smaller than most buildings at 0.5 m: edges stay sharp
CONTEXT = max(ENERGY_SIZES) // 2  # receptive-field radius: tiles need this much around them
HIDDEN = 8
EPOCHS = 300
PIXELS = 100_000  # training pixels sampled, for a run of seconds
LEARNING_RATE, WEIGHT_DECAY = 0.01, 1e-4
NORMALISATION = "standardise"
OPSET = 17


def box_mean(values: np.ndarray, size: int) -> np.ndarray:
    """Mean over size×size windows of each channel (C, H, W), zero outside the image."""
    radius = size // 2
    for axis in (1, 2):
        padding = [(0, 0)] * 3
        padding[axis] = (radius + 1, radius)
        summed = np.cumsum(np.pad(values, padding), axis=axis)
        upper = np.take(summed, range(size, summed.shape[axis]), axis=axis)
        lower = np.take(summed, range(0, summed.shape[axis] - size), axis=axis)
        values = (upper - lower) / size
    return values


def features(pair: np.ndarray) -> np.ndarray:
    """(2B, H, W) normalised before and after bands -> (F, H, W) features, float64."""
    pair = np.asarray(pair, dtype=np.float64)
    bands = pair.shape[0] // 2
    before, after = pair[:bands], pair[bands:]
    difference = after - before
    energy = difference * difference
    grey = np.stack([before.mean(axis=0), after.mean(axis=0)])
    texture = box_mean(grey * grey, SMOOTH_SIZE) - box_mean(grey, SMOOTH_SIZE) ** 2
    parts = [pair, difference, energy]
    parts += [box_mean(energy, size) for size in ENERGY_SIZES]
    parts += [box_mean(difference, SMOOTH_SIZE) ** 2, texture]
    return np.concatenate(parts)


def forward(weights: dict, pair: np.ndarray) -> np.ndarray:
    """The network in numpy: (2B, H, W) normalised pair -> (H, W) probability of change."""
    values = features(pair)
    flat = (values.reshape(values.shape[0], -1).T - weights["mean"]) / weights["scale"]
    return _predict(weights, flat).reshape(pair.shape[1:])


def _predict(weights: dict, flat: np.ndarray) -> np.ndarray:
    hidden = np.maximum(np.einsum("nf,hf->nh", flat, weights["w1"]) + weights["b1"], 0.0)
    return _sigmoid(np.einsum("nh,h->n", hidden, weights["w2"]) + weights["b2"])


def _sigmoid(values: np.ndarray) -> np.ndarray:
    return 0.5 * (1.0 + np.tanh(0.5 * values))  # no overflow for large |values|


def _training_pixels(folder: Path, generator: np.random.Generator):
    """Features and truth of a seeded sample of labelled pixels, and what was read."""
    rows, truths, ids, hashes, bands = [], [], [], [], set()
    for identifier, before_path, after_path, label_path in evaluate.find_pairs(folder):
        before, after = evaluate.read_image(before_path), evaluate.read_image(after_path)
        truth, labelled = metrics.truth_of(evaluate.read_image(label_path)[0])
        bands.add(before.shape[0])
        if len(bands) > 1 or before.shape != after.shape or before.shape[1:] != truth.shape:
            raise InvalidInput(
                "folder",
                f"{identifier}: images and label must share one grid "
                f"and every pair the same bands ({sorted(bands)} found)",
            )
        valid = np.ones(truth.shape, dtype=bool)
        pair = np.concatenate([normalise(image, valid, NORMALISATION) for image in (before, after)])
        values = features(pair)
        rows.append(values[:, labelled].T)
        truths.append(truth[labelled])
        ids.append(identifier)
        hashes.append(sha256_of(before_path))
    table, truth = np.concatenate(rows), np.concatenate(truths)
    if truth.all() or not truth.any():
        raise InvalidInput("folder", f"{folder} needs both changed and unchanged pixels to train")
    keep = np.sort(generator.permutation(len(truth))[:PIXELS])
    return table[keep], truth[keep], bands.pop(), ids, hashes


def _fit(table: np.ndarray, truth: np.ndarray, generator, epochs: int):
    """Full-batch Adam on the class-balanced logistic loss; returns weights and losses."""
    mean, scale = table.mean(axis=0), table.std(axis=0)
    scale = np.where(scale > 0, scale, 1.0)
    flat = (table - mean) / scale
    count = flat.shape[1]
    params = {
        "w1": generator.standard_normal((HIDDEN, count)) / np.sqrt(count),
        "b1": np.zeros(HIDDEN),
        "w2": generator.standard_normal(HIDDEN) / np.sqrt(HIDDEN),
        "b2": np.zeros(()),
    }
    # Changed pixels are few: each class carries half the loss, so the net cannot ignore them.
    positives = truth.mean()
    weight = np.where(truth, 0.5 / positives, 0.5 / (1 - positives)) / len(truth)
    moments = {key: (np.zeros_like(v), np.zeros_like(v)) for key, v in params.items()}
    losses = []
    for step in range(1, epochs + 1):
        loss, gradients = _loss_and_gradients(params, flat, truth, weight)
        losses.append(loss)
        for key, gradient in gradients.items():
            gradient = gradient + WEIGHT_DECAY * params[key]
            first, second = moments[key]
            first[...] = 0.9 * first + 0.1 * gradient
            second[...] = 0.999 * second + 0.001 * gradient**2
            corrected = first / (1 - 0.9**step), second / (1 - 0.999**step)
            params[key] = params[key] - LEARNING_RATE * corrected[0] / (
                np.sqrt(corrected[1]) + 1e-8
            )
    return {"mean": mean, "scale": scale, **params}, losses


def _loss_and_gradients(params: dict, flat, truth, weight):
    # einsum, not BLAS: one thread, so that other work on the machine neither slows it down
    # nor changes the order of its sums
    pre = np.einsum("nf,hf->nh", flat, params["w1"]) + params["b1"]
    hidden = np.maximum(pre, 0.0)
    logits = np.einsum("nh,h->n", hidden, params["w2"]) + params["b2"]
    # log(1 + e^x) − y·x, written so that large |x| does not overflow
    loss = float(np.sum(weight * (np.logaddexp(0.0, logits) - truth * logits)))
    delta = weight * (_sigmoid(logits) - truth)
    back = delta[:, None] * params["w2"] * (pre > 0)
    return loss, {
        "w2": np.einsum("nh,n->h", hidden, delta),
        "b2": np.asarray(delta.sum()),
        "w1": np.einsum("nh,nf->hf", back, flat),
        "b1": back.sum(axis=0),
    }


def _best_threshold(probability: np.ndarray, truth: np.ndarray) -> tuple[float, float]:
    """The threshold of best F1 on the training pixels (so it too is learnt from them only)."""
    best = (0.5, -1.0)
    for threshold in np.round(np.arange(0.05, 0.96, 0.01), 2):
        changed = probability > threshold
        tp = int(np.count_nonzero(changed & truth))
        f1 = 2 * tp / (int(changed.sum()) + int(truth.sum()))
        if f1 > best[1]:
            best = (float(threshold), f1)
    return best


def train(folder: Path | str, *, seed: int = 0, epochs: int = EPOCHS) -> tuple[dict, dict]:
    """Train on every labelled pair of `folder`: (weights for `forward`, training summary)."""
    folder = Path(folder)
    generator = np.random.default_rng(seed)
    table, truth, bands, ids, hashes = _training_pixels(folder, generator)
    weights, losses = _fit(table, truth, generator, epochs)
    flat = (table - weights["mean"]) / weights["scale"]
    threshold, f1 = _best_threshold(_predict(weights, flat), truth)
    summary = {
        "trained_on": [{"dataset": folder.name, "ids": ids, "before_sha256": hashes}],
        "bands": bands,
        "pixels": len(truth),
        "changed_share": float(truth.mean()),
        "seed": seed,
        "epochs": epochs,
        "loss": {"first": losses[0], "last": losses[-1]},
        "threshold": threshold,
        "training_f1": f1,
    }
    return weights, summary


def export(weights: dict, summary: dict, sensor: str, out_path: Path | str) -> str:
    """Write the ONNX model of `weights` with its metadata; returns the file's SHA-256."""
    metadata = {
        "siteline.bands": str(summary["bands"]),
        "siteline.sensor": sensor,
        "siteline.normalisation": NORMALISATION,
        "siteline.trained_on": json.dumps(summary["trained_on"], sort_keys=True),
        "siteline.threshold": f"{summary['threshold']:.2f}",
        "siteline.context": str(CONTEXT),
        "siteline.training": json.dumps(
            {key: summary[key] for key in ("seed", "epochs", "pixels")}, sort_keys=True
        ),
    }
    model = onnx_model(weights, summary["bands"], metadata)
    Path(out_path).write_bytes(model.SerializeToString())
    return sha256_of(Path(out_path))


def train_and_export(
    folder: Path | str, sensor: str, out_path: Path | str, *, seed: int = 0, epochs: int = EPOCHS
) -> dict:
    """Train on every labelled pair of `folder`, write the ONNX model to `out_path`, and
    return the training summary (with the model's path and SHA-256)."""
    if sensor not in SENSORS:
        raise InvalidInput("sensor", f"unknown sensor {sensor!r}; choose one of {SENSORS}")
    weights, summary = train(folder, seed=seed, epochs=epochs)
    digest = export(weights, summary, sensor, out_path)
    return {**summary, "sensor": sensor, "path": str(out_path), "sha256": digest}


def onnx_model(weights: dict, bands: int, metadata: dict):
    """The network of `forward` as an ONNX graph: input `pair` [N, 2B, H, W], output
    `change` [N, 1, H, W]; the feature standardisation is folded into the first layer."""
    import onnx  # here only: running a model needs ONNX Runtime alone
    from onnx import TensorProto, helper, numpy_helper

    graph = _Graph(numpy_helper)
    difference = graph.conv("pair", np.concatenate([-np.eye(bands), np.eye(bands)], axis=1))
    grey = graph.conv("pair", np.kron(np.eye(2), np.full((1, bands), 1 / bands)))
    energy = graph.op("Mul", difference, difference)
    smooth = graph.box(difference, bands, SMOOTH_SIZE)
    grey_mean = graph.box(grey, 2, SMOOTH_SIZE)
    texture = graph.op(
        "Sub",
        graph.box(graph.op("Mul", grey, grey), 2, SMOOTH_SIZE),
        graph.op("Mul", grey_mean, grey_mean),
    )
    parts = ["pair", difference, energy, *(graph.box(energy, bands, s) for s in ENERGY_SIZES)]
    parts += [graph.op("Mul", smooth, smooth), texture]
    stacked = graph.op("Concat", *parts, axis=1)
    w1 = weights["w1"] / weights["scale"]
    b1 = weights["b1"] - w1 @ weights["mean"]
    hidden = graph.op("Relu", graph.conv(stacked, w1, b1))
    logits = graph.conv(hidden, weights["w2"][None], np.atleast_1d(weights["b2"]))
    graph.nodes.append(helper.make_node("Sigmoid", [logits], ["change"], name="probability"))
    inputs = [helper.make_tensor_value_info("pair", TensorProto.FLOAT, ["N", 2 * bands, "H", "W"])]
    outputs = [helper.make_tensor_value_info("change", TensorProto.FLOAT, ["N", 1, "H", "W"])]
    body = helper.make_graph(graph.nodes, "siteline_tiny_change", inputs, outputs, graph.constants)
    model = helper.make_model(
        body,
        opset_imports=[helper.make_opsetid("", OPSET)],
        producer_name="siteline.imagery.train_tiny",
        ir_version=8,
        doc_string=__doc__.splitlines()[0],
    )
    helper.set_model_props(model, metadata)
    onnx.checker.check_model(model)
    return model


class _Graph:
    """Nodes and constant tensors, named in order, so the same weights give the same bytes."""

    def __init__(self, numpy_helper):
        self.nodes, self.constants, self._numpy_helper = [], [], numpy_helper

    def _name(self, prefix: str) -> str:
        return f"{prefix}_{len(self.nodes) + len(self.constants)}"

    def constant(self, values: np.ndarray) -> str:
        name = self._name("weight")
        array = np.asarray(values, dtype=np.float32)
        self.constants.append(self._numpy_helper.from_array(array, name))
        return name

    def op(self, kind: str, *inputs: str, **attributes) -> str:
        from onnx import helper

        name = self._name(kind.lower())
        self.nodes.append(helper.make_node(kind, list(inputs), [name], name=name, **attributes))
        return name

    def conv(self, values: str, matrix: np.ndarray, bias: np.ndarray | None = None) -> str:
        """A 1×1 convolution: out channel i = matrix[i] · in channels (+ bias[i])."""
        inputs = [values, self.constant(np.asarray(matrix)[:, :, None, None])]
        if bias is not None:
            inputs.append(self.constant(bias))
        return self.op("Conv", *inputs)

    def box(self, values: str, channels: int, size: int) -> str:
        """Zero-padded size×size mean of each channel: a row pass, then a column pass."""
        radius, taps = size // 2, np.full((channels, 1, 1, size), 1 / size)
        rows = self.op(
            "Conv", values, self.constant(taps), group=channels, pads=[0, radius, 0, radius]
        )
        column = self.constant(taps.reshape(channels, 1, size, 1))
        return self.op("Conv", rows, column, group=channels, pads=[radius, 0, radius, 0])
