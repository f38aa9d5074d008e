"""Scenes found through STAC over a site in a period.

A catalogue is a STAC API (it conforms to item search: the server filters) or a static
catalogue (a catalog.json and its links: its items are walked and filtered here). Either
way each item kept is over the site and in the period, whatever the server said.

What comes from the web is hostile: every URL read (the catalogue, each page and link,
each asset) goes through `check_url` and a session that checks each redirect and each
connection (see `stac_remote`, which also reads the window of an asset over the site).
"""

from __future__ import annotations

import warnings
from collections import deque
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from datetime import UTC, datetime
from urllib.parse import urljoin

import requests
import shapely
from pystac import Item, Link, STACError
from pystac_client import Client
from pystac_client.conformance import ConformanceClasses
from pystac_client.exceptions import APIError
from pystac_client.stac_api_io import StacApiIO
from shapely import Polygon, box
from shapely.geometry import mapping, shape

from siteline.errors import InvalidInput
from siteline.imagery.stac_remote import (
    TIMEOUT,
    allowed_hosts_from_environment,
    check_url,
    checked_session,
    failure_reason,
    read_window,
    write_geotiff,
)

__all__ = [
    "StacScene",
    "allowed_hosts_from_environment",
    "check_url",
    "read_window",
    "search_scenes",
    "write_geotiff",
]

MAX_DOCUMENTS = 5_000  # JSON documents read in one search: a walk must end
SAR_NAMES = ("sentinel-1", "sentinel1")
MULTISPECTRAL_NAMES = ("sentinel-2", "sentinel2", "landsat")
SAR_ASSETS = ("vv", "hh", "vh", "hv")


@dataclass(frozen=True)
class StacScene:
    """One item of a catalogue, the asset chosen from it and the sensor it stands for."""

    item_id: str
    collection: str | None
    datetime: datetime
    platform: str | None
    constellation: str | None
    cloud_cover: float | None
    asset: str
    href: str
    sensor: str
    bbox: tuple[float, float, float, float]
    item_href: str | None
    catalogue: str | None = None  # the catalogue it was found in

    def as_dict(self) -> dict:
        return {**asdict(self), "datetime": self.datetime.isoformat(), "bbox": list(self.bbox)}

    @classmethod
    def from_dict(cls, data: dict) -> StacScene:
        moment = datetime.fromisoformat(data["datetime"]).astimezone(UTC)
        return cls(**{**data, "datetime": moment, "bbox": tuple(data["bbox"])})


class _CheckedStacIO(StacApiIO):
    """pystac-client's reader, with every href checked (no local file is ever opened)."""

    def __init__(self, session: requests.Session, allow_private_hosts: frozenset[str]):
        super().__init__(timeout=TIMEOUT, max_retries=None)
        self.session = session
        self.allow_private_hosts = allow_private_hosts
        self.documents = 0

    def read_text(self, source, *args, **kwargs) -> str:
        href = source.to_dict()["href"] if isinstance(source, Link) else str(source)
        check_url(href, self.allow_private_hosts)
        self.documents += 1
        if self.documents > MAX_DOCUMENTS:
            raise InvalidInput(href, f"more than {MAX_DOCUMENTS} documents: the walk stops")
        try:
            return super().read_text(source, *args, **kwargs)
        except APIError as error:
            if isinstance(error.__context__, InvalidInput):  # a redirect refused
                raise error.__context__ from None
            if getattr(error, "status_code", None):  # its text is the whole answer
                raise InvalidInput(
                    href, f"the server answered (HTTP {error.status_code})"
                ) from None
            raise InvalidInput(href, f"could not be read ({failure_reason(error)})") from None


# -- Search ---------------------------------------------------------------------------


def search_scenes(
    catalogue_url: str,
    polygon_wgs84: Polygon,
    start: datetime | None,
    end: datetime | None,
    *,
    collections: list[str] | None = None,
    ids: list[str] | None = None,
    max_items: int = 50,
    asset: str | None = None,
    allow_private_hosts: frozenset[str] = frozenset(),
) -> list[StacScene]:
    """Scenes over the polygon between two UTC instants (either open), oldest first."""
    check_url(catalogue_url, allow_private_hosts)
    stac_io = _CheckedStacIO(checked_session(allow_private_hosts), allow_private_hosts)
    query = {"collections": collections, "ids": ids, "max_items": max_items}
    try:
        with warnings.catch_warnings():
            warnings.simplefilter("ignore")  # pystac-client warns of every static catalogue
            found = _items(stac_io, catalogue_url, polygon_wgs84, start, end, query)
            items = [i for i in found if _over_and_in(i, polygon_wgs84, start, end, collections)]
            scenes = [scene_from_item(item, asset, catalogue_url) for item in items]
    except (APIError, STACError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise _explained(error, catalogue_url) from None
    kept = sorted((s for s in scenes if s is not None), key=lambda s: (s.datetime, s.item_id))
    for scene in kept[:max_items]:
        check_url(scene.href, allow_private_hosts)
    return kept[:max_items]


def _items(stac_io, catalogue_url: str, polygon, start, end, query: dict) -> Iterator[Item]:
    """The server's own search where it has one; otherwise the catalogue walked."""
    client = Client.open(catalogue_url, stac_io=stac_io, timeout=TIMEOUT)
    if not client.conforms_to(ConformanceClasses.ITEM_SEARCH):
        return _walk_items(stac_io, catalogue_url, query["ids"])
    period = _period_text(start, end)
    return client.search(intersects=mapping(polygon), datetime=period, **query).items()


def _walk_items(stac_io: StacApiIO, root_url: str, ids: list[str] | None) -> Iterator[Item]:
    """The items of a static catalogue, each document read once: a catalogue may link to
    itself (pystac's own walk then recurses until the stack runs out)."""
    queue, queued = deque([root_url]), {root_url}
    while queue:
        href = queue.popleft()
        document = stac_io.read_json(href)
        if document.get("type") == "Feature":
            if not ids or document.get("id") in ids:
                yield Item.from_dict(document, href=href, preserve_dict=False)
            continue
        for link in document.get("links") or []:
            target = urljoin(href, link["href"]) if link.get("rel") in ("child", "item") else None
            if target and target not in queued:
                queued.add(target)
                queue.append(target)


def _period_text(start: datetime | None, end: datetime | None) -> str | None:
    def text(moment):
        return moment.astimezone(UTC).strftime("%Y-%m-%dT%H:%M:%SZ") if moment else ".."

    return None if start is None and end is None else f"{text(start)}/{text(end)}"


def _explained(error: Exception, catalogue_url: str) -> InvalidInput:
    """Our own refusal where pystac wrapped it; otherwise the catalogue named as unusable."""
    cause: BaseException | None = error
    while cause is not None:
        if isinstance(cause, InvalidInput):
            return cause
        cause = cause.__cause__ or cause.__context__
    return InvalidInput(catalogue_url, f"not a STAC catalogue Siteline can read ({error})")


def _over_and_in(item: Item, site: Polygon, start, end, collections) -> bool:
    if collections and item.collection_id not in collections:
        return False
    try:
        footprint = shape(item.geometry) if item.geometry else box(*item.bbox)
        first = item.datetime or item.common_metadata.start_datetime
        last = item.datetime or item.common_metadata.end_datetime
        return (
            footprint.intersects(site)
            and (start is None or _utc(last) >= start)
            and (end is None or _utc(first) <= end)
        )
    except (TypeError, ValueError, AttributeError, shapely.errors.ShapelyError):
        return False  # an item with no readable place or time cannot be said to match


def _utc(moment: datetime) -> datetime:
    return moment.replace(tzinfo=UTC) if moment.tzinfo is None else moment.astimezone(UTC)


def scene_from_item(
    item: Item, asset: str | None = None, catalogue: str | None = None
) -> StacScene | None:
    """The scene an item offers, or None when it has no GeoTIFF or no sensor we know."""
    key = choose_asset(item, asset)
    sensor = sensor_of(item, key) if key else None
    if key is None or sensor is None:
        return None
    properties = item.properties
    cloud = properties.get("eo:cloud_cover")
    return StacScene(
        item_id=str(item.id),
        collection=item.collection_id,
        datetime=_utc(item.datetime or item.common_metadata.start_datetime),
        platform=properties.get("platform"),
        constellation=properties.get("constellation"),
        cloud_cover=float(cloud) if isinstance(cloud, int | float) else None,
        asset=key,
        href=item.assets[key].get_absolute_href() or item.assets[key].href,
        sensor=sensor,
        bbox=_flat_bbox(item.bbox or shape(item.geometry).bounds),
        item_href=item.get_self_href(),
        catalogue=catalogue,
    )


def _flat_bbox(bbox) -> tuple[float, float, float, float]:
    """West, south, east, north; a 3-D bbox (with heights) has six numbers."""
    values = [float(v) for v in bbox]
    return tuple(values[:2] + values[3:5]) if len(values) == 6 else tuple(values[:4])


def choose_asset(item: Item, wanted: str | None = None) -> str | None:
    """The asset to read: the one asked for; else a visual (RGB) one, a SAR polarisation,
    a multi-band raster, or the first GeoTIFF holding data."""
    rasters = sorted(key for key, asset in item.assets.items() if _is_data_geotiff(key, asset))
    if wanted:
        return wanted if wanted in rasters else None
    for key in ("visual", *SAR_ASSETS):
        if key in rasters:
            return key
    bands = [key for key in rasters if len(_bands(item.assets[key])) > 1]
    return (bands or rasters or [None])[0]


def _is_data_geotiff(key: str, asset) -> bool:
    kind = (asset.media_type or "").lower()
    tiff = "image/tiff" in kind or asset.href.lower().split("?")[0].endswith((".tif", ".tiff"))
    roles = asset.roles or []
    return tiff and (not roles or "data" in roles or "visual" in roles or key == "visual")


def _bands(asset) -> list:
    return asset.extra_fields.get("eo:bands") or asset.extra_fields.get("bands") or []


def sensor_of(item: Item, key: str) -> str | None:
    """rgb for a visual asset; sar for Sentinel-1 or SAR properties; multispectral for
    Sentinel-2, Landsat or other optical items; None when nothing tells."""
    asset = item.assets[key]
    if key == "visual" or "visual" in (asset.roles or []):
        return "rgb"
    properties = item.properties
    names = " ".join(
        str(v).lower()
        for v in (item.collection_id, properties.get("platform"), properties.get("constellation"))
        if v
    )
    if any(name in names for name in SAR_NAMES) or any(k.startswith("sar:") for k in properties):
        return "sar"
    if any(name in names for name in MULTISPECTRAL_NAMES) or "eo:cloud_cover" in properties:
        return "multispectral"
    return None
