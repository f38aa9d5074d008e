"""A trained change model, plugged in as an ONNX file and run with ONNX Runtime.

Siteline's default detectors need no training. A user who trusts a trained model may score a
pair with it instead; the model file must then keep this contract, checked when it is loaded:

- inputs, float32 (`tensor(float)`), either one input `[N, 2*B, H, W]` (the B bands of the
  before image, then the B bands of the after image) or two inputs named `before` and
  `after`, each `[N, B, H, W]`. H and W must be free (symbolic), so that any tile fits; N
  free or 1;
- one output, float32 `[N, 1, H, W]`: the probability of change per pixel, in [0, 1];
- metadata (ONNX `metadata_props`):
  - `siteline.bands`: B, the number of bands of each date;
  - `siteline.sensor`: `rgb`, `multispectral` or `sar`;
  - `siteline.normalisation`: how each band is scaled before it goes in: `none`,
    `standardise` (each band of each date to mean 0 and standard deviation 1 over the
    valid pixels of the whole image) or `divide:K` (divided by K, e.g. `divide:255`);
  - `siteline.trained_on`: JSON list of `{"dataset": NAME, "ids": [...]}` (optionally
    `"before_sha256": [...]`, the SHA-256 of each training pair's before image): what the
    model saw in training. Its figures are reported only on pairs not in this list;
  - optional: `siteline.threshold` (probability above which a pixel counts as changed,
    default 0.5), `siteline.context` (pixels of context the model needs on each side of a
    pixel, its receptive-field radius; default 32) and `siteline.multiple` (H and W must be
    multiples of it, as for a network that halves the image k times: 2^k; default 1; tiles
    are padded by mirroring up to it and cropped back).

The image is scored in tiles of `tile` pixels a side, each read with `context` pixels more on
every side, so memory stays bounded and, when `context` covers the receptive field, tiles
join without seams. One CPU thread and the CPU execution provider: the same file and pair
give the same bytes. The model's SHA-256 and metadata are part of `parameters`.
"""

from __future__ import annotations

import hashlib
import json
from pathlib import Path

import numpy as np

from siteline.errors import InvalidInput
from siteline.imagery import evaluate
from siteline.imagery.detect import SENSORS, Detection

REQUIRED_METADATA = ("siteline.bands", "siteline.sensor", "siteline.normalisation")
TRAINED_ON = "siteline.trained_on"
DEFAULT_THRESHOLD, DEFAULT_CONTEXT, MAX_CONTEXT = 0.5, 32, 256
DEFAULT_TILE = 256
PROBE_SIDE = 40  # a small input run once on load, to see the output's shape and range
OPERATOR = "onnx-model"


def sha256_of(path: Path) -> str:
    return hashlib.sha256(Path(path).read_bytes()).hexdigest()


def normalise(image: np.ndarray, valid: np.ndarray, method: str) -> np.ndarray:
    """(bands, H, W) scaled as `method` says, as a float32 copy; pixels not valid become the
    band's valid mean first, so that they pull nothing (0 after standardisation)."""
    image = np.array(image, dtype=np.float32)
    for band in image:
        values = band[valid]
        mean = float(values.mean(dtype=np.float64))
        band[~valid] = mean
        if method == "standardise":
            spread = float(values.std(dtype=np.float64))
            band -= mean
            band /= spread if spread > 0 else 1.0
        elif method != "none":
            band /= _divisor(method)
    return image


def _divisor(method: str) -> float:
    """K of `divide:K`, or ValueError."""
    name, _, value = method.partition(":")
    divisor = float(value) if name == "divide" else float("nan")
    if not np.isfinite(divisor) or divisor <= 0:
        raise ValueError(method)
    return divisor


def _onnxruntime():
    try:
        import onnxruntime  # here only: needed by users of trained models alone
    except ImportError:
        raise InvalidInput(
            "model", "ONNX Runtime is not installed (pip install onnxruntime)"
        ) from None
    return onnxruntime


class ChangeModel:
    """An ONNX change model, checked against the contract above when loaded."""

    def __init__(self, path: Path | str, *, tile: int = DEFAULT_TILE):
        self.path = Path(path)
        self.tile = int(tile)
        if self.tile < 8:
            raise InvalidInput("tile", f"tiles of {tile} pixels are too small (at least 8)")
        try:
            content = self.path.read_bytes()
        except OSError as error:
            raise self._refuse(f"cannot be read ({error.strerror})") from error
        self.sha256 = hashlib.sha256(content).hexdigest()
        self.session = self._session(content)
        self.metadata = dict(self.session.get_modelmeta().custom_metadata_map)
        self._read_metadata()
        self.layout = self._check_inputs()
        self._check_output()
        self._probe()

    def _refuse(self, problem: str):
        return InvalidInput("model", f"{self.path}: {problem}")

    def _session(self, content: bytes):
        onnxruntime = _onnxruntime()
        options = onnxruntime.SessionOptions()
        options.intra_op_num_threads = 1  # one thread: sums in one order, the same bytes
        options.inter_op_num_threads = 1
        options.execution_mode = onnxruntime.ExecutionMode.ORT_SEQUENTIAL
        options.log_severity_level = 3
        try:
            return onnxruntime.InferenceSession(
                content, options, providers=["CPUExecutionProvider"]
            )
        except Exception as error:  # ONNX Runtime raises its own types, not one base
            reason = str(error).strip().splitlines()[0][:200] if str(error).strip() else ""
            raise self._refuse(f"not an ONNX model ONNX Runtime can load ({reason})") from error

    def _read_metadata(self) -> None:
        missing = [key for key in (*REQUIRED_METADATA, TRAINED_ON) if key not in self.metadata]
        if missing:
            raise self._refuse(f"metadata lacks {', '.join(missing)} (see siteline.imagery.model)")
        self.bands = self._number("siteline.bands", int, None, 1, 10_000)
        self.threshold = self._number("siteline.threshold", float, DEFAULT_THRESHOLD, 0, 1)
        self.context = self._number("siteline.context", int, DEFAULT_CONTEXT, 0, MAX_CONTEXT)
        self.multiple = self._number("siteline.multiple", int, 1, 1, MAX_CONTEXT)
        self.sensor = self.metadata["siteline.sensor"]
        if self.sensor not in SENSORS:
            raise self._refuse(f"siteline.sensor {self.sensor!r} is not one of {SENSORS}")
        self.normalisation = self.metadata["siteline.normalisation"]
        try:
            if self.normalisation not in ("none", "standardise"):
                _divisor(self.normalisation)
        except ValueError:
            raise self._refuse(
                f"unknown normalisation {self.normalisation!r}: none, standardise or divide:K"
            ) from None
        self.trained_on = self._parse_trained_on(self.metadata[TRAINED_ON])

    def _number(self, key: str, kind: type, default, low: float, high: float):
        text = self.metadata.get(key, default)
        try:
            value = kind(text)
        except (TypeError, ValueError):
            value = None
        if value is None or not low <= value <= high:
            raise self._refuse(f"{key} is {text!r}: expected a number from {low} to {high}")
        return value

    def _parse_trained_on(self, text: str) -> list[dict]:
        try:
            entries = json.loads(text)
            if all(isinstance(e["dataset"], str) and isinstance(e["ids"], list) for e in entries):
                return entries
        except (ValueError, KeyError, TypeError):
            pass
        raise self._refuse(f'{TRAINED_ON} must be a JSON list of {{"dataset": name, "ids": [...]}}')

    def _check_inputs(self) -> str:
        inputs = self.session.get_inputs()
        names = sorted(node.name for node in inputs)
        if len(inputs) == 1:
            self._check_tensor(inputs[0], 2 * self.bands, "input")
            return "stacked"
        if names == ["after", "before"]:
            for node in inputs:
                self._check_tensor(node, self.bands, "input")
            return "separate"
        raise self._refuse(f"expected one input, or two named before and after; found {names}")

    def _check_output(self) -> None:
        outputs = self.session.get_outputs()
        if len(outputs) != 1:
            raise self._refuse(f"expected one output, found {len(outputs)}")
        self._check_tensor(outputs[0], 1, "output")

    def _check_tensor(self, node, channels: int, role: str) -> None:
        shape = list(node.shape)
        if node.type != "tensor(float)" or len(shape) != 4:
            raise self._refuse(
                f"{role} {node.name!r} is {node.type} {shape}; expected float32 [N, C, H, W]"
            )
        if isinstance(shape[1], int) and shape[1] != channels:
            raise self._refuse(
                f"{role} {node.name!r} has {shape[1]} channels; expected {channels} "
                f"({self.bands} bands a date, siteline.bands)"
            )
        fixed_batch = isinstance(shape[0], int) and shape[0] != 1
        if fixed_batch or isinstance(shape[2], int) or isinstance(shape[3], int):
            raise self._refuse(
                f"{role} {node.name!r} has shape {shape}: N must be free or 1, H and W free"
            )

    def _probe(self) -> None:
        generator = np.random.default_rng(0)
        pair = generator.standard_normal((2 * self.bands, PROBE_SIDE, PROBE_SIDE))
        try:
            self._run(pair.astype(np.float32))
        except InvalidInput:
            raise
        except Exception as error:
            raise self._refuse(f"fails on a {PROBE_SIDE}-pixel test input ({error})") from None

    def _run(self, pair: np.ndarray) -> np.ndarray:
        """(2B, h, w) float32 -> (h, w) probabilities, refused unless in [0, 1]."""
        height, width = pair.shape[1:]
        padding = ((0, 0), (0, -height % self.multiple), (0, -width % self.multiple))
        batch = np.pad(pair, padding, mode="symmetric")[None]
        if self.layout == "stacked":
            feeds = {self.session.get_inputs()[0].name: batch}
        else:
            feeds = {"before": batch[:, : self.bands], "after": batch[:, self.bands :]}
        (result,) = self.session.run(None, feeds)
        expected = (1, 1, *batch.shape[2:])
        if result.shape != expected:
            raise self._refuse(f"output has shape {list(result.shape)}; expected {list(expected)}")
        result = result[0, 0, :height, :width]
        if not np.all((result >= 0) & (result <= 1)):  # NaN fails this too
            raise self._refuse(
                f"output is not a probability: values from {np.nanmin(result):g} to "
                f"{np.nanmax(result):g}, or NaN; the contract is [0, 1]"
            )
        return result

    def score(self, before, after, valid: np.ndarray | None = None) -> np.ndarray:
        """before/after: (bands, H, W) on one grid -> float32 (H, W) probability of change,
        NaN where `valid` is False or a band is not finite."""
        before, after = np.asarray(before), np.asarray(after)
        mask = self._mask(before, after, valid)
        pair = np.concatenate(
            [normalise(image, mask, self.normalisation) for image in (before, after)]
        )
        score = np.full(mask.shape, np.nan, dtype=np.float32)
        for core, window in self._tiles(mask.shape):
            result = self._run(np.ascontiguousarray(pair[(slice(None), *window)]))
            inner = tuple(
                slice(c.start - w.start, c.stop - w.start)
                for c, w in zip(core, window, strict=True)
            )
            score[core] = result[inner]
        score[~mask] = np.nan
        return score

    def _mask(self, before: np.ndarray, after: np.ndarray, valid) -> np.ndarray:
        if before.ndim != 3 or before.shape != after.shape:
            raise InvalidInput(
                "after",
                f"before {before.shape} and after {after.shape}: not one (bands, H, W) grid",
            )
        if before.shape[0] != self.bands:
            raise self._refuse(
                f"the model takes {self.bands} bands per date ({self.sensor}); "
                f"the scene has {before.shape[0]}"
            )
        mask = np.isfinite(before).all(axis=0) & np.isfinite(after).all(axis=0)
        if valid is not None:
            mask &= np.asarray(valid, dtype=bool)
        if not mask.any():
            raise InvalidInput("valid", "no pixel is valid (and finite) in both images")
        return mask

    def _tiles(self, shape: tuple[int, int]):
        """(core, window) slice pairs: the core is kept, the window adds `context` around it."""
        height, width = shape
        for top in range(0, height, self.tile):
            for left in range(0, width, self.tile):
                rows = slice(top, min(top + self.tile, height))
                cols = slice(left, min(left + self.tile, width))
                yield (rows, cols), (self._widen(rows, height), self._widen(cols, width))

    def _widen(self, core: slice, size: int) -> slice:
        return slice(max(core.start - self.context, 0), min(core.stop + self.context, size))

    @property
    def parameters(self) -> dict:
        return {
            "model": {
                "file": self.path.name,
                "sha256": self.sha256,
                "metadata": dict(sorted(self.metadata.items())),
                "inputs": self.layout,
            },
            "normalisation": self.normalisation,
            "tile": self.tile,
            "context": self.context,
            "multiple": self.multiple,
            "threshold": self.threshold,
            "execution": {"provider": "CPUExecutionProvider", "threads": 1},
            "versions": {"onnxruntime": _onnxruntime().__version__, "numpy": np.__version__},
        }

    def detect(self, before, after, valid: np.ndarray | None = None) -> Detection:
        """Score and the model's own threshold, as a Detection (threshold method "fixed")."""
        score = self.score(before, after, valid)
        changed = np.zeros(score.shape, dtype=bool)
        finite = np.isfinite(score)
        changed[finite] = score[finite] > self.threshold
        parameters = {
            **self.parameters,
            "sensor": self.sensor,
            "operator": OPERATOR,
            "valid_pixels": int(finite.sum()),
        }
        return Detection(score, changed, self.threshold, "fixed", OPERATOR, (0.0, 0.0), parameters)

    def trained_pairs(self, folder: Path) -> list[str]:
        """Ids of the labelled pairs in `folder` the model was trained on: by the folder's
        name and the pair's id, or by the before image's SHA-256 (a renamed copy)."""
        folder = Path(folder)
        ids = {i for e in self.trained_on if e["dataset"] == folder.name for i in e["ids"]}
        hashes = {h for e in self.trained_on for h in e.get("before_sha256", [])}
        return [
            identifier
            for identifier, before, _, _ in evaluate.find_pairs(folder)
            if identifier in ids or (hashes and sha256_of(before) in hashes)
        ]


def evaluate_model(folder: Path | str, model_path: Path | str, *, tile: int = DEFAULT_TILE) -> dict:
    """The model's pooled pixel figures over every labelled pair in `folder`, as
    `evaluate.evaluate_folder` gives them; refused if any pair is one it was trained on."""
    folder, model = Path(folder), ChangeModel(model_path, tile=tile)
    seen = model.trained_pairs(folder)
    if seen:
        raise InvalidInput(
            "folder",
            f"{model.path.name} was trained on {len(seen)} pair(s) of {folder} "
            f"({', '.join(seen)}): figures on training data say nothing of accuracy",
        )
    result = evaluate.evaluate_with(folder, lambda before, after: model.detect(before, after))
    result.update(
        sensor=model.sensor,
        scored_on=folder.name,
        trained_on=model.trained_on,
        model=model.parameters["model"],
    )
    return result
