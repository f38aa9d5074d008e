"""Satellite scenes in a case: added with their original bytes and their grid, and opened
again, from the blob store, for analysis."""

from __future__ import annotations

import json
import mimetypes
import tempfile
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

from sqlalchemy import select

from siteline import __version__
from siteline.domain.entities import Custody, EvidenceItem
from siteline.domain.values import FuzzyTime
from siteline.errors import InvalidInput
from siteline.imagery.scenes import (
    SENSORS,
    SceneInfo,
    envi_beside,
    open_raster,
    read_scene_info,
    sidecar_header,
)
from siteline.services import evidence
from siteline.store.case_folder import Case
from siteline.store.schema import blobs

MEDIA_TYPES = {
    "GTiff": "image/tiff",
    "PNG": "image/png",
    "JPEG": "image/jpeg",
    "ENVI": "application/x-envi",
}


def add_scene(
    case: Case,
    path: Path,
    *,
    captured: FuzzyTime,
    sensor: str,
    provider: str | None = None,
    bounds: tuple[float, float, float, float] | None = None,
    crs=None,
    title: str | None = None,
    site_id: int | None = None,
    source_id: int | None = None,
    source_url: str | None = None,
    extra_details: dict | None = None,
    custody_method: str | None = None,
    tool: str = "siteline imagery add",
) -> dict:
    """Stores a scene file as evidence (kind satellite_scene) with its grid in `details`.

    `extra_details` join the details (where a downloaded scene came from); `custody_method`
    and `tool` say how it was collected when it was not added from a file by hand."""
    path = Path(path)
    if sensor not in SENSORS:
        raise InvalidInput("--sensor", f"{sensor!r} is not one of {', '.join(SENSORS)}")
    if captured is None:
        raise InvalidInput("--date", "give the date the scene was acquired")
    if not path.is_file():
        raise InvalidInput(str(path), "no such file")
    info = read_scene_info(path, bounds, crs)
    details = {**(extra_details or {}), "scene": info.as_dict(), "sensor": sensor}
    details["provider"] = provider
    if info.driver == "ENVI":
        header = sidecar_header(path)
        if header is None:  # pragma: no cover - GDAL does not open ENVI without it
            raise InvalidInput(str(path), "the ENVI header (.hdr) is missing")
        details["envi_header"] = header.read_text(encoding="utf-8", errors="replace")
    item = EvidenceItem(
        kind="satellite_scene",
        title=title or f"{provider or 'scene'} {captured} ({sensor}): {path.name}",
        data=path.read_bytes(),
        original_filename=path.name,
        media_type=MEDIA_TYPES.get(info.driver) or mimetypes.guess_type(path.name)[0],
        captured=captured,
        site_id=site_id,
        source_id=source_id,
        source_url=source_url,
        details=details,
    )
    method = custody_method or (
        "added as a satellite scene; its grid read from the file"
        if info.georeference == "file"
        else "added as a satellite scene; its bounds and CRS given by the person adding it"
    )
    how = Custody(
        method=method,
        tool=tool,
        tool_version=__version__,
        source_url=source_url,
        notes=None if custody_method else str(path),
    )
    return evidence.add_evidence(case, item, how)


def scene_record(case: Case, evidence_id: int) -> tuple[dict, SceneInfo]:
    """A stored scene and its grid; InvalidInput when the item is not a scene."""
    item = evidence.get_evidence(case, evidence_id)
    details = _details(item)
    if item["kind"] != "satellite_scene" or "scene" not in details:
        raise InvalidInput("scene", f"evidence #{evidence_id} is not a satellite scene")
    return item, SceneInfo.from_dict(details["scene"])


@contextmanager
def opened_scene(case: Case, item: dict) -> Iterator:
    """A stored scene opened for reading, from its blob file (never read whole into
    memory); a sealed scene is opened into a temporary file first."""
    details = _details(item)
    with _scene_path(case, item) as stored:
        if details.get("envi_header") is not None:
            with envi_beside(stored, details["envi_header"]) as path, open_raster(path) as source:
                yield source
        else:
            with open_raster(stored) as source:
                yield source


def _details(item: dict) -> dict:
    return json.loads(item["details"]) if item.get("details") else {}


@contextmanager
def _scene_path(case: Case, item: dict) -> Iterator[Path]:
    with case.read() as connection:
        blob = connection.execute(
            select(blobs.c.stored_sha256, blobs.c.encrypted).where(
                blobs.c.id == item["blob_sha256"]
            )
        ).first()
    if not blob.encrypted:
        yield case.blobs.path_for(blob.stored_sha256)
        return
    with tempfile.TemporaryDirectory(prefix="siteline-sealed-scene-") as folder:
        path = Path(folder) / "scene"
        path.write_bytes(evidence.read_original(case, item["id"]))
        yield path
