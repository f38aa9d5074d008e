"""Before/after change analysis at a site, kept as derived evidence anyone can recompute.

The result is three derived items of the after scene, added together: the change score as
a GeoTIFF on the grid (`change_map`), the evidence figure (`change_figure`), and the
analysis itself as JSON (`change_analysis`) naming both scenes by hash, the site, the grid,
every parameter, the code version, the result, and the hashes of the map and the figure.
Nothing in it depends on when or where it ran: the same scenes and parameters give the
same bytes.
"""

from __future__ import annotations

import json
import math
import tempfile
from contextlib import ExitStack
from pathlib import Path

import numpy as np
import orjson
from shapely import Polygon

from siteline import __version__
from siteline.domain.entities import DerivedItem
from siteline.errors import InvalidInput
from siteline.imagery.compare import Comparison, compare_on_grid
from siteline.imagery.detect import LIBRARY_VERSIONS
from siteline.imagery.figure import CAPTION, FigureInput, render_change_figure
from siteline.imagery.grid import Grid, check_cover, make_grid, site_polygon_wgs84
from siteline.imagery.model import ChangeModel
from siteline.services import derived, sites
from siteline.services.findings import refreshes_findings
from siteline.services.imagery import opened_scene, scene_record
from siteline.store.blobs import sha256_hex
from siteline.store.case_folder import Case

METHOD = "siteline-change"
DEFAULT_RING_M = 200.0
DEFAULT_RADIUS_M = 50.0
WHAT_IT_SHOWS = CAPTION


@refreshes_findings
def compare_scenes(
    case: Case,
    site_reference: str | int,
    before_ids: int | list[int],
    after_ids: int | list[int],
    *,
    ring_m: float = DEFAULT_RING_M,
    radius_m: float = DEFAULT_RADIUS_M,
    pixel_m: float | None = None,
    threshold_method: str | None = None,
    register: bool = True,
    model_path: Path | None = None,
) -> dict:
    """Compares scenes over a site: one before and one after, or at least two of each (a
    pixel-wise Welch t-test between the periods); stores and returns the analysis. With
    `model_path`, a trained change model (ONNX) scores the pair instead."""
    site = sites.find_site(case, site_reference, "site")
    if model_path is not None and (len(_numbers(before_ids)), len(_numbers(after_ids))) != (1, 1):
        raise InvalidInput("--model", "a trained model scores one pair of scenes, not stacks")
    before = [scene_record(case, number) for number in _numbers(before_ids)]
    after = [scene_record(case, number) for number in _numbers(after_ids)]
    sensor = _same_sensor([item for item, _ in before + after])
    _check_periods(before, after)
    model = ChangeModel(model_path) if model_path is not None else None
    outline = site_polygon_wgs84(site, radius_m)
    grid = make_grid(outline, ring_m, [info for _, info in before + after], pixel_m)
    cover = {
        f"{label} #{item['id']}": check_cover(grid, info, label)
        for label, scenes in (("before", before), ("after", after))
        for item, info in scenes
    }
    with ExitStack() as stack:
        opened = [
            [(stack.enter_context(opened_scene(case, item)), info) for item, info in scenes]
            for scenes in (before, after)
        ]
        workdir = Path(stack.enter_context(tempfile.TemporaryDirectory(prefix="siteline-compare-")))
        result = compare_on_grid(
            *opened, grid, sensor, workdir,
            register=register, threshold_method=threshold_method, model=model,
        )  # fmt: skip
        score_map = result.score_path.read_bytes()
    before_items, after_items = [item for item, _ in before], [item for item, _ in after]
    figure = render_change_figure(
        _figure_input(grid, result, site, before_items[-1], after_items[0], sensor)
    )
    analysis = plain(_analysis(
        site, outline, grid, cover, before_items, after_items, sensor, result,
        {"ring_m": ring_m, "radius_m": radius_m, "pixel_m": pixel_m, "register": register,
         "model_sha256": model.sha256 if model else None},
        score_map, figure,
    ))  # fmt: skip
    records = _store(case, before_items, after_items, analysis, score_map, figure)
    return {**analysis, "derived": records}


def _numbers(ids: int | list[int]) -> list[int]:
    return [ids] if isinstance(ids, int) else list(ids)


def _same_sensor(items: list[dict]) -> str:
    sensors = {json.loads(item["details"])["sensor"] for item in items}
    if len(sensors) != 1:
        raise InvalidInput(
            "scenes", f"the scenes come from different sensors ({', '.join(sorted(sensors))})"
        )
    return sensors.pop()


def _check_periods(before: list, after: list) -> None:
    """One scene a period or at least two each, every band count alike, and every before
    scene taken before every after scene."""
    if not ((len(before), len(after)) == (1, 1) or min(len(before), len(after)) >= 2):
        raise InvalidInput(
            "scenes", "give one scene for each period, or at least two for each (a t-test)"
        )
    numbers = [item["id"] for item, _ in before + after]
    repeated = sorted({number for number in numbers if numbers.count(number) > 1})
    if repeated:
        raise InvalidInput("scenes", f"scene #{repeated[0]} is given more than once")
    first_item, first_info = before[0]
    for item, info in before + after:
        if info.bands != first_info.bands:
            raise InvalidInput(
                "scenes",
                f"scene #{first_item['id']} has {first_info.bands} bands and scene "
                f"#{item['id']} {info.bands}",
            )
    latest = max(before, key=lambda scene: scene[0]["captured_at"] or "")[0]
    earliest = min(after, key=lambda scene: scene[0]["captured_at"] or "\uffff")[0]
    if (
        latest["captured_at"]
        and earliest["captured_at"]
        and latest["captured_at"] > earliest["captured_at"]
    ):
        raise InvalidInput(
            "scenes",
            f"the before scene #{latest['id']} ({latest['captured_at'][:10]}) was taken after the "
            f"after scene #{earliest['id']} ({earliest['captured_at'][:10]})",
        )


def _figure_input(
    grid: Grid, result: Comparison, site, before_item, after_item, sensor
) -> FigureInput:
    figures, step = result.figures, result.figures.step
    display = (
        (lambda bands: bands.transpose(1, 2, 0)) if sensor == "rgb" else (lambda bands: bands[0])
    )
    shown = result.site
    share = shown["site_changed_fraction"]
    method_line = (
        f"{result.operator}, {result.threshold_method} threshold {result.threshold:.3g}; "
        + (
            f"{100 * share:.1f} % of site pixels changed vs {100 * shown['ring_changed_fraction']:.1f} % "
            f"in the ring (block test p = {shown['block_p_value']:.3g})"
            if share is not None and shown["ring_changed_fraction"] is not None
            else "no valid pixels in the site or the ring"
        )
    )
    return FigureInput(
        before=display(figures.before),
        after=display(figures.after),
        score=figures.score,
        changed=figures.changed,
        site_outline=[(col / step, row / step) for col, row in grid.to_pixels(grid.site)],
        ring_outline=[(col / step, row / step) for col, row in grid.to_pixels(grid.ring)],
        pixel_size_m=grid.pixel_size_m * step,
        north_angle_deg=0.0,  # the grid is north-up
        before_label=_scene_label(before_item),
        after_label=_scene_label(after_item),
        shift_px=result.shift,
        method_line=method_line,
        site_name=site["name"],
        threshold=result.threshold,
    )


def _scene_label(item: dict) -> str:
    details = json.loads(item["details"])
    when = f"{(item['captured_at'] or '')[:10]} ({item['captured_precision'] or 'date unknown'})"
    return f"{when} · {details.get('provider') or 'provider not given'} · evidence #{item['id']}"


def _analysis(
    site,
    outline: Polygon,
    grid: Grid,
    cover,
    before,
    after,
    sensor,
    result,
    options,
    score_map,
    figure,
) -> dict:
    return {
        "method": METHOD,
        "method_version": __version__,
        "what_it_shows": WHAT_IT_SHOWS,
        "site": {"id": site["id"], "name": site["name"], "outline_wgs84": outline.wkt},
        "before": [_scene_summary(item) for item in before],
        "after": [_scene_summary(item) for item in after],
        "sensor": sensor,
        "options": options,
        "grid": {
            "crs": grid.crs,
            "transform": list(grid.transform),
            "width": grid.width,
            "height": grid.height,
            "pixel_size_m": grid.pixel_size_m,
            "site_in_grid_crs": grid.site.wkt,
        },
        "cover": cover,
        "shift_px": list(result.shift),
        "operator": result.operator,
        "threshold": {"method": result.threshold_method, "value": result.threshold},
        "parameters": result.parameters,
        "result": {**result.site, "objects": _objects_in_wgs84(result.objects, grid)},
        "libraries": library_versions(),
        "change_map_sha256": sha256_hex(score_map),
        "figure_sha256": sha256_hex(figure),
    }


def library_versions() -> dict:
    """The versions of the libraries whose arithmetic the result depends on: to recompute
    it bit for bit, use these."""
    import matplotlib
    import pyproj
    import rasterio

    return {
        **LIBRARY_VERSIONS,
        "rasterio": rasterio.__version__,
        "gdal": rasterio.__gdal_version__,
        "pyproj": pyproj.__version__,
        "proj": pyproj.proj_version_str,
        "matplotlib": matplotlib.__version__,
    }


def plain(value):
    """JSON-ready values: numpy scalars as Python numbers, tuples as lists, NaN as null."""
    if isinstance(value, dict):
        return {str(key): plain(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [plain(item) for item in value]
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    return value


def _scene_summary(item: dict) -> dict:
    return {
        "evidence_id": item["id"],
        "sha256": item["blob_sha256"],
        "captured_at": item["captured_at"],
        "captured_precision": item["captured_precision"],
    }


def _objects_in_wgs84(objects: list[dict], grid: Grid) -> list[dict]:
    from pyproj import Transformer

    to_wgs84 = Transformer.from_crs(grid.crs, "EPSG:4326", always_xy=True).transform
    placed = []
    for found in objects:
        lon, lat = to_wgs84(found["x"], found["y"])
        placed.append({**found, "lat": round(lat, 7), "lon": round(lon, 7)})
    return placed


def _store(case, before, after, analysis, score_map, figure) -> dict:
    parents = [item["blob_sha256"] for item in before + after]
    parameters = {
        key: analysis[key]
        for key in (
            "site",
            "sensor",
            "options",
            "grid",
            "shift_px",
            "operator",
            "threshold",
            "parameters",
        )
    }
    common = {
        "parents": parents,
        "method": METHOD,
        "method_version": __version__,
        "evidence_id": after[0]["id"],
        "parameters": parameters,
    }
    records = derived.add_derived_items(
        case,
        [
            DerivedItem(kind="change_map", data=score_map, media_type="image/tiff", **common),
            DerivedItem(kind="change_figure", data=figure, media_type="image/png", **common),
            DerivedItem(
                kind="change_analysis",
                data=orjson.dumps(analysis, option=orjson.OPT_SORT_KEYS | orjson.OPT_INDENT_2),
                media_type="application/json",
                **common,
            ),
        ],
    )
    return {record["kind"]: record["id"] for record in records}


__all__ = ["compare_scenes"]
