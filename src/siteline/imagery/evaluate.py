"""Accuracy of the change detector over a folder of labelled before/after pairs.

Layout (as in ../shared/data/changedetection/<dataset>/): `A/<id>.*` before, `B/<id>.*`
after, `label/<id>.png` mask (255 changed, 0 unchanged, 128 not labelled). Images are PNG,
GeoTIFF or ENVI (`.img` with its `.hdr`), all read with rasterio.

Metrics are pooled over every labelled pixel of every pair (one confusion matrix, one ROC
curve), as change-detection benchmarks report them; per-pair F1 is given beside them.
"""

from __future__ import annotations

import warnings
from collections.abc import Callable
from pathlib import Path

import numpy as np
import rasterio
from rasterio.errors import NotGeoreferencedWarning

from siteline.errors import InvalidInput
from siteline.imagery import metrics
from siteline.imagery.detect import Detection, detect_change

SIDECAR_SUFFIXES = {".hdr", ".xml", ".aux", ".ovr"}
NO_GUARDS = {"noise_floor": None, "noise_alpha": None, "floor_sigmas": None}
BASELINES = {
    "grey-difference+otsu": {"operator": "grey-difference", "radiometry": "none", **NO_GUARDS},
    "difference+otsu": {"operator": "difference", "radiometry": "none", **NO_GUARDS},
}


def read_image(path: Path) -> np.ndarray:
    """All bands of a raster as (bands, H, W); plain PNGs carry no georeference, which is fine."""
    with warnings.catch_warnings():
        warnings.simplefilter("ignore", NotGeoreferencedWarning)
        with rasterio.open(path) as source:
            return source.read()


def _image_of(folder: Path, identifier: str) -> Path:
    found = sorted(
        path
        for path in folder.glob(f"{identifier}.*")
        if path.stem == identifier and path.suffix.lower() not in SIDECAR_SUFFIXES
    )
    if not found:
        raise InvalidInput("folder", f"{folder / identifier}.* is missing")
    return found[0]


def find_pairs(folder: Path) -> list[tuple[str, Path, Path, Path]]:
    """(id, before, after, label) for every label in `folder`/label, sorted by id."""
    folder = Path(folder)
    labels = sorted((folder / "label").glob("*.png"))
    if not labels:
        raise InvalidInput(
            "folder", f"{folder} has no labels (no label/<id>.png): nothing to score against"
        )
    return [
        (
            label.stem,
            _image_of(folder / "A", label.stem),
            _image_of(folder / "B", label.stem),
            label,
        )
        for label in labels
    ]


def evaluate_with(folder: Path, run: Callable[[np.ndarray, np.ndarray], Detection]) -> dict:
    """The pooled figures of `run` (a detector of one pair) over every labelled pair."""
    pooled = metrics.Confusion()
    scores, truths, window_shares, window_truths = [], [], [], []
    per_pair, last = {}, None
    for identifier, before_path, after_path, label_path in find_pairs(folder):
        label = read_image(label_path)[0]
        before, after = read_image(before_path), read_image(after_path)
        if label.shape != before.shape[1:]:
            raise InvalidInput(
                "label", f"{label_path.name} is {label.shape}, the images {before.shape[1:]}"
            )
        last = run(before, after)
        valid = np.isfinite(last.score)
        counts = metrics.confusion(last.changed, label, valid)
        pooled = pooled + counts
        per_pair[identifier] = counts.f1
        pixel_scores, pixel_truth = metrics.labelled_scores(last.score, label)
        scores.append(pixel_scores)
        truths.append(pixel_truth)
        shares, window_truth = metrics.site_windows(last.changed, valid, label)
        window_shares.append(shares)
        window_truths.append(window_truth)
    result = metrics.summary(pooled)
    result["auc"] = metrics.roc_auc(np.concatenate(scores), np.concatenate(truths))
    result["site_auc"] = metrics.roc_auc(
        np.concatenate(window_shares), np.concatenate(window_truths)
    )
    result["site_windows"] = int(sum(len(w) for w in window_truths))
    result["pairs"] = len(per_pair)
    result["pixels"] = pooled.tp + pooled.fp + pooled.fn + pooled.tn
    result["per_pair_f1"] = per_pair
    result["operator"] = last.operator
    result["threshold_method"] = last.threshold_method
    return result


def evaluate_folder(folder: Path, sensor: str, **options) -> dict:
    """Siteline's detector (options as for detect_change) over every labelled pair in `folder`."""

    def run(before, after):
        return detect_change(before, after, sensor, **options)

    result = evaluate_with(Path(folder), run)
    result["sensor"] = sensor
    result["site_rule"] = (
        f"{metrics.WINDOW}x{metrics.WINDOW} windows, changed when >= {metrics.SITE_CHANGED_SHARE:.0%} "
        "of labelled pixels changed, scored by the share of pixels flagged changed"
    )
    return result


def evaluate_baselines(folder: Path, sensor: str) -> dict[str, dict]:
    """The simplest methods on the same pairs: grey difference and plain band difference
    magnitude (no registration, no normalisation, no noise guard), each with Otsu, and every
    pixel changed."""
    folder = Path(folder)
    results = {}
    for name, options in BASELINES.items():

        def run(before, after, options=options):
            return detect_change(
                before, after, sensor, register=False, threshold_method="otsu", **options
            )

        results[name] = evaluate_with(folder, run)
    results["all-changed"] = all_changed(folder)
    return results


def all_changed(folder: Path) -> dict:
    """The floor: every labelled pixel flagged changed (AUCs of a constant score are 0.5)."""
    pooled = metrics.Confusion()
    per_pair = {}
    for identifier, _, _, label_path in find_pairs(folder):
        label = read_image(label_path)[0]
        counts = metrics.confusion(np.ones(label.shape, dtype=bool), label)
        pooled = pooled + counts
        per_pair[identifier] = counts.f1
    result = metrics.summary(pooled)
    result.update(auc=0.5, site_auc=0.5, pairs=len(per_pair), per_pair_f1=per_pair)
    result["pixels"] = pooled.tp + pooled.fp + pooled.fn + pooled.tn
    return result
