"""Change detection between two images on one grid: the array pipeline.

validate → register (sub-pixel, when the dates allow it) → normalise radiometry → score
per pixel → threshold from the score's histogram, with a guard against splitting pure noise
→ mask. One method with fixed parameters per sensor, chosen on principle and measured on
labelled data (benchmarks/bench_imagery_accuracy.py):

- "multispectral": CVA on bands regressed after-onto-before, Kittler–Illingworth threshold,
  never below the chi quantile that noise alone reaches one time in `noise_alpha`;
- "sar": log-ratio after a 3×3 mean filter, Otsu threshold, never below the scene's median
  plus `floor_sigmas` robust deviations;
- "rgb" (very high resolution): colour-structure score (smoothed CVA + 1 − SSIM), Otsu, and a
  pixel must also differ by `noise_floor` times the images' own noise.

Every choice is in `Detection.parameters`, with the library versions, so that the same
input gives the same bytes again.
"""

from __future__ import annotations

from dataclasses import dataclass

import numpy as np
import scipy
import skimage
from skimage.morphology import remove_small_objects

from siteline.errors import InvalidInput
from siteline.imagery import operators, thresholds
from siteline.imagery.colour_structure import colour_structure
from siteline.imagery.radiometry import (
    fill_not_valid,
    normalise_pair,
    normalising_maps,
    sample_of,
)
from siteline.imagery.registration import register as register_pair

SENSORS = ("rgb", "multispectral", "sar")
OPERATORS = ("cva", "log-ratio", "colour-structure", "difference", "grey-difference", "welch-t")
SENSOR_DEFAULTS = {
    "rgb": {
        "operator": "colour-structure",
        "radiometry": "standardise",
        "threshold_method": "otsu",
        "noise_floor": 2.0,
    },
    "multispectral": {
        "operator": "cva",
        "radiometry": "regression",
        "threshold_method": "kittler-illingworth",
        "noise_alpha": 0.001,
    },
    "sar": {
        "operator": "log-ratio",
        "radiometry": "none",
        "threshold_method": "otsu",
        "floor_sigmas": 3.0,
    },
}
# Several scenes per period: Otsu on |t|, never below the t that noise reaches one time in 100.
STACK_DEFAULTS = {"threshold_method": "otsu", "noise_alpha": 0.01}
# Whether `register=None` registers. Not SAR: scenes of one orbit track are co-registered by
# their orbits, and resampling one date changes its speckle statistics against the other
# (on the sar-classic pairs registering cost F1 0.898 -> 0.884).
REGISTER_BY_DEFAULT = {"rgb": True, "multispectral": True, "sar": False}
OPERATOR_DEFAULTS = {
    "smoothing": 0.0,  # cva: pixels of Gaussian smoothing of the magnitude
    "colour_sigma": 8.0,  # colour-structure: about a house at 0.5 m
    "structure_sigma": 5.0,
    "speckle_size": 3,  # log-ratio and SAR stacks
    "speckle_kind": "mean",
    # Offset before logs, as a share of the median value: below ~5 % of the typical
    # backscatter, amplitudes sit at the noise floor and their ratios mean nothing.
    "log_offset_fraction": 0.05,
}
GUARDS = ("noise_floor", "noise_alpha", "floor_sigmas", "min_threshold")
OTHER_OPTIONS = (
    "bins",
    "min_region",
    "threshold_value",
    "upsample_factor",
    "max_shift",
    "min_shift",
)
MIN_SIDE_TO_REGISTER = 32  # smaller images carry too little structure to correlate


@dataclass(frozen=True)
class Detection:
    score: np.ndarray  # float32 (H, W): higher means more change; NaN where not valid
    changed: np.ndarray  # bool (H, W): score above threshold (False where not valid)
    threshold: float
    threshold_method: str  # "otsu", "kittler-illingworth" or "fixed"
    operator: str  # see OPERATORS
    shift: tuple[float, float]  # (rows, cols) misregistration of `after` found and corrected
    parameters: dict  # every parameter and choice, JSON-serialisable


def detect_change(
    before: np.ndarray,
    after: np.ndarray,
    sensor: str,
    *,
    valid: np.ndarray | None = None,
    register: bool | None = None,
    threshold_method: str | None = None,
    **options,
) -> Detection:
    """before/after: (bands, H, W) arrays on the same grid, any numeric dtype. valid: bool (H, W)
    or None. register: None follows REGISTER_BY_DEFAULT. Options: operator, radiometry, the
    names in OPERATOR_DEFAULTS and GUARDS (None turns a guard off), bins, min_region (drop
    changed regions smaller than this many pixels), threshold_value (with method "fixed"),
    and the registration's upsample_factor, max_shift, min_shift."""
    settings = _settings(sensor, threshold_method, options)
    score, parameters, shift, significant = _score_pair(
        before, after, sensor, valid, register, settings
    )
    return _threshold(score, parameters, shift, settings, significant)


def change_score(before, after, sensor, *, valid=None, register: bool | None = None, **options):
    """Score only (no threshold), for callers that threshold many windows with one histogram:
    (float32 score with NaN where not valid, operator, parameters). Pass
    parameters["threshold_floors"] to thresholds.threshold_from_histogram."""
    score, operator, parameters, _ = scored_window(
        before, after, sensor, valid=valid, register=register, **options
    )
    return score, operator, parameters


def scored_window(before, after, sensor, *, valid=None, register: bool | None = None, **options):
    """As `change_score`, with the per-pixel noise test of "rgb" as a fourth value: a bool
    mask of the pixels whose difference stands out from the images' own noise (None for
    the other sensors). A pixel is changed only where its score passes the threshold and
    this mask allows it, as in `detect_change`."""
    settings = _settings(sensor, None, options)
    score, parameters, _, significant = _score_pair(
        before, after, sensor, valid, register, settings
    )
    return score, settings["operator"], parameters, significant


LIBRARY_VERSIONS = {
    "numpy": np.__version__,
    "scipy": scipy.__version__,
    "scikit-image": skimage.__version__,
}


def detect_change_stacks(
    before: np.ndarray, after: np.ndarray, sensor: str, *, valid=None, **options
) -> Detection:
    """before/after: (n_scenes, bands, H, W): several scenes per period -> pixel-wise Welch t-test.

    The scenes must already be co-registered. SAR scenes are speckle-filtered and compared as
    logarithms; optical scenes are standardised band by band, each on its own.
    """
    score, _, parameters, settings = stack_score(before, after, sensor, valid=valid, **options)
    return _threshold(score, parameters, (0.0, 0.0), settings)


def stack_score(before, after, sensor: str, *, valid=None, **options):
    """The Welch t score of two stacks without a threshold, for callers that threshold many
    windows with one histogram: (score, "welch-t", parameters, settings)."""
    method = options.pop("threshold_method", None)
    settings = _settings(sensor, method, options)
    chosen = {*options, *(("threshold_method",) if method is not None else ())}
    settings.update({key: value for key, value in STACK_DEFAULTS.items() if key not in chosen})
    settings["operator"] = "welch-t"
    stacks = [_as_stack(before, "before"), _as_stack(after, "after")]
    if stacks[0].shape[1:] != stacks[1].shape[1:]:
        raise InvalidInput(
            "after",
            f"scenes of shape {stacks[1].shape[1:]} differ from before's {stacks[0].shape[1:]}",
        )
    mask = _valid_mask(valid, stacks[0].shape[2:], [*stacks[0], *stacks[1]])
    for name, stack in zip(("before", "after"), stacks, strict=True):
        for scene in stack:
            _refuse_constant(scene, mask, name)
    prepared, values = operators.stack_values(*stacks, mask, sensor, settings)
    counts, bands = (int(stacks[0].shape[0]), int(stacks[1].shape[0])), int(stacks[0].shape[1])
    alpha, minimum = settings.get("noise_alpha"), settings.get("min_threshold")
    if minimum is None and alpha is not None:
        minimum = thresholds.t_floor(*counts, bands, float(alpha))
    parameters = {
        "sensor": sensor,
        "operator": "welch-t",
        "scenes": list(counts),
        "values": values,
        "variance_floor": operators.VARIANCE_FLOOR,
        "registration": {"applied": False, "reason": "stacks are compared as given"},
        "threshold_method": settings["threshold_method"],
        "threshold_floors": {
            "floor_sigmas": settings.get("floor_sigmas"),
            "min_threshold": minimum,
        },
    }
    return _finish(operators.welch_t(*prepared), mask), "welch-t", parameters, settings


def _settings(sensor: str, threshold_method: str | None, options: dict) -> dict:
    if sensor not in SENSORS:
        raise InvalidInput(
            "sensor", f"unknown sensor {sensor!r}; choose one of {', '.join(SENSORS)}"
        )
    unknown = sorted(
        set(options) - {"operator", "radiometry", *OPERATOR_DEFAULTS, *GUARDS, *OTHER_OPTIONS}
    )
    if unknown:
        raise InvalidInput("options", f"unknown option(s): {', '.join(unknown)}")
    settings = {
        **OPERATOR_DEFAULTS,
        **SENSOR_DEFAULTS[sensor],
        "bins": thresholds.DEFAULT_BINS,
        "min_region": 0,
    }
    settings.update(options)
    if threshold_method is not None:
        settings["threshold_method"] = threshold_method
    if settings["operator"] not in OPERATORS:
        raise InvalidInput(
            "operator",
            f"unknown operator {settings['operator']!r}; choose one of {', '.join(OPERATORS)}",
        )
    return settings


def _as_image(array, name: str) -> np.ndarray:
    image = np.asarray(array)
    if image.ndim != 3:
        raise InvalidInput(
            name, f"expected an array of (bands, height, width), got shape {image.shape}"
        )
    if not (np.issubdtype(image.dtype, np.integer) or np.issubdtype(image.dtype, np.floating)):
        raise InvalidInput(name, f"expected numbers, got dtype {image.dtype}")
    if image.shape[0] < 1 or min(image.shape[1:]) < 2:
        raise InvalidInput(name, f"an image of shape {image.shape} is too small")
    # float32: the scenes' own precision is 8 to 16 bits, and a window of a large scene is
    # four million pixels a band.
    return image.astype(np.float32, copy=False)


def _as_stack(array, name: str) -> np.ndarray:
    stack = np.asarray(array)
    if stack.ndim != 4:
        raise InvalidInput(
            name, f"expected (scenes, bands, height, width), got shape {stack.shape}"
        )
    if stack.shape[0] < 2:
        raise InvalidInput(name, "a t-test needs at least 2 scenes per period")
    return np.stack([_as_image(scene, name) for scene in stack])


def _valid_mask(valid, shape: tuple[int, int], images: list[np.ndarray]) -> np.ndarray:
    mask = np.ones(shape, dtype=bool)
    if valid is not None:
        valid = np.asarray(valid)
        if valid.shape != shape or valid.dtype != bool:
            raise InvalidInput(
                "valid", f"expected a bool array of shape {shape}, got {valid.dtype} {valid.shape}"
            )
        mask &= valid
    for image in images:
        # Its least and greatest values settle it without a mask the size of the image
        # (NaN carries through both).
        if not (np.isfinite(image.min()) and np.isfinite(image.max())):
            mask &= np.isfinite(image).all(axis=0)
    if not mask.any():
        raise InvalidInput("valid", "no pixel is valid (and finite) in both images")
    return mask


def _refuse_constant(image: np.ndarray, valid: np.ndarray, name: str) -> None:
    # Two different values among a sample settle it at once; only a constant-looking sample
    # needs every valid pixel.
    sample = image.reshape(image.shape[0], -1)[:, sample_of(valid)]
    if sample.size and sample.min() != sample.max():
        return
    values = image[:, valid]
    if values.min() == values.max():
        raise InvalidInput(
            name, f"the image has one constant value ({values.min():g}) over the valid pixels"
        )


def _check_pair(before, after, sensor: str, valid):
    before, after = _as_image(before, "before"), _as_image(after, "after")
    if before.shape[0] != after.shape[0]:
        raise InvalidInput("after", f"has {after.shape[0]} bands, before has {before.shape[0]}")
    if before.shape != after.shape:
        raise InvalidInput(
            "after",
            f"size {after.shape[1:]} differs from before's {before.shape[1:]}: not one grid",
        )
    if sensor == "rgb" and before.shape[0] != 3:
        raise InvalidInput("before", f"sensor 'rgb' needs 3 bands, got {before.shape[0]}")
    mask = _valid_mask(valid, before.shape[1:], [before, after])
    _refuse_constant(before, mask, "before")
    _refuse_constant(after, mask, "after")
    return before, after, mask


def _score_pair(before, after, sensor, valid, register, settings):
    before, after, mask = _check_pair(before, after, sensor, valid)
    reason = "not asked" if register is False else f"off by default for {sensor}"
    register = REGISTER_BY_DEFAULT[sensor] if register is None else register
    shift, registration = (0.0, 0.0), {"applied": False, "reason": reason}
    if register and min(mask.shape) < MIN_SIDE_TO_REGISTER:
        registration["reason"] = f"image smaller than {MIN_SIDE_TO_REGISTER} pixels a side"
    elif register:
        chosen = {
            key: settings[key]
            for key in ("upsample_factor", "max_shift", "min_shift")
            if key in settings
        }
        after, mask, shift, registration = register_pair(before, after, mask, **chosen)
    ratio = settings["operator"] == "log-ratio"
    statistic = np.median if ratio else np.mean
    raw = (before, after)
    if not _pixel_by_pixel(settings):  # a filter would smear the not-valid pixels around
        raw = (fill_not_valid(before, mask, statistic), fill_not_valid(after, mask, statistic))
    # A ratio cancels any gain between the dates by itself; an offset would only corrupt it.
    method = "none" if ratio else settings["radiometry"]
    significant, noise = None, None
    if settings["operator"] == "colour-structure":
        *maps, radiometry = normalising_maps(*raw, mask, method)
        floor = settings.get("noise_floor")
        score, operator_parameters, significant, noise = colour_structure(
            *raw, maps, mask, float(settings["colour_sigma"]),
            float(settings["structure_sigma"]), None if floor is None else float(floor),
        )  # fmt: skip
    else:
        before, after, radiometry = normalise_pair(*raw, mask, method)
        score, operator_parameters = operators.score_by_name(before, after, raw, mask, settings)
    alpha, minimum = settings.get("noise_alpha"), settings.get("min_threshold")
    if (
        minimum is None
        and alpha is not None
        and (settings["operator"], radiometry["method"]) == ("cva", "regression")
    ):
        minimum = thresholds.chi_floor(before.shape[0], float(alpha))
    parameters = {
        "sensor": sensor,
        "operator": settings["operator"],
        "registration": registration,
        "radiometry": radiometry,
        "operator_parameters": operator_parameters,
        "noise_test": noise,
        "threshold_method": settings["threshold_method"],
        "threshold_floors": {
            "floor_sigmas": settings.get("floor_sigmas"),
            "min_threshold": minimum,
        },
    }
    return _finish(score, mask), parameters, shift, significant


def _pixel_by_pixel(settings: dict) -> bool:
    """Whether the operator scores each pixel from that pixel alone (no neighbourhood)."""
    operator = settings["operator"]
    smoothing = float(settings["smoothing"]) if operator == "cva" else 0.0
    return operator in ("cva", "difference", "grey-difference") and smoothing == 0


def _finish(score: np.ndarray, mask: np.ndarray) -> np.ndarray:
    return np.where(mask, score, np.nan).astype(np.float32)


def _threshold(score, parameters, shift, settings, significant=None) -> Detection:
    method, bins = settings["threshold_method"], int(settings["bins"])
    valid, floors = np.isfinite(score), parameters["threshold_floors"]
    if method == "fixed":
        if settings.get("threshold_value") is None:
            raise InvalidInput(
                "threshold_value", "the 'fixed' threshold method needs threshold_value"
            )
        threshold = float(settings["threshold_value"])
    else:
        threshold = thresholds.threshold_scores(score, valid, method, bins, **floors)
    changed = np.zeros(score.shape, dtype=bool)
    changed[valid] = score[valid] > threshold
    if significant is not None:
        changed &= significant
    if int(settings["min_region"]) > 1:
        changed = remove_small_objects(changed, max_size=int(settings["min_region"]) - 1)
    versions = LIBRARY_VERSIONS
    parameters = {
        **parameters,
        "threshold": {"method": method, "bins": bins, "value": threshold, **floors},
        "min_region": int(settings["min_region"]),
        "valid_pixels": int(valid.sum()),
        "versions": versions,
    }
    shift = (float(shift[0]), float(shift[1]))
    return Detection(score, changed, threshold, method, settings["operator"], shift, parameters)
