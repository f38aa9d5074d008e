"""Scenes over a site found in a STAC catalogue, and the window over the site added to the
case as a satellite scene.

Only the window over the site and a margin around it is read from a scene, so a scene of
a whole Sentinel-2 tile costs a few hundred kilobytes. The window is kept as a GeoTIFF
whose tags name the STAC item, its collection, the asset and its URL, so the original
bytes carry where they came from. Hosts on private networks are refused unless named in
SITELINE_STAC_ALLOW_HOSTS (see siteline.imagery.stac_remote).
"""

from __future__ import annotations

import math
import re
import tempfile
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from rasterio.transform import array_bounds

from siteline.domain.values import FuzzyTime, TimePrecision, check_window
from siteline.errors import InvalidInput
from siteline.imagery import stac
from siteline.imagery.grid import site_polygon_wgs84
from siteline.services import sites
from siteline.services.imagery import add_scene
from siteline.store.case_folder import Case

DEFAULT_RADIUS_M = 50.0  # a site known by a point: as in imagery compare
DEFAULT_MARGIN_M = 300.0
MAX_MARGIN_M = 10_000.0
MAX_ITEMS = 1_000


def search_site(
    case: Case,
    site_reference: str | int,
    date_from: FuzzyTime | str | None,
    date_to: FuzzyTime | str | None,
    *,
    collections: list[str] | None = None,
    catalogue_url: str,
    max_items: int = 50,
    asset: str | None = None,
    radius_m: float = DEFAULT_RADIUS_M,
) -> list[dict]:
    """The scenes over a site in a period (dates inclusive, UTC), oldest first."""
    site = sites.find_site(case, site_reference, "site")
    start, end = _period(date_from, date_to)
    if not 1 <= max_items <= MAX_ITEMS:
        raise InvalidInput("--max-items", f"{max_items}: give 1 to {MAX_ITEMS}")
    scenes = stac.search_scenes(
        catalogue_url,
        site_polygon_wgs84(site, radius_m),
        start,
        end,
        collections=list(collections) if collections else None,
        max_items=max_items,
        asset=asset,
        allow_private_hosts=stac.allowed_hosts_from_environment(),
    )
    return [scene.as_dict() for scene in scenes]


def download_scenes(
    case: Case,
    site_reference: str | int,
    scenes: Sequence[dict | str],
    *,
    catalogue_url: str | None = None,
    margin_m: float = DEFAULT_MARGIN_M,
    radius_m: float = DEFAULT_RADIUS_M,
    asset: str | None = None,
) -> list[dict]:
    """Adds the window over the site of each scene (results of search_site, or item ids
    found again in `catalogue_url`, `asset` chosen) to the case; returns the records. Every
    window is read before any is added, so a scene that cannot be read stores nothing."""
    site = sites.find_site(case, site_reference, "site")
    if not (math.isfinite(margin_m) and 0 <= margin_m <= MAX_MARGIN_M):
        raise InvalidInput("--margin", f"{margin_m} m: give 0 to {MAX_MARGIN_M:.0f} m")
    polygon = site_polygon_wgs84(site, radius_m)
    allowed = stac.allowed_hosts_from_environment()
    chosen = _scenes_named(scenes, polygon, catalogue_url, asset, allowed)
    with tempfile.TemporaryDirectory(prefix="siteline-stac-") as folder:
        windows = [
            _window_file(Path(folder) / f"{number:04d}", scene, polygon, margin_m, allowed)
            for number, scene in enumerate(chosen)
        ]
        return [
            _add_window(case, site, scene, path)
            for scene, path in zip(chosen, windows, strict=True)
        ]


def _period(
    date_from: FuzzyTime | str | None, date_to: FuzzyTime | str | None
) -> tuple[datetime | None, datetime | None]:
    start = FuzzyTime.parse(date_from, "--from") if isinstance(date_from, str) else date_from
    end = FuzzyTime.parse(date_to, "--to") if isinstance(date_to, str) else date_to
    check_window(start, end, "--to")
    return (start.start if start else None), (end.end if end else None)


def _scenes_named(
    scenes: Sequence[dict | str],
    polygon,
    catalogue_url: str | None,
    asset: str | None,
    allowed: frozenset[str],
) -> list[stac.StacScene]:
    if not scenes:
        raise InvalidInput("--item", "name at least one scene to download")
    ids = [scene for scene in scenes if isinstance(scene, str)]
    given = [_scene(scene) for scene in scenes if not isinstance(scene, str)]
    if not ids:
        return given
    if not catalogue_url:
        raise InvalidInput("--catalogue", "give the catalogue the item ids are found in")
    found = stac.search_scenes(
        catalogue_url,
        polygon,
        None,
        None,
        ids=ids,
        max_items=len(ids),
        asset=asset,
        allow_private_hosts=allowed,
    )
    missing = sorted(set(ids) - {scene.item_id for scene in found})
    if missing:
        raise InvalidInput("--item", f"not found over the site in {catalogue_url}: {missing}")
    return given + found


def _scene(result: dict) -> stac.StacScene:
    try:
        return stac.StacScene.from_dict(result)
    except (KeyError, TypeError, ValueError, AttributeError):
        raise InvalidInput("scene", f"not a result of an imagery search: {result!r:.200}") from None


def _window_file(
    folder: Path, scene: stac.StacScene, polygon, margin_m: float, allowed: frozenset[str]
) -> Path:
    """The window written to a file of its own folder (two ids may sanitise alike)."""
    data, profile = stac.read_window(scene.href, polygon, margin_m, allow_private_hosts=allowed)
    bounds = array_bounds(profile["height"], profile["width"], profile["transform"])
    tags = {
        "STAC_ITEM_ID": scene.item_id,
        "STAC_COLLECTION": scene.collection or "",
        "STAC_ITEM_HREF": scene.item_href or "",
        "STAC_ASSET": scene.asset,
        "STAC_ASSET_HREF": scene.href,
        "STAC_CATALOGUE": scene.catalogue or "",
        "STAC_DATETIME": scene.datetime.isoformat(),
        "SITELINE_WINDOW_BOUNDS": ",".join(f"{v:.3f}" for v in bounds),
        "SITELINE_WINDOW_MARGIN_M": f"{margin_m:g}",
    }
    # The item id and asset key come from the web: only safe characters reach a file name.
    name = re.sub(r"[^A-Za-z0-9_-]+", "_", f"{scene.item_id}-{scene.asset}")[:100]
    folder.mkdir()
    return stac.write_geotiff(folder / f"{name}.tif", data, profile, tags)


def _add_window(case: Case, site: dict, scene: stac.StacScene, path: Path) -> dict:
    provider = f"{scene.collection or 'STAC'} via STAC"
    record = add_scene(
        case,
        path,
        captured=FuzzyTime(scene.datetime.replace(microsecond=0), TimePrecision.SECOND),
        sensor=scene.sensor,
        provider=provider,
        title=f"{provider}: item {scene.item_id[:120]}, {scene.asset}, window over {site['name']}",
        site_id=site["id"],
        source_url=scene.href,
        extra_details={"stac": scene.as_dict()},  # dates as ISO text already
        custody_method=(
            f"window over the site read by HTTP range requests from the asset {scene.asset!r} "
            f"of STAC item {scene.item_id!r}, found through {scene.catalogue or 'a catalogue'}"
        ),
        tool="siteline imagery search",
    )
    return {**record, "stac": scene.as_dict()}
