"""Change-detection accuracy on the labelled pairs in ../shared/data/changedetection.

For each labelled dataset (LEVIR-CD and DSIFN-CD very-high-resolution RGB, the classic SAR
pairs, the Taizhou Landsat scene) runs Siteline's detector with the sensor's fixed method
and, in the same run, the baselines: grey difference + Otsu, plain band-difference magnitude
+ Otsu, and every pixel marked changed (the floor any method must beat). Prints pooled pixel
precision, recall, F1, IoU, ROC AUC and site-level AUC (64×64 windows) side by side, then
each target with PASS or BELOW:

- Landsat pixel F1 ≥ 0.92, SAR pixel F1 ≥ 0.85;
- LEVIR and DSIFN: clearly above the all-change floor (F1 at least 10 % above it), aiming
  at F1 0.60.

About a third of each dataset is held back for blind evaluation; these are the other pairs.

    .venv/bin/python benchmarks/bench_imagery_accuracy.py [--dataset NAME] [--no-register]
"""

from __future__ import annotations

import argparse
import sys
import time
from pathlib import Path

from siteline.imagery.evaluate import evaluate_baselines, evaluate_folder

DATA = Path(__file__).resolve().parents[2] / "shared" / "data" / "changedetection"
DATASETS = {
    "levir-cd": "rgb",
    "dsifn-cd": "rgb",
    "sar-classic": "sar",
    "landsat-taizhou-nanjing": "multispectral",
}
TARGET_F1 = {"sar-classic": 0.85, "landsat-taizhou-nanjing": 0.92}
AIM_F1 = {"levir-cd": 0.60, "dsifn-cd": 0.60}
CLEARLY_ABOVE_FLOOR = 1.10  # F1 at least this many times the all-change F1
COLUMNS = ("precision", "recall", "f1", "iou", "auc", "site_auc")
HEADINGS = ("prec", "recall", "F1", "IoU", "AUC", "siteAUC")


def figure(value) -> str:
    return "   n/a" if value is None else f"{value:6.3f}"


def heading(width: int = 28) -> str:
    return f"  {'method':<{width}}" + "".join(f" {name:>6}" for name in HEADINGS)


def row(name: str, result: dict, width: int = 28) -> str:
    return f"  {name:<{width}}" + "".join(f" {figure(result[column])}" for column in COLUMNS)


def verdict(passed: bool) -> str:
    return "PASS" if passed else "BELOW"


def targets(dataset: str, siteline: dict, floor: dict) -> list[str]:
    f1, lines = siteline["f1"] or 0.0, []
    if dataset in TARGET_F1:
        goal = TARGET_F1[dataset]
        lines.append(f"  target pixel F1 >= {goal:.2f}: {f1:.3f} {verdict(f1 >= goal)}")
    if dataset in AIM_F1:
        bar = CLEARLY_ABOVE_FLOOR * floor["f1"]
        lines.append(
            f"  target clearly above the all-change floor (F1 >= {bar:.3f}, floor {floor['f1']:.3f}): "
            f"{f1:.3f} {verdict(f1 >= bar)}"
        )
        lines.append(
            f"  aim pixel F1 >= {AIM_F1[dataset]:.2f}: {f1:.3f} {verdict(f1 >= AIM_F1[dataset])}"
        )
    return lines


def report(dataset: str, sensor: str, register: bool) -> None:
    folder = DATA / dataset
    started = time.perf_counter()
    siteline = evaluate_folder(folder, sensor, register=None if register else False)
    seconds = time.perf_counter() - started
    baselines = evaluate_baselines(folder, sensor)
    print(
        f"\n{dataset} ({sensor}): {siteline['pairs']} pairs, {siteline['pixels']:,} labelled pixels, "
        f"{siteline['site_windows']} site windows, {seconds:.1f} s"
    )
    print(heading())
    method = f"siteline {siteline['operator']}"
    print(row(method, siteline))
    for name, result in baselines.items():
        print(row(name, result))
    per_pair = ", ".join(
        f"{key} {figure(value).strip()}" for key, value in siteline["per_pair_f1"].items()
    )
    print(f"  per-pair F1: {per_pair}")
    for line in targets(dataset, siteline, baselines["all-changed"]):
        print(line)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--dataset", choices=sorted(DATASETS), help="one dataset only")
    parser.add_argument("--no-register", action="store_true", help="skip sub-pixel registration")
    args = parser.parse_args()
    if not DATA.is_dir():
        print("skipped: shared data absent")
        return 0
    for dataset, sensor in DATASETS.items():
        if args.dataset in (None, dataset):
            report(dataset, sensor, register=not args.no_register)
    return 0


if __name__ == "__main__":
    sys.exit(main())
