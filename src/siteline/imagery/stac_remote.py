"""Reading from the web without reaching this machine or its network, and reading just
the window of a remote GeoTIFF over a site.

Content and URLs from the web are hostile: a catalogue, a link in it or a redirect may
name 127.0.0.1, a private network or a cloud's metadata service (169.254.169.254). Every
URL must be http(s) to a host whose every address is public; every connection is checked
again against the address it actually reached, before a byte is sent, so that a redirect
or a name that resolves differently the second time is refused too. Host names given in
`allow_private_hosts` are exempt: the environment variable SITELINE_STAC_ALLOW_HOSTS
(comma-separated) fills it for people who run a catalogue on their own network.
Connections made through a proxy (HTTP(S)_PROXY) are checked by the URL only: the proxy
resolves the name.

Rasters are read by byte ranges through the same checked session (GDAL reads a Python
file object), never by GDAL's own HTTP client, which follows redirects unchecked; and
only by the GeoTIFF driver, since a VRT could name local files or other hosts.
"""

from __future__ import annotations

import io
import ipaddress
import math
import os
import re
import socket
from pathlib import Path
from urllib.parse import urljoin, urlsplit

import numpy as np
import rasterio
import requests
import shapely
from pyproj import Transformer
from rasterio.errors import RasterioError
from rasterio.windows import Window, from_bounds
from requests.adapters import HTTPAdapter
from shapely import Polygon
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

from siteline import __version__
from siteline.errors import InvalidInput

ALLOW_HOSTS_VARIABLE = "SITELINE_STAC_ALLOW_HOSTS"
TIMEOUT = (10, 60)  # seconds to connect, seconds between bytes
MAX_DOCUMENT_BYTES = 32 * 2**20
MAX_RASTER_BYTES = 2 * 2**30  # read from one file
MAX_WINDOW_SIDE = 8_192  # pixels
RANGE_BLOCK = 64 * 2**10  # bytes asked for at once (GDAL reads headers in small steps)


def allowed_hosts_from_environment() -> frozenset[str]:
    text = os.environ.get(ALLOW_HOSTS_VARIABLE, "")
    return frozenset(name.strip().lower() for name in text.split(",") if name.strip())


def check_url(url: str, allow_private_hosts: frozenset[str] = frozenset()) -> str:
    """The URL, if it is http(s) to a host whose every address is public (or allowed)."""
    parts = urlsplit(str(url))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(str(url), "only http and https URLs are read")
    host = parts.hostname.lower()
    if host in {name.lower() for name in allow_private_hosts}:
        return url
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, ValueError) as error:
        raise InvalidInput(url, f"the host cannot be resolved ({error})") from None
    for *_, address in found:
        if not is_public_address(address[0]):
            where = host if address[0] == host else f"{host} is at {address[0]}:"
            raise InvalidInput(url, f"{where} not a public address: refused")
    return url


def is_public_address(text: str) -> bool:
    address = ipaddress.ip_address(text.split("%")[0])  # drop an IPv6 zone
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def checked_session(allow_private_hosts: frozenset[str] = frozenset()) -> requests.Session:
    """A session that checks each redirect's target, and each connection's peer."""
    allowed = frozenset(name.lower() for name in allow_private_hosts)
    session = requests.Session()
    session.headers["User-Agent"] = f"siteline/{__version__}"
    session.mount("http://", _CheckedAdapter(allowed))
    session.mount("https://", _CheckedAdapter(allowed))
    session.max_redirects = 5

    def check_response(response, *args, **kwargs):
        if response.is_redirect:
            try:
                check_url(urljoin(response.url, response.headers["location"]), allowed)
            except InvalidInput as refusal:
                raise InvalidInput(response.url, f"redirects to {refusal}") from None
        # Ranges are as large as asked for; a whole answer (a JSON document) is capped.
        size = int(response.headers.get("content-length") or 0)
        if response.status_code != 206 and size > MAX_DOCUMENT_BYTES:
            raise InvalidInput(response.url, f"the answer is over {MAX_DOCUMENT_BYTES} bytes")

    session.hooks["response"].append(check_response)
    return session


class _CheckedAdapter(HTTPAdapter):
    """Connections whose peer is checked once connected, before a byte is sent: a name
    that resolved to a public address for check_url may resolve elsewhere now."""

    def __init__(self, allow_private_hosts: frozenset[str]):
        self.allow_private_hosts = allow_private_hosts  # init_poolmanager needs it
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        extra = {"allow_private_hosts": self.allow_private_hosts}
        plain = type("Checked", (_PeerCheck, HTTPConnection), extra)
        secure = type("CheckedTLS", (_PeerCheck, HTTPSConnection), extra)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("CheckedPool", (HTTPConnectionPool,), {"ConnectionCls": plain}),
            "https": type("CheckedTLSPool", (HTTPSConnectionPool,), {"ConnectionCls": secure}),
        }


class _PeerCheck:
    allow_private_hosts: frozenset[str] = frozenset()

    def _new_conn(self):
        sock = super()._new_conn()
        peer = sock.getpeername()[0]
        if self.host.lower() not in self.allow_private_hosts and not is_public_address(peer):
            sock.close()
            raise NewConnectionError(self, f"{self.host} connected to {peer}, not public")
        return sock


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


def failure_reason(error: BaseException) -> str:
    """The root of a chain of wrapped errors, short: '[Errno 111] Connection refused'."""
    while error.__cause__ or error.__context__:
        error = error.__cause__ or error.__context__
    if isinstance(error, NewConnectionError):  # its text starts with the connection's repr
        return str(error).partition(": ")[2]
    return str(error)


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
