"""A map of the case's sites and incidents that needs nothing from the network.

Sites are drawn in longitude and latitude on a plate carrée stretched by the cosine of the
middle latitude (true to scale near the sites, which a case's map covers), with a graticule,
a scale bar and north up. Each site shows its outline or point and the number of incidents
recorded there. The template draws it as inline SVG, so names are escaped like any other
text. Pure: site rows in, drawing instructions out.
"""

from __future__ import annotations

import math
from dataclasses import dataclass, field

from shapely import wkt
from shapely.geometry import Point, Polygon

WIDTH, HEIGHT, MARGIN = 720, 440, 36
MIN_SPAN_DEGREES = 0.01  # about a kilometre: a single site still shows its surroundings
METRES_PER_DEGREE = 111_320.0
NICE = (1, 2, 5)
LABEL_ROOM = 48  # pixels a graticule label needs


@dataclass
class MapSite:
    id: int
    name: str
    x: float
    y: float
    incidents: int
    outline: str | None = None  # an SVG path for a polygon site


@dataclass
class Gridline:
    position: float
    label: str


@dataclass
class SiteMap:
    width: int
    height: int
    sites: list[MapSite]
    meridians: list[Gridline] = field(default_factory=list)
    parallels: list[Gridline] = field(default_factory=list)
    scale_px: float = 0.0
    scale_label: str = ""
    unlocated: list[dict] = field(default_factory=list)


def site_map(sites: list[dict], incidents_at: dict[int, int]) -> SiteMap | None:
    """The map of `sites` (rows with lat, lon, geometry_wkt), or None when none is located."""
    shapes = {site["id"]: _shape(site) for site in sites}
    located = [site for site in sites if shapes[site["id"]] is not None]
    if not located:
        return None
    west, south, east, north = _bounds([shapes[site["id"]] for site in located])
    stretch = math.cos(math.radians((south + north) / 2))
    scale = min(
        (WIDTH - 2 * MARGIN) / ((east - west) * stretch), (HEIGHT - 2 * MARGIN) / (north - south)
    )
    centre_x, centre_y = (west + east) / 2, (south + north) / 2

    def to_x(lon: float) -> float:
        return round(WIDTH / 2 + (lon - centre_x) * stretch * scale, 1)

    def to_y(lat: float) -> float:
        return round(HEIGHT / 2 - (lat - centre_y) * scale, 1)

    drawn = []
    for site in located:
        shape = shapes[site["id"]]
        anchor = shape if isinstance(shape, Point) else shape.representative_point()
        outline = None
        if isinstance(shape, Polygon):
            outline = (
                "M "
                + " L ".join(f"{to_x(lon)} {to_y(lat)}" for lon, lat in shape.exterior.coords)
                + " Z"
            )
        drawn.append(
            MapSite(
                site["id"],
                site["name"],
                to_x(anchor.x),
                to_y(anchor.y),
                incidents_at.get(site["id"], 0),
                outline,
            )
        )
    left, right = centre_x - WIDTH / 2 / (stretch * scale), centre_x + WIDTH / 2 / (stretch * scale)
    bottom, top = centre_y - HEIGHT / 2 / scale, centre_y + HEIGHT / 2 / scale
    metres_per_px = METRES_PER_DEGREE / scale
    scale_m = _nice(metres_per_px * WIDTH / 5)
    return SiteMap(
        WIDTH,
        HEIGHT,
        drawn,
        # Lines too near the edge to carry their label whole are left out.
        meridians=[
            Gridline(to_x(lon), _degrees(lon, "E", "W"))
            for lon in _ticks(left, right)
            if to_x(lon) <= WIDTH - LABEL_ROOM
        ],
        parallels=[
            Gridline(to_y(lat), _degrees(lat, "N", "S"))
            for lat in _ticks(bottom, top)
            if to_y(lat) >= LABEL_ROOM / 3
        ],  # fmt: skip
        scale_px=round(scale_m / metres_per_px, 1),
        scale_label=f"{scale_m / 1000:g} km" if scale_m >= 1000 else f"{scale_m:g} m",
        unlocated=[
            {"id": site["id"], "name": site["name"]} for site in sites if shapes[site["id"]] is None
        ],
    )


def _shape(site: dict):
    if site.get("geometry_wkt"):
        return wkt.loads(site["geometry_wkt"])
    if site.get("lat") is not None and site.get("lon") is not None:
        return Point(site["lon"], site["lat"])
    return None


def _bounds(shapes) -> tuple[float, float, float, float]:
    west = min(shape.bounds[0] for shape in shapes)
    south = min(shape.bounds[1] for shape in shapes)
    east = max(shape.bounds[2] for shape in shapes)
    north = max(shape.bounds[3] for shape in shapes)
    pad_x = max((east - west) * 0.15, MIN_SPAN_DEGREES / 2)
    pad_y = max((north - south) * 0.15, MIN_SPAN_DEGREES / 2)
    return west - pad_x, max(-90.0, south - pad_y), east + pad_x, min(90.0, north + pad_y)


def _nice(value: float) -> float:
    """The largest 1, 2 or 5 times a power of ten not above `value`."""
    power = 10 ** math.floor(math.log10(value))
    return max(step * power for step in NICE if step * power <= value)


def _ticks(low: float, high: float) -> list[float]:
    """Round degrees between low and high, three to eight of them."""
    step = _nice((high - low) / 4)
    first = math.ceil(low / step)
    ticks = []
    number = first
    while number * step <= high:
        ticks.append(round(number * step, 10))
        number += 1
    return ticks


def _degrees(value: float, positive: str, negative: str) -> str:
    text = f"{abs(value):.4f}".rstrip("0").rstrip(".")
    return f"{text}°{positive if value >= 0 else negative}"
