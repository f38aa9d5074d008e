"""Satellite scenes as files: what a scene is (grid, bands, sensor) and how to open it.

A scene arrives as a GeoTIFF or Cloud-Optimised GeoTIFF (georeferenced in the file), an
ENVI raster (`.img` beside its `.hdr`), or a PNG / JPEG whose bounds and CRS the person
gives (a screenshot of a provider's viewer, say): then the georeference is recorded as
given, not as read. Only the header is read here; pixels are read later, window by window.
"""

from __future__ import annotations

import math
import shutil
import tempfile
import warnings
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path

import rasterio
from rasterio.crs import CRS
from rasterio.errors import CRSError, NotGeoreferencedWarning, RasterioError
from rasterio.io import DatasetReader
from rasterio.transform import Affine, from_bounds

from siteline.errors import InvalidInput

SENSORS = ("rgb", "multispectral", "sar")
PLAIN_PICTURES = {"PNG", "JPEG"}


@dataclass(frozen=True)
class SceneInfo:
    """A scene's grid and bands, as stored in the item's details."""

    driver: str
    width: int
    height: int
    bands: int
    dtype: str
    crs: str  # WKT, or "EPSG:n" where the CRS has a code
    transform: tuple[float, ...]  # the six affine coefficients a, b, c, d, e, f
    nodata: float | None
    georeference: str  # "file" (read from the file) or "given" (bounds and CRS given)

    @property
    def affine(self) -> Affine:
        return Affine(*self.transform)

    def as_dict(self) -> dict:
        return asdict(self)

    @classmethod
    def from_dict(cls, data: dict) -> SceneInfo:
        return cls(**{**data, "transform": tuple(data["transform"])})


def parse_bounds(text: str, field: str = "--bounds") -> tuple[float, float, float, float]:
    """'west,south,east,north' in the units of the CRS given with them."""
    parts = [part.strip() for part in text.split(",")]
    try:
        west, south, east, north = (float(part) for part in parts)
    except ValueError:
        raise InvalidInput(field, f"{text!r} is not four numbers west,south,east,north") from None
    if not all(math.isfinite(v) for v in (west, south, east, north)):
        raise InvalidInput(field, "the bounds must be finite numbers")
    if west >= east or south >= north:
        raise InvalidInput(field, f"{text!r}: west must be below east and south below north")
    return west, south, east, north


def parse_crs(text: str, field: str = "--crs") -> CRS:
    try:
        crs = CRS.from_user_input(text)
    except CRSError as error:
        raise InvalidInput(
            field, f"{text!r} is not a coordinate reference system ({error})"
        ) from None
    return crs


def crs_text(crs: CRS) -> str:
    code = crs.to_epsg()
    return f"EPSG:{code}" if code else crs.to_wkt()


def read_scene_info(
    path: Path,
    bounds: tuple[float, float, float, float] | None = None,
    crs: CRS | None = None,
) -> SceneInfo:
    """The grid of a scene file; InvalidInput when it cannot be used as a scene."""
    with open_raster(path) as source:
        driver = source.driver
        if driver in PLAIN_PICTURES:
            if bounds is None or crs is None:
                raise InvalidInput(
                    str(path),
                    f"a {driver} picture holds no georeference: give its --bounds and --crs",
                )
            transform = from_bounds(*bounds, source.width, source.height)
            georeference, scene_crs = "given", crs
        else:
            if bounds is not None or crs is not None:
                raise InvalidInput(
                    str(path),
                    f"a {driver} file carries its own georeference: --bounds and --crs are "
                    "only for PNG and JPEG pictures",
                )
            transform, scene_crs = source.transform, source.crs
            if scene_crs is None:
                raise InvalidInput(str(path), "the file has no coordinate reference system")
            if transform.is_identity:
                raise InvalidInput(str(path), "the file has no georeference (no geotransform)")
            if transform.b != 0 or transform.d != 0:
                raise InvalidInput(str(path), "rotated grids are not supported; warp it north-up")
            georeference = "file"
        return SceneInfo(
            driver=driver,
            width=source.width,
            height=source.height,
            bands=source.count,
            dtype=source.dtypes[0],
            crs=crs_text(scene_crs),
            transform=tuple(transform)[:6],
            nodata=source.nodata,
            georeference=georeference,
        )


@contextmanager
def open_raster(path: Path) -> Iterator[DatasetReader]:
    """A raster opened for reading; a file GDAL cannot read is InvalidInput naming it."""
    try:
        with warnings.catch_warnings():
            # PNG and JPEG pictures have no georeference by nature; we check it ourselves.
            warnings.simplefilter("ignore", NotGeoreferencedWarning)
            with rasterio.open(path) as source:
                if source.count < 1 or source.width < 1 or source.height < 1:
                    raise InvalidInput(str(path), "the raster holds no pixels")
                yield source
    except RasterioError as error:
        raise InvalidInput(str(path), f"not a raster Siteline can read ({error})") from None


def sidecar_header(path: Path) -> Path | None:
    """The `.hdr` beside an ENVI raster (`scene.img` → `scene.hdr`, or `scene.img.hdr`)."""
    for candidate in (path.with_suffix(".hdr"), path.with_name(path.name + ".hdr")):
        if candidate.is_file():
            return candidate
    return None


@contextmanager
def envi_beside(raster: Path, header: str) -> Iterator[Path]:
    """An ENVI raster stored without its header, linked into a temporary folder beside
    the header text, so that GDAL finds both (the stored file itself is never copied)."""
    folder = Path(tempfile.mkdtemp(prefix="siteline-scene-"))
    try:
        path = folder / "scene.img"
        path.symlink_to(raster.resolve())
        path.with_suffix(".hdr").write_text(header, encoding="utf-8")
        yield path
    finally:
        shutil.rmtree(folder, ignore_errors=True)
