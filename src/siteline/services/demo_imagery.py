"""The demo's satellite pair: two scenes of our own making over Vessarin General Hospital,
added as a user adds scenes, and compared as a user compares them.

The ground is a made-up texture (sinusoids of many wavelengths and directions, so that it
can be drawn at any offset), the hospital a pale roof, and in the after scene a dark crater
in the courtyard east of it; the after scene is also misregistered by a third of a metre,
as real scenes of two dates are. Like everything in the demo, it is invented.
"""

from __future__ import annotations

import tempfile
from pathlib import Path

import numpy as np
import rasterio
from pyproj import Transformer
from rasterio.transform import from_origin

from siteline.domain.values import FuzzyTime
from siteline.services.imagery import add_scene
from siteline.services.imagery_compare import compare_scenes
from siteline.store.case_folder import Case

PIXEL_M = 0.5
SIZE = 800  # 400 m a side: room for a ring of blocks the size of the site
CRATER_EAST_M, CRATER_SOUTH_M, CRATER_RADIUS_M = 22.0, 6.0, 3.5
ROOF_HALF_M = (14.0, 9.0)  # half width and half height of the hospital's roof
MISREGISTRATION_M = (0.3, -0.2)  # east, north: where the after scene's content really lies
BEFORE = ("2019-03-11T10:14:07Z", "osdi-2019-03-11-vessarin.tif")
AFTER = ("2019-03-15T10:02:41Z", "osdi-2019-03-15-vessarin.tif")
PROVIDER = "Orbital Survey Demo Imagery (fictional)"
_WAVES = np.random.default_rng(2019).uniform(size=(36, 3))


def add_and_compare(
    case: Case,
    site: dict,
    source_id: int,
    before: tuple[str, str] = BEFORE,
    after: tuple[str, str] = AFTER,
    provider: str = PROVIDER,
) -> dict:
    """Adds both scenes (each a capture time and a file name) to the case and compares them
    over the site; returns the ids. The scenes are drawn in the site's UTM zone."""
    crs = _utm_zone(site["lat"], site["lon"])
    centre = Transformer.from_crs("EPSG:4326", crs, always_xy=True).transform(
        site["lon"], site["lat"]
    )
    with tempfile.TemporaryDirectory(prefix="siteline-demo-imagery-") as folder:
        ids = {}
        for key, (when, name), crater, offset in (
            ("before", before, False, (0.0, 0.0)),
            ("after", after, True, MISREGISTRATION_M),
        ):
            path = _write_scene(Path(folder) / name, crs, centre, crater, offset)
            ids[key] = add_scene(
                case, path, captured=FuzzyTime.parse(when, "demo time"), sensor="rgb",
                provider=provider, site_id=site["id"], source_id=source_id,
            )["id"]  # fmt: skip
    analysis = compare_scenes(
        case, site["id"], ids["before"], ids["after"], ring_m=150, radius_m=25
    )
    return {"scenes": ids, "analysis": analysis["derived"], "result": analysis["result"]}


def _utm_zone(lat: float, lon: float) -> str:
    """The EPSG code of the WGS 84 UTM zone holding the point (25N for the demo's city)."""
    zone = min(int((lon + 180) // 6) + 1, 60)
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


def _write_scene(path: Path, crs: str, centre: tuple[float, float], crater: bool, offset) -> Path:
    west, north = centre[0] - SIZE * PIXEL_M / 2, centre[1] + SIZE * PIXEL_M / 2
    cols, rows = np.meshgrid(np.arange(SIZE) + 0.5, np.arange(SIZE) + 0.5)
    x = west + cols * PIXEL_M + offset[0] - centre[0]  # metres east of the hospital
    y = north - rows * PIXEL_M + offset[1] - centre[1]  # metres north of it
    bands = np.stack([_ground(x, y, band, crater) for band in range(3)])
    profile = {"driver": "GTiff", "width": SIZE, "height": SIZE, "count": 3, "dtype": "uint8"}
    profile |= {"crs": crs, "transform": from_origin(west, north, PIXEL_M, PIXEL_M)}
    with rasterio.open(path, "w", **profile) as target:
        target.write(np.clip(np.round(bands), 0, 255).astype("uint8"))
    return path


def _ground(x: np.ndarray, y: np.ndarray, band: int, crater: bool) -> np.ndarray:
    value = np.full(x.shape, (118.0, 104.0, 82.0)[band])  # dry earth
    for length, angle, phase in _WAVES:
        wavelength = 1.5 + 20.0 * length**2
        along = x * np.cos(2 * np.pi * angle) + y * np.sin(2 * np.pi * angle)
        value += 7.0 * np.sin(2 * np.pi * (along / wavelength + phase) + band)
    roof = (np.abs(x) <= ROOF_HALF_M[0]) & (np.abs(y) <= ROOF_HALF_M[1])
    value = np.where(roof, (214.0, 208.0, 198.0)[band], value)
    if crater:
        distance = np.hypot(x - CRATER_EAST_M, y + CRATER_SOUTH_M)
        value = np.where(distance <= CRATER_RADIUS_M, (34.0, 30.0, 27.0)[band], value)
    return value
