"""One grid over a site and a ring around it, onto which both scenes are read.

The grid is north-up in the UTM zone of the site, so that pixels are square metres and a
scale bar means what it says; its pixel is the coarser of the two scenes' (resampling the
finer scene down invents nothing, resampling the coarser one up would). Scenes are read
onto it through a warped view of the source, window by window: only the part of a scene
under the window is ever read, whatever the scene's size.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from dataclasses import dataclass

import numpy as np
import shapely
from pyproj import Transformer
from rasterio.crs import CRS
from rasterio.enums import MaskFlags
from rasterio.features import geometry_mask
from rasterio.transform import Affine
from rasterio.vrt import WarpedVRT
from rasterio.warp import Resampling
from rasterio.windows import Window
from rasterio.windows import transform as window_transform
from shapely import Polygon, wkt
from shapely.geometry import Point, mapping

from siteline.errors import InvalidInput
from siteline.imagery.scenes import SceneInfo

WGS84 = "EPSG:4326"
# At most about 32,000 pixels a side: scores of several gigabytes on disk, minutes of work;
# a grid larger than that is most likely a pixel size given in the wrong unit.
MAX_GRID_PIXELS = 32_000**2


@dataclass(frozen=True)
class Grid:
    """The common grid: its CRS, transform and size, and the site and ring on it."""

    crs: str
    transform: tuple[float, ...]
    width: int
    height: int
    pixel_size_m: float
    site: Polygon  # in the grid's CRS
    ring: Polygon  # the outer edge of the ring, in the grid's CRS (holds the site)

    @property
    def affine(self) -> Affine:
        return Affine(*self.transform)

    @property
    def pixels(self) -> int:
        return self.width * self.height

    def windows(self, size: int) -> Iterator[Window]:
        """The grid cut into windows of at most size × size, row by row."""
        for row in range(0, self.height, size):
            for col in range(0, self.width, size):
                yield Window(col, row, min(size, self.width - col), min(size, self.height - row))

    def masks(self, window: Window) -> tuple[np.ndarray, np.ndarray]:
        """(inside the site, inside the ring but outside the site) for a window's pixels."""
        shape = (int(window.height), int(window.width))
        where = window_transform(window, self.affine)
        site = geometry_mask([mapping(self.site)], shape, where, invert=True, all_touched=False)
        ring = geometry_mask([mapping(self.ring)], shape, where, invert=True, all_touched=False)
        return site, ring & ~site

    def to_pixels(self, polygon: Polygon) -> list[tuple[float, float]]:
        """A polygon's outer ring as (col, row) pixel coordinates of the grid."""
        inverse = ~self.affine
        return [tuple(inverse @ (x, y)) for x, y in polygon.exterior.coords]


def site_polygon_wgs84(site: dict, radius_m: float) -> Polygon:
    """A site's outline (a WKT polygon), or a circle of `radius_m` around its point."""
    if not (math.isfinite(radius_m) and radius_m > 0):
        raise InvalidInput("--radius", f"{radius_m} m: the radius must be more than 0 m")
    shape = wkt.loads(site["geometry_wkt"]) if site.get("geometry_wkt") else None
    if shape is not None and shape.geom_type == "Polygon" and not shape.is_empty:
        return shape
    if shape is not None and shape.geom_type == "Point":
        return _circle(shape.y, shape.x, radius_m)
    if shape is not None:
        raise InvalidInput(
            "site", f"{site['name']!r}: its outline is a {shape.geom_type}, not one polygon"
        )
    if site.get("lat") is None:
        raise InvalidInput("site", f"{site['name']!r} has no location: give it one first")
    return _circle(site["lat"], site["lon"], radius_m)


def _circle(lat: float, lon: float, radius_m: float) -> Polygon:
    local = _utm_for(lon, lat)
    forward = Transformer.from_crs(WGS84, local, always_xy=True).transform
    x, y = forward(lon, lat)
    return reproject_geometry(Point(x, y).buffer(radius_m, quad_segs=32), local, WGS84)


def _utm_for(lon: float, lat: float) -> str:
    zone = min(int((lon + 180) // 6) + 1, 60)
    return f"EPSG:{32600 + zone if lat >= 0 else 32700 + zone}"


def make_grid(
    site_outline: Polygon, ring_m: float, scenes: list[SceneInfo], pixel_size_m: float | None
) -> Grid:
    """The grid over the site and a ring `ring_m` wide around it, at the coarser scene's
    pixel size (or the size given)."""
    if not (math.isfinite(ring_m) and ring_m > 0):
        raise InvalidInput("--ring", f"{ring_m} m: the ring must be wider than 0 m")
    centre = site_outline.centroid
    crs = _utm_for(centre.x, centre.y)
    site = reproject_geometry(site_outline, WGS84, crs)
    if pixel_size_m is None:
        size = max(scene_pixel_m(scene, crs, site.centroid) for scene in scenes)
    else:
        size = pixel_size_m
    if not (math.isfinite(size) and size > 0):
        raise InvalidInput("--pixel", f"{size} m is not a pixel size")
    ring = site.buffer(ring_m, quad_segs=32)
    west, south, east, north = ring.bounds
    west, south = math.floor(west / size) * size, math.floor(south / size) * size
    width, height = math.ceil((east - west) / size), math.ceil((north - south) / size)
    if width * height > MAX_GRID_PIXELS:
        raise InvalidInput(
            "--pixel",
            f"a grid of {width:,} × {height:,} pixels of {size:g} m is more than "
            f"{MAX_GRID_PIXELS:,}: give a larger --pixel or a narrower --ring",
        )
    transform = Affine(size, 0.0, west, 0.0, -size, south + height * size)
    return Grid(crs, tuple(transform)[:6], width, height, size, site, ring)


def reproject_geometry(shape, source_crs: str, target_crs: str):
    """A shapely geometry from one CRS into another (x, y order in both)."""
    move = Transformer.from_crs(source_crs, target_crs, always_xy=True).transform
    return shapely.transform(shape, move, interleaved=False)


def scene_pixel_m(scene: SceneInfo, grid_crs: str, near) -> float:
    """The ground size of one of the scene's pixels near a point of the grid CRS, metres."""
    to_scene = Transformer.from_crs(grid_crs, scene.crs, always_xy=True).transform
    to_grid = Transformer.from_crs(scene.crs, grid_crs, always_xy=True).transform
    col, row = ~scene.affine @ to_scene(near.x, near.y)
    corners = [scene.affine @ (col + dc, row + dr) for dc, dr in ((0, 0), (1, 0), (0, 1))]
    (x0, y0), (x1, y1), (x2, y2) = (to_grid(x, y) for x, y in corners)
    return max(math.hypot(x1 - x0, y1 - y0), math.hypot(x2 - x0, y2 - y0))


def scene_footprint(scene: SceneInfo, grid_crs: str) -> Polygon:
    """The scene's outline in the grid's CRS (its corners and edge points reprojected)."""
    to_grid = Transformer.from_crs(scene.crs, grid_crs, always_xy=True).transform
    steps = np.linspace(0, 1, 17)
    edge = (
        [(t * scene.width, 0) for t in steps]
        + [(scene.width, t * scene.height) for t in steps]
        + [((1 - t) * scene.width, scene.height) for t in steps]
        + [(0, (1 - t) * scene.height) for t in steps]
    )
    return Polygon([to_grid(*(scene.affine @ point)) for point in edge])


def check_cover(grid: Grid, scene: SceneInfo, label: str) -> float:
    """The share of the site the scene covers; InvalidInput when it covers none of it."""
    covered = scene_footprint(scene, grid.crs).intersection(grid.site).area / grid.site.area
    if covered <= 0:
        raise InvalidInput(label, "the scene does not overlap the site")
    return covered


def read_on_grid(
    source,
    scene: SceneInfo,
    grid: Grid,
    window: Window,
    shift: tuple[float, float] = (0.0, 0.0),
) -> tuple[np.ndarray, np.ndarray]:
    """A window of the grid read from an open scene: (bands, h, w) float32 and a validity
    mask (False outside the scene and on its no-data); `shift` (rows, cols) moves the
    sampling to undo a misregistration, so the source is resampled once, not twice.

    A scene on the grid's CRS and pixel size (the common case: a provider's UTM product) is
    read directly and moved by a fraction of a pixel with a bilinear step of our own; any
    other is warped by GDAL, which is ten to fifty times slower.
    """
    if _same_lattice(scene, grid):
        return _read_translated(source, scene, grid, window, shift)
    return _read_warped(source, scene, grid, window, shift)


def _same_lattice(scene: SceneInfo, grid: Grid) -> bool:
    a, b, _, d, e, _ = scene.transform
    size = grid.pixel_size_m
    return (
        CRS.from_user_input(scene.crs) == CRS.from_user_input(grid.crs)
        and b == 0
        and d == 0
        and math.isclose(a, size, rel_tol=1e-9)
        and math.isclose(-e, size, rel_tol=1e-9)
    )


def _read_translated(source, scene, grid, window, shift):
    """The window where the scene's pixels lie a translation away from the grid's."""
    rows, cols = shift
    x, y = grid.affine @ (window.col_off + cols, window.row_off + rows)
    column, row = ~scene.affine @ (x, y)  # where the window's corner falls in the scene
    left, top = math.floor(column), math.floor(row)
    across, down = column - left, row - top
    height, width = int(window.height), int(window.width)
    # One pixel more each way when the sampling falls between pixels: the bilinear step
    # mixes each pixel with its right and lower neighbours.
    extra_x, extra_y = int(across > 0), int(down > 0)
    data, valid = _read_clipped(source, scene, left, top, width + extra_x, height + extra_y)
    if extra_x:
        data = _between(data[:, :, :-1], data[:, :, 1:], across)
        valid = valid[:, :-1] & valid[:, 1:]
    if extra_y:
        data = _between(data[:, :-1], data[:, 1:], down)
        valid = valid[:-1] & valid[1:]
    return np.ascontiguousarray(data, dtype=np.float32), valid


def _read_clipped(source, scene, left: int, top: int, width: int, height: int):
    """(bands, height, width) float32 and validity for a box of the scene's pixels that may
    reach beyond the scene: the part inside is read in the scene's own type, the rest is 0
    and not valid. (A boundless read would go through a warped view: several times slower.)"""
    data = np.zeros((scene.bands, height, width), np.float32)
    valid = np.zeros((height, width), bool)
    inner_left, inner_top = max(left, 0), max(top, 0)
    inner_right, inner_bottom = min(left + width, scene.width), min(top + height, scene.height)
    if inner_right <= inner_left or inner_bottom <= inner_top:
        return data, valid
    inside = Window(inner_left, inner_top, inner_right - inner_left, inner_bottom - inner_top)
    rows = slice(inner_top - top, inner_bottom - top)
    cols = slice(inner_left - left, inner_right - left)
    data[:, rows, cols] = source.read(window=inside)
    if _every_pixel_valid(source):
        valid[rows, cols] = True
    else:
        valid[rows, cols] = source.dataset_mask(window=inside) > 0
    return data, valid


def _every_pixel_valid(source) -> bool:
    """No no-data value, mask band or alpha band: the scene's mask would be all valid."""
    return all(flags == [MaskFlags.all_valid] for flags in source.mask_flag_enums)


def _between(first: np.ndarray, second: np.ndarray, weight: float) -> np.ndarray:
    """first + weight × (second − first), with one temporary array."""
    result = np.subtract(second, first)
    result *= np.float32(weight)
    result += first
    return result


def _read_warped(source, scene, grid, window, shift):
    rows, cols = shift
    transform = grid.affine @ Affine.translation(cols, rows)
    with WarpedVRT(
        source,
        src_crs=CRS.from_user_input(scene.crs),
        src_transform=scene.affine,
        src_nodata=scene.nodata,
        crs=CRS.from_user_input(grid.crs),
        transform=transform,
        width=grid.width,
        height=grid.height,
        resampling=Resampling.bilinear,
        add_alpha=scene.nodata is None,  # the alpha band marks where the scene has pixels
    ) as view:
        bands = list(range(1, scene.bands + 1))
        data = view.read(bands, window=window, out_dtype="float32")
        valid = view.dataset_mask(window=window) > 0
    return data, valid
