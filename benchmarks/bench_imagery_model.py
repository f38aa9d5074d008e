"""A small trained change model against Siteline's training-free default, on unseen data.

Trains the tiny model of siteline.imagery.train_tiny on the LEVIR-CD pairs of
../shared/data/changedetection and scores it on the DSIFN-CD pairs, then the reverse
(trained on DSIFN-CD, scored on LEVIR-CD). A model is never scored on the data it was
trained on: model.evaluate_model refuses it. Beside it, in the same run and on the same
pairs: Siteline's training-free default for RGB and the floor of marking every pixel
changed. Pooled pixel precision, recall, F1, IoU, ROC AUC and site-level AUC (64×64
windows), as bench_imagery_accuracy.py gives them.

    .venv/bin/python benchmarks/bench_imagery_model.py [--epochs N] [--seed S]
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from pathlib import Path

from bench_imagery_accuracy import heading, row  # the same table as the accuracy benchmark

from siteline.imagery.evaluate import all_changed, evaluate_folder
from siteline.imagery.model import evaluate_model
from siteline.imagery.train_tiny import EPOCHS, train_and_export

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "changedetection"
SENSOR = "rgb"
RUNS = (("levir-cd", "dsifn-cd"), ("dsifn-cd", "levir-cd"))  # (trained on, scored on)
WIDTH = 40


def train(dataset: str, out: Path, seed: int, epochs: int) -> dict:
    started = time.perf_counter()
    summary = train_and_export(DATA / dataset, SENSOR, out, seed=seed, epochs=epochs)
    seconds = time.perf_counter() - started
    ids = summary["trained_on"][0]["ids"]
    print(
        f"\ntrained on {dataset}: {len(ids)} pairs ({', '.join(ids)}), "
        f"{summary['pixels']:,} sampled pixels ({summary['changed_share']:.1%} changed), "
        f"seed {seed}, {epochs} epochs, {seconds:.1f} s"
    )
    print(
        f"  threshold {summary['threshold']:.2f} and F1 {summary['training_f1']:.3f} on its own "
        f"training pixels (not a measure of accuracy); model SHA-256 {summary['sha256']}"
    )
    return summary


def report(trained_on: str, scored_on: str, seed: int, epochs: int) -> None:
    with tempfile.TemporaryDirectory() as folder:
        path = Path(folder) / f"tiny-{trained_on}.onnx"
        train(trained_on, path, seed, epochs)
        started = time.perf_counter()
        model = evaluate_model(DATA / scored_on, path)
        seconds = time.perf_counter() - started
    default = evaluate_folder(DATA / scored_on, SENSOR)
    print(
        f"scored on {scored_on}, which it was not trained on: {model['pairs']} pairs, "
        f"{model['pixels']:,} labelled pixels, model {seconds:.1f} s"
    )
    print(heading(WIDTH))
    print(row(f"tiny model (trained on {trained_on})", model, WIDTH))
    print(row(f"siteline {default['operator']} (no training)", default, WIDTH))
    print(row("all pixels changed", all_changed(DATA / scored_on), WIDTH))


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--epochs", type=int, default=EPOCHS)
    parser.add_argument("--seed", type=int, default=0)
    args = parser.parse_args()
    if not all((DATA / dataset / "label").is_dir() for dataset, _ in RUNS):
        print("skipped: shared data absent")
        return 0
    for trained_on, scored_on in RUNS:
        report(trained_on, scored_on, args.seed, args.epochs)
    return 0


if __name__ == "__main__":
    sys.exit(main())
