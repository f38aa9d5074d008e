"""Reading a STAC catalogue without reaching this machine or its network, and reading just
the window of a remote GeoTIFF over a site.

Every URL and every connection is checked as `siteline.net.safe_http` describes (its names
`check_url`, `is_public_address` and `failure_reason` are importable from here too). Host
names given in `allow_private_hosts` are exempt: the environment variable
SITELINE_STAC_ALLOW_HOSTS (comma-separated) fills it for people who run a catalogue on
their own network.

Rasters are read by byte ranges through the same checked session (GDAL reads a Python
file object), never by GDAL's own HTTP client, which follows redirects unchecked; and
only by the GeoTIFF driver, since a VRT could name local files or other hosts.
"""

from __future__ import annotations

import io
import math
import re
from pathlib import Path

import numpy as np
import rasterio
import requests
import shapely
from pyproj import Transformer
from rasterio.errors import RasterioError
from rasterio.windows import Window, from_bounds
from shapely import Polygon

from siteline.errors import InvalidInput
from siteline.net import safe_http
from siteline.net.safe_http import check_url, failure_reason, hosts_from_environment
from siteline.net.safe_http import is_public_address as is_public_address  # re-exported

ALLOW_HOSTS_VARIABLE = "SITELINE_STAC_ALLOW_HOSTS"
TIMEOUT = (10, 60)  # seconds to connect, seconds between bytes
MAX_DOCUMENT_BYTES = 32 * 2**20
MAX_RASTER_BYTES = 2 * 2**30  # read from one file
MAX_WINDOW_SIDE = 8_192  # pixels
RANGE_BLOCK = 64 * 2**10  # bytes asked for at once (GDAL reads headers in small steps)


def allowed_hosts_from_environment() -> frozenset[str]:
    return hosts_from_environment(ALLOW_HOSTS_VARIABLE)


def checked_session(allow_private_hosts: frozenset[str] = frozenset()) -> requests.Session:
    """A session that checks each redirect's target and each connection's peer, and
    refuses a whole answer (a JSON document) over MAX_DOCUMENT_BYTES."""
    session = safe_http.checked_session(allow_private_hosts)

    def check_size(response, *args, **kwargs):
        # Ranges are as large as asked for; a whole answer is capped.
        size = int(response.headers.get("content-length") or 0)
        if response.status_code != 206 and size > MAX_DOCUMENT_BYTES:
            raise InvalidInput(response.url, f"the answer is over {MAX_DOCUMENT_BYTES} bytes")

    session.hooks["response"].append(check_size)
    return session


# -- The window of a remote GeoTIFF over a site ----------------------------------------


def read_window(
    href: str,
    polygon_wgs84: Polygon,
    margin_m: float,
    *,
    allow_private_hosts: frozenset[str] = frozenset(),
) -> tuple[np.ndarray, dict]:
    """The pixels of a remote GeoTIFF under the polygon and a margin around it, read by
    byte ranges (a COG's tiles under the window, and its header, are all that travel),
    and a GeoTIFF profile with the window's transform."""
    check_url(href, allow_private_hosts)
    session = checked_session(allow_private_hosts)
    size = remote_size(session, href)  # here, so that a 404 or a refusal names the URL

    def opener(path, mode="rb"):
        if path != href:  # GDAL looks for side-car files: there are none to fetch
            raise FileNotFoundError(path)
        return io.BufferedReader(RangeReader(session, href, size), buffer_size=RANGE_BLOCK)

    try:
        with (
            rasterio.Env(GDAL_DISABLE_READDIR_ON_OPEN="EMPTY_DIR"),
            rasterio.open(href, driver="GTiff", opener=opener, sharing=False) as source,
        ):
            window = _window_over(source, polygon_wgs84, margin_m, href)
            data = source.read(window=window)
            return data, _window_profile(source, window, data)
    except RasterioError as error:
        problem = re.sub(r"'?/vsiriopener_\w+/[^' ]*'? ?", "", str(error))  # GDAL's own path
        raise InvalidInput(href, f"could not be read as a GeoTIFF ({problem})") from None


def _window_profile(source, window: Window, data: np.ndarray) -> dict:
    bands, height, width = data.shape
    return {
        "driver": "GTiff",
        "width": width,
        "height": height,
        "count": bands,
        "dtype": data.dtype.name,
        "crs": source.crs,
        "transform": source.window_transform(window),
        "nodata": source.nodata,
        "compress": "deflate",
    }


def write_geotiff(path: Path, data: np.ndarray, profile: dict, tags: dict | None = None) -> Path:
    with rasterio.open(path, "w", **profile) as target:
        target.write(data)
        if tags:
            target.update_tags(**{key: str(value) for key, value in tags.items()})
    return path


def _window_over(source, polygon_wgs84: Polygon, margin_m: float, href: str) -> Window:
    if source.crs is None or source.transform.is_identity:
        raise InvalidInput(href, "the raster has no georeference (a CRS and a geotransform)")
    if source.transform.b != 0 or source.transform.d != 0:
        raise InvalidInput(href, "rotated grids are not supported")
    west, south, east, north = _bounds_in(polygon_wgs84, margin_m, source.crs)
    if not all(map(math.isfinite, (west, south, east, north))):
        raise InvalidInput(href, "the site lies outside the raster's coordinate system")
    wanted = from_bounds(west, south, east, north, transform=source.transform)
    col, row = math.floor(wanted.col_off), math.floor(wanted.row_off)
    right = math.ceil(wanted.col_off + wanted.width)
    bottom = math.ceil(wanted.row_off + wanted.height)
    col, row = max(col, 0), max(row, 0)
    right, bottom = min(right, source.width), min(bottom, source.height)
    if right <= col or bottom <= row:
        raise InvalidInput(href, "the raster does not cover the site")
    if max(right - col, bottom - row) > MAX_WINDOW_SIDE:
        raise InvalidInput(href, f"the window would be over {MAX_WINDOW_SIDE} pixels a side")
    return Window(col, row, right - col, bottom - row)


def _bounds_in(polygon_wgs84: Polygon, margin_m: float, crs) -> tuple[float, ...]:
    """The polygon's bounds, with the margin, in the raster's CRS: the margin is drawn in
    metres around the site (a local equidistant projection), whatever the raster's units."""
    centre = polygon_wgs84.centroid
    local = f"+proj=aeqd +lat_0={centre.y} +lon_0={centre.x} +datum=WGS84 +units=m"
    to_local = Transformer.from_crs("EPSG:4326", local, always_xy=True).transform
    to_raster = Transformer.from_crs(local, crs, always_xy=True).transform
    around = shapely.transform(polygon_wgs84, to_local, interleaved=False).buffer(margin_m)
    edge = shapely.segmentize(around, max(around.length / 256, 1.0))
    return shapely.transform(edge, to_raster, interleaved=False).bounds


def remote_size(session: requests.Session, href: str) -> int:
    """The file's size, from the answer to a one-byte range: the server must serve ranges."""
    with _get_range(session, href, 0, 1) as response:
        total = response.headers.get("content-range", "").rpartition("/")[2]
    if not total.isdigit():
        raise InvalidInput(href, "the server gives no file size in its Content-Range")
    return int(total)


def _get_range(session: requests.Session, href: str, start: int, count: int):
    headers = {"Range": f"bytes={start}-{start + count - 1}", "Accept-Encoding": "identity"}
    try:
        response = session.get(href, headers=headers, stream=True, timeout=TIMEOUT)
    except requests.RequestException as error:
        raise InvalidInput(href, f"could not be read ({failure_reason(error)})") from None
    if response.status_code != 206:
        response.close()
        problem = "does not serve byte ranges" if response.ok else "answered"
        raise InvalidInput(href, f"the server {problem} (HTTP {response.status_code})")
    return response


class RangeReader(io.RawIOBase):
    """A remote file as a seekable file, each read one checked range request."""

    def __init__(self, session: requests.Session, href: str, size: int):
        super().__init__()
        self.session, self.href, self.size = session, href, size
        self.position, self.fetched = 0, 0

    def readable(self) -> bool:
        return True

    def seekable(self) -> bool:
        return True

    def tell(self) -> int:
        return self.position

    def seek(self, offset: int, whence: int = io.SEEK_SET) -> int:
        base = {io.SEEK_SET: 0, io.SEEK_CUR: self.position, io.SEEK_END: self.size}[whence]
        self.position = max(base + offset, 0)
        return self.position

    def readinto(self, buffer) -> int:
        count = min(len(buffer), self.size - self.position)
        if count <= 0:
            return 0
        self.fetched += count
        if self.fetched > MAX_RASTER_BYTES:
            raise OSError(f"{self.href}: more than {MAX_RASTER_BYTES} bytes read")
        with _get_range(self.session, self.href, self.position, count) as response:
            data = response.raw.read(count)
        buffer[: len(data)] = data
        self.position += len(data)
        return len(data)
