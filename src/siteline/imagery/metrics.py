"""Accuracy of change maps against labelled masks.

Label masks hold 255 for changed, 0 for unchanged and 128 for not labelled; 128 pixels, and
pixels whose score is not finite, are left out of every count.

Site level: an investigator asks "did this site change?", not "which pixel". The image is
cut into WINDOW×WINDOW windows; a window is changed when at least SITE_CHANGED_SHARE of its
labelled pixels are, and is scored by the share of its pixels the detector flagged. Windows
with fewer than SITE_MIN_LABELLED_SHARE of a full window labelled are left out (sparse
references).
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
from scipy.stats import rankdata

from siteline.errors import InvalidInput

CHANGED, UNCHANGED, IGNORED = 255, 0, 128
WINDOW = 64
SITE_CHANGED_SHARE = 0.05
SITE_MIN_LABELLED_SHARE = 0.1


@dataclass
class Confusion:
    """Pixel counts, added pair by pair to pool a dataset."""

    tp: int = 0
    fp: int = 0
    fn: int = 0
    tn: int = 0

    def __add__(self, other: Confusion) -> Confusion:
        return Confusion(
            self.tp + other.tp, self.fp + other.fp, self.fn + other.fn, self.tn + other.tn
        )

    @property
    def precision(self) -> float | None:
        return _ratio(self.tp, self.tp + self.fp)

    @property
    def recall(self) -> float | None:
        return _ratio(self.tp, self.tp + self.fn)

    @property
    def f1(self) -> float | None:
        return _ratio(2 * self.tp, 2 * self.tp + self.fp + self.fn)

    @property
    def iou(self) -> float | None:
        return _ratio(self.tp, self.tp + self.fp + self.fn)


def _ratio(numerator: int, denominator: int) -> float | None:
    """None where undefined (nothing detected, or nothing to detect): JSON has no NaN."""
    return numerator / denominator if denominator else None


def truth_of(label: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(changed, labelled) boolean masks from a 0/128/255 label image."""
    label = np.asarray(label)
    unexpected = ~np.isin(label, (CHANGED, UNCHANGED, IGNORED))
    if unexpected.any():
        values = sorted({int(v) for v in np.unique(label[unexpected])[:5]})
        raise InvalidInput("label", f"values must be 0, 128 or 255; found {values}")
    return label == CHANGED, label != IGNORED


def confusion(
    predicted: np.ndarray, label: np.ndarray, valid: np.ndarray | None = None
) -> Confusion:
    """Counts of `predicted` (bool) against `label` over labelled (and valid) pixels."""
    truth, labelled = truth_of(label)
    if valid is not None:
        labelled = labelled & valid
    p, t = predicted[labelled], truth[labelled]
    return Confusion(
        tp=int(np.count_nonzero(p & t)),
        fp=int(np.count_nonzero(p & ~t)),
        fn=int(np.count_nonzero(~p & t)),
        tn=int(np.count_nonzero(~p & ~t)),
    )


def roc_auc(scores: np.ndarray, truth: np.ndarray) -> float | None:
    """Area under the ROC curve: the chance that a changed item outscores an unchanged one
    (Mann–Whitney U over mid-ranks, so ties count a half). None without both classes."""
    scores = np.asarray(scores, dtype=np.float64).ravel()
    truth = np.asarray(truth, dtype=bool).ravel()
    positives, negatives = int(truth.sum()), int((~truth).sum())
    if positives == 0 or negatives == 0:
        return None
    ranks = rankdata(scores)
    u = ranks[truth].sum() - positives * (positives + 1) / 2
    return float(u / (positives * negatives))


def labelled_scores(score: np.ndarray, label: np.ndarray) -> tuple[np.ndarray, np.ndarray]:
    """(scores, truth) of the labelled pixels with a finite score, for a pooled AUC."""
    truth, labelled = truth_of(label)
    keep = labelled & np.isfinite(score)
    return score[keep], truth[keep]


def site_windows(changed: np.ndarray, valid: np.ndarray, label: np.ndarray, window: int = WINDOW):
    """(flagged share, truly changed) per window, as two arrays, for a site-level AUC."""
    truth, labelled = truth_of(label)
    shares, truths = [], []
    minimum = SITE_MIN_LABELLED_SHARE * window * window
    height, width = label.shape
    for top in range(0, height, window):
        for left in range(0, width, window):
            cell = (slice(top, top + window), slice(left, left + window))
            judged, counted = labelled[cell], valid[cell]
            if judged.sum() < minimum or not counted.any():
                continue
            truths.append(truth[cell][judged].mean() >= SITE_CHANGED_SHARE)
            shares.append(changed[cell][counted].mean())
    return np.asarray(shares, dtype=np.float64), np.asarray(truths, dtype=bool)


def summary(pooled: Confusion) -> dict:
    return {
        "precision": pooled.precision,
        "recall": pooled.recall,
        "f1": pooled.f1,
        "iou": pooled.iou,
        "tp": pooled.tp,
        "fp": pooled.fp,
        "fn": pooled.fn,
        "tn": pooled.tn,
    }
