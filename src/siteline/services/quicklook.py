"""Small PNG pictures of stored imagery for the workbench: a satellite scene resampled onto
the grid of a change analysis (so that the before and after pictures and the change
overlay line up pixel for pixel), and the change map as a transparent overlay.

Nothing is stored: the pictures are made from the stored originals and derived items each
time, downsampled to at most `max_size` pixels a side. A sealed original or derived item
is opened with the case key (KeyRequired without it).
"""

from __future__ import annotations

import io
import json

import numpy as np
from affine import Affine
from PIL import Image
from rasterio.enums import Resampling
from rasterio.io import MemoryFile
from rasterio.vrt import WarpedVRT
from sqlalchemy import select

from siteline.errors import InvalidInput, NotFound
from siteline.services import derived, imagery
from siteline.services.sealing import blob_context
from siteline.store.case_folder import Case
from siteline.store.schema import blobs, derived_items

MAX_SIZE = 768
ANALYSIS_KINDS = ("change_analysis", "change_map", "change_figure")
OVERLAY_RGBA = (220, 30, 30, 170)  # changed pixels; the rest is transparent


def site_change_analyses(case: Case, site_id: int) -> list[dict]:
    """The change analyses of a site, newest first: each with its before and after scene
    numbers, its threshold, and the numbers of its change map and figure."""
    query = (
        select(derived_items)
        .where(derived_items.c.kind.in_(ANALYSIS_KINDS), derived_items.c.deleted_at.is_(None))
        .order_by(derived_items.c.id)
    )
    with case.read() as connection:
        rows = [dict(row) for row in connection.execute(query).mappings()]
    found: dict[tuple, dict] = {}
    for row in rows:
        parameters = json.loads(row["parameters"])
        if (parameters.get("site") or {}).get("id") != site_id:
            continue
        key = (row["evidence_id"], row["parents"], row["created_at"])
        found.setdefault(key, {"parameters": parameters})[row["kind"]] = row["id"]
    analyses = []
    for entry in found.values():
        if "change_analysis" not in entry:
            continue
        analysis = json.loads(derived_bytes(case, entry["change_analysis"]))
        analyses.append(
            {
                "id": entry["change_analysis"],
                "map_id": entry.get("change_map"),
                "figure_id": entry.get("change_figure"),
                "before": [scene["evidence_id"] for scene in analysis.get("before", [])],
                "after": [scene["evidence_id"] for scene in analysis.get("after", [])],
                "sensor": analysis.get("sensor"),
                "result": analysis.get("result", {}),
                "what_it_shows": analysis.get("what_it_shows"),
            }
        )
    return sorted(analyses, key=lambda entry: entry["id"], reverse=True)


def derived_bytes(case: Case, derived_id: int) -> bytes:
    """A derived item's bytes, opened with the case key when they are sealed."""
    record = derived.get_derived(case, derived_id)
    if record["blob_sha256"] is None:
        raise NotFound(f"derived #{derived_id} holds no file")
    with case.read() as connection:
        blob = (
            connection.execute(select(blobs).where(blobs.c.id == record["blob_sha256"]))
            .mappings()
            .first()
        )
    stored = case.blobs.read(blob["stored_sha256"])
    if blob["encrypted"]:
        return case.sealer.open(stored, blob_context(blob["id"]), purpose=f"derived #{derived_id}")
    return stored


def scene_on_grid(case: Case, scene_id: int, analysis_id: int, max_size: int = MAX_SIZE) -> bytes:
    """A scene of an analysis as a PNG, resampled onto the analysis's grid."""
    analysis = json.loads(derived_bytes(case, analysis_id))
    scenes = [s["evidence_id"] for s in analysis.get("before", []) + analysis.get("after", [])]
    if scene_id not in scenes:
        raise InvalidInput(
            "scene", f"evidence #{scene_id} is not a scene of analysis #{analysis_id}"
        )
    grid = analysis["grid"]
    width, height = _fitted(grid["width"], grid["height"], max_size)
    transform = Affine(*grid["transform"][:6]) * Affine.scale(
        grid["width"] / width, grid["height"] / height
    )
    item, _ = imagery.scene_record(case, scene_id)
    with imagery.opened_scene(case, item) as source:
        bands = list(range(1, min(source.count, 3) + 1))
        with WarpedVRT(
            source, crs=grid["crs"], transform=transform, width=width, height=height,
            resampling=Resampling.bilinear,
        ) as warped:  # fmt: skip
            pixels = warped.read(bands, masked=True).astype("float64")
    return _png(_stretched(pixels))


def change_overlay(case: Case, analysis_id: int, map_id: int, max_size: int = MAX_SIZE) -> bytes:
    """The change map of an analysis as a transparent PNG: changed pixels (scores at or
    above the analysis's threshold) coloured, the rest clear."""
    analysis = json.loads(derived_bytes(case, analysis_id))
    threshold = (analysis.get("threshold") or {}).get("value")
    with MemoryFile(derived_bytes(case, map_id)) as memory, memory.open() as source:
        scores = source.read(1, masked=True)
    values = scores.filled(np.nan).astype("float64")
    if threshold is None:
        threshold = float(np.nanpercentile(values, 99)) if np.isfinite(values).any() else 0.0
    changed = np.isfinite(values) & (values >= threshold)
    # Downsampled so that a changed pixel stays visible however small its patch.
    width, height = _fitted(changed.shape[1], changed.shape[0], max_size)
    mask = Image.fromarray((changed * 255).astype("uint8"), mode="L")
    kept = np.asarray(mask.resize((width, height), Image.Resampling.BOX)) > 0
    picture = np.zeros((height, width, 4), dtype="uint8")
    picture[kept] = OVERLAY_RGBA
    return _png(picture, mode="RGBA")


def _fitted(width: int, height: int, max_size: int) -> tuple[int, int]:
    scale = min(1.0, max_size / max(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


def _stretched(pixels: np.ma.MaskedArray) -> np.ndarray:
    """Bands to 8 bits, each stretched between its 2nd and 98th percentiles; grey for one
    band; no data black."""
    out = []
    for band in pixels:
        valid = band.compressed()
        low, high = np.percentile(valid, (2, 98)) if valid.size else (0.0, 1.0)
        scaled = np.clip((band.filled(low) - low) / max(high - low, 1e-9), 0, 1)
        out.append((scaled * 255).astype("uint8"))
    stacked = np.stack(out if len(out) == 3 else [out[0]] * 3, axis=-1)
    return stacked


def _png(picture: np.ndarray, mode: str = "RGB") -> bytes:
    buffer = io.BytesIO()
    Image.fromarray(picture, mode=mode).save(buffer, format="PNG", optimize=True)
    return buffer.getvalue()
