"""Where an item points: how far its location lies from each site, allowing for the
location's precision, and which sites its words name.

Both searches are built for cases of a hundred thousand items and thousands of sites. The
distance search sorts the items' latitudes once per precision and, per site, looks only at
the band of latitudes its reach allows (a bounding box), then measures those few exactly
with numpy. The name search is one regular expression of every site name and alias, laid
out as a tree of shared prefixes so that each position of a text is tried once, not once
per name.
"""

from __future__ import annotations

import math
import re
from collections.abc import Iterable
from dataclasses import dataclass

import numpy as np
import shapely
from shapely import wkt

from siteline.domain.values import LOCATION_RADIUS_METRES, Location, LocationPrecision

EARTH_RADIUS_M = 6_371_008.8
_METRES_PER_DEGREE = EARTH_RADIUS_M * math.pi / 180


@dataclass(frozen=True)
class SiteInfo:
    """A site as linking needs it: its names, and its point or outline (WKT, lon lat)."""

    id: int
    name: str
    aliases: tuple[str, ...] = ()
    lat: float | None = None
    lon: float | None = None
    polygon_wkt: str | None = None


@dataclass(frozen=True)
class PlaceRules:
    """The weight of each kind of sign that an item is about a site (0..1)."""

    point_tolerance_m: float = 100.0  # a site given as a point: its buildings spread round it
    polygon_tolerance_m: float = 25.0  # a site drawn as an outline
    claimed_weight: float = 0.9  # a claimed location counts a little less than a verified one
    name_weight: float = 0.5  # the text names the site
    alias_weight: float = 0.4  # the text uses one of its aliases
    filed_weight: float = 0.7  # a person filed the item under the site when adding it
    facility_weight: float = 0.8  # a dataset row names the site as the facility attacked
    place_name_weight: float = 0.4  # a dataset row names it as the place
    conflict_factor: float = 0.5  # named, but located farther than its precision allows


# How much a location alone says, by its precision: ±10 km or ±100 km fits a whole town.
PRECISION_WEIGHTS = {
    LocationPrecision.EXACT: 1.0,
    LocationPrecision.VICINITY: 0.95,
    LocationPrecision.LOCALITY: 0.7,
    LocationPrecision.AREA: 0.35,
    LocationPrecision.REGION: 0.1,
}
_COARSE = (LocationPrecision.AREA, LocationPrecision.REGION)


def haversine_m(lat: np.ndarray, lon: np.ndarray, site_lat: float, site_lon: float) -> np.ndarray:
    """Great-circle distances in metres (within 0.5 % of the ellipsoid's)."""
    phi, site_phi = np.radians(lat), math.radians(site_lat)
    dphi = phi - site_phi
    dlambda = np.radians(lon - site_lon)
    a = np.sin(dphi / 2) ** 2 + np.cos(phi) * math.cos(site_phi) * np.sin(dlambda / 2) ** 2
    return 2 * EARTH_RADIUS_M * np.arcsin(np.sqrt(np.clip(a, 0.0, 1.0)))


class _Shape:
    """One site's geometry, and its distance to many points at once."""

    def __init__(self, site: SiteInfo, rules: PlaceRules):
        self.polygon = wkt.loads(site.polygon_wkt) if site.polygon_wkt else None
        if self.polygon is not None:
            self.tolerance = rules.polygon_tolerance_m
            min_lon, min_lat, max_lon, max_lat = self.polygon.bounds
            centre = self.polygon.centroid
            self.lat, self.lon = centre.y, centre.x
            coords = np.asarray(self.polygon.exterior.coords)
            self.projected = shapely.Polygon(self._project(coords[:, 1], coords[:, 0]))
        else:
            self.tolerance = rules.point_tolerance_m
            min_lat = max_lat = self.lat = site.lat
            min_lon = max_lon = self.lon = site.lon
        self.box = (min_lat, max_lat, min_lon, max_lon)

    def _project(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        """Metres east and north of the site's centre: plane enough within 100 km."""
        east = _wrap(lon - self.lon) * math.cos(math.radians(self.lat)) * _METRES_PER_DEGREE
        north = (lat - self.lat) * _METRES_PER_DEGREE
        return np.column_stack([east, north])

    def distances(self, lat: np.ndarray, lon: np.ndarray) -> np.ndarray:
        if self.polygon is None:
            return haversine_m(lat, lon, self.lat, self.lon)
        points = shapely.points(self._project(lat, lon))
        return shapely.distance(self.projected, points)


def _wrap(degrees: np.ndarray) -> np.ndarray:
    """Longitude differences in -180..180, so that sites by the antimeridian are near."""
    return (degrees + 180.0) % 360.0 - 180.0


class SitesNear:
    """Which located items each site's reach holds, and how far each lies."""

    def __init__(self, sites: Iterable[SiteInfo], rules: PlaceRules):
        self.shapes = {
            site.id: _Shape(site, rules)
            for site in sites
            if site.polygon_wkt or (site.lat is not None and site.lon is not None)
        }

    def compatible(
        self,
        lat: np.ndarray,
        lon: np.ndarray,
        precision: np.ndarray,
        factor: np.ndarray | None = None,
        least: float = 0.0,
    ) -> list[tuple[int, int, float]]:
        """(item index, site id, metres) for every item within its radius plus the site's
        tolerance of a site, whose location weight (`location_weight`, times the item's
        `factor`) reaches `least`. `precision` holds each item's LocationPrecision value.

        Weaker pairs (a region-wide location near dozens of sites) are left out: alone
        they propose nothing, and `fits` measures them where other signs point to a site.
        """
        factor = np.ones(len(lat)) if factor is None else factor
        found: list[tuple[int, int, float]] = []
        for level, radius in LOCATION_RADIUS_METRES.items():
            chosen = np.flatnonzero(precision == level.value)
            if not chosen.size or PRECISION_WEIGHTS[level] * factor[chosen].max() < least:
                continue
            order = chosen[np.argsort(lat[chosen], kind="stable")]
            lats = lat[order]
            for site_id, shape in self.shapes.items():
                band, metres = self._within(shape, radius, order, lats, lat, lon)
                if not band.size:
                    continue
                reach = radius + shape.tolerance
                weight = location_weight(level, metres, reach) * factor[band]
                keep = (metres <= reach) & (weight >= least)
                ids = [site_id] * int(keep.sum())
                found += zip(band[keep].tolist(), ids, metres[keep].tolist(), strict=True)
        return found

    @staticmethod
    def _within(shape: _Shape, radius, order, lats, lat, lon) -> tuple[np.ndarray, np.ndarray]:
        """The items in the site's bounding box widened by its reach, and their distances."""
        reach = radius + shape.tolerance
        min_lat, max_lat, min_lon, max_lon = shape.box
        margin = reach / _METRES_PER_DEGREE * 1.01
        low = np.searchsorted(lats, min_lat - margin, side="left")
        high = np.searchsorted(lats, max_lat + margin, side="right")
        band = order[low:high]
        widest = max(abs(min_lat), abs(max_lat)) + margin
        if band.size and widest < 89.0:  # near a pole every longitude is close: measure all
            lon_margin = margin / math.cos(math.radians(widest))
            centre, half = (min_lon + max_lon) / 2, (max_lon - min_lon) / 2
            band = band[np.abs(_wrap(lon[band] - centre)) <= half + lon_margin]
        if not band.size:
            return band, np.empty(0)
        return band, shape.distances(lat[band], lon[band])

    def distance(self, site_id: int, location: Location) -> float | None:
        shape = self.shapes.get(site_id)
        if shape is None:
            return None
        return float(shape.distances(np.array([location.lat]), np.array([location.lon]))[0])

    def tolerance(self, site_id: int) -> float:
        return self.shapes[site_id].tolerance

    def is_outline(self, site_id: int) -> bool:
        return self.shapes[site_id].polygon is not None


def metres(distance: float) -> str:
    if distance < 1_000:
        return f"{distance:.0f} m"
    return f"{distance / 1_000:.1f} km"


def location_weight(precision: LocationPrecision, distance, reach: float):
    """What a location within `reach` of a site says: by its precision, falling linearly
    to half at the edge of the reach (works on numbers and on numpy arrays)."""
    return PRECISION_WEIGHTS[precision] * (1 - 0.5 * distance / reach)


def location_signal(
    basis: str, location: Location, distance: float, tolerance: float, outline: bool, rules
) -> tuple[float, str]:
    """The weight of a location compatible with a site, and the reason in words."""
    radius = location.radius_metres
    weight = location_weight(location.precision, distance, radius + tolerance)
    if basis == "claimed":
        weight *= rules.claimed_weight
    where = (
        "inside the site's outline"
        if outline and distance == 0
        else f"{metres(distance)} from the site" + ("'s outline" if outline else "")
    )
    reason = f"{basis} location {where} ({location.precision}, ±{metres(radius)})"
    if location.precision in _COARSE:
        reason += ": too coarse to say much alone"
    return weight, reason


def conflict_reason(basis: str, location: Location, distance: float) -> str:
    return (
        f"but its {basis} location is {metres(distance)} from the site, farther than its "
        f"precision allows ({location.precision}, ±{metres(location.radius_metres)})"
    )


# Names.

_SPACE = re.compile(r"\s+")
_MIN_NAME = 2  # a one-letter alias would be found in every text


def normalise_name(text: str) -> str:
    return _SPACE.sub(" ", text.replace("’", "'")).strip().lower()


class MentionFinder:
    """Every site name and alias, found in a text as whole words, in any letter case."""

    def __init__(self, sites: Iterable[SiteInfo]):
        self.names: dict[str, list[tuple[int, str, bool]]] = {}
        for site in sites:
            for name, is_alias in [(site.name, False), *((a, True) for a in site.aliases)]:
                key = normalise_name(name)
                if len(key) >= _MIN_NAME:
                    self.names.setdefault(key, []).append((site.id, name, is_alias))
        self.pattern = (
            re.compile(r"(?<!\w)" + _trie_pattern(self.names) + r"(?!\w)", re.IGNORECASE)
            if self.names
            else None
        )

    def find(self, *texts: str | None) -> dict[int, list[tuple[str, bool]]]:
        """Per site: the names found (as the site lists them) and whether each is an alias."""
        found: dict[int, list[tuple[str, bool]]] = {}
        if self.pattern is None:
            return found
        for text in texts:
            if not text:
                continue
            for match in self.pattern.finditer(text):
                for site_id, name, is_alias in self.names.get(normalise_name(match.group()), ()):
                    named = found.setdefault(site_id, [])
                    if (name, is_alias) not in named:
                        named.append((name, is_alias))
        return found


def _trie_pattern(names: Iterable[str]) -> str:
    root: dict = {}
    for name in names:
        node = root
        for char in name:
            node = node.setdefault(char, {})
        node[""] = {}
    return _branches(root)


def _branches(node: dict) -> str:
    """The pattern of what may follow `node`; runs of single letters are kept flat so that
    the pattern nests only where names part."""
    branches = []
    for char in sorted(key for key in node if key):
        piece, child = _char(char), node[char]
        while len(child) == 1 and "" not in child:
            ((char, child),) = child.items()
            piece += _char(char)
        branches.append(piece + _branches(child))
    if not branches:
        return ""
    body = "(?:" + "|".join(branches) + ")"
    return body + "?" if "" in node else body


def _char(char: str) -> str:
    if char == " ":
        return r"\s+"
    if char == "'":
        return "['’]"
    return re.escape(char)
