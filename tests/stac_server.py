"""A web server on loopback for the STAC tests: files served with HTTP Range requests (as
GDAL and Siteline read COGs), a redirect, a tiny STAC API, and what it was asked."""

from __future__ import annotations

import json
import re
import threading
from collections.abc import Iterator
from contextlib import contextmanager
from functools import partial
from http.server import SimpleHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from urllib.parse import parse_qs, urlsplit

import numpy as np
from rasterio.io import MemoryFile
from rasterio.shutil import copy
from rasterio.transform import from_origin
from shapely.geometry import shape


@contextmanager
def serving(folder: Path, api_items: list[dict]) -> Iterator[dict]:
    """The folder served on 127.0.0.1: its base URL, the requests seen (path, Range) and
    the user agents that made them; the items the API at /api searches."""
    seen: list[tuple[str, str | None]] = []
    agents: set[str] = set()
    handler = type("Serving", (Handler,), {"seen": seen, "agents": agents})
    handler.api_items = api_items
    server = ThreadingHTTPServer(("127.0.0.1", 0), partial(handler, directory=str(folder)))
    threading.Thread(target=server.serve_forever, daemon=True).start()
    try:
        yield {
            "base": f"http://127.0.0.1:{server.server_address[1]}",
            "seen": seen,
            "agents": agents,
        }
    finally:
        server.shutdown()
        server.server_close()


def write_cog(path: Path, data: np.ndarray, crs: str, pixel_m: float, origin: tuple[float, float]):
    """A Cloud-Optimised GeoTIFF with small tiles, so that a window touches only a few."""
    bands, height, width = data.shape
    profile = {"driver": "GTiff", "width": width, "height": height, "count": bands}
    profile |= {"dtype": data.dtype.name, "crs": crs}
    profile["transform"] = from_origin(*origin, pixel_m, pixel_m)
    with MemoryFile() as memory:
        with memory.open(**profile) as scratch:
            scratch.write(data)
        with memory.open() as scratch:
            copy(scratch, path, driver="COG", blocksize=64)


def stac_item(
    item_id: str, collection: str, geometry: dict, when: str, platform: str, assets: dict
) -> dict:
    """A STAC item; a Sentinel-1 one has SAR properties, the others a cloud cover."""
    properties = {"datetime": when, "platform": platform}
    if collection.startswith("sentinel-1"):
        properties["sar:instrument_mode"] = "IW"
    else:
        properties["eo:cloud_cover"] = 3.5
    cog = "image/tiff; application=geotiff; profile=cloud-optimized"
    return {
        "type": "Feature",
        "stac_version": "1.0.0",
        "id": item_id,
        "collection": collection,
        "geometry": geometry,
        "bbox": list(shape(geometry).bounds),
        "properties": properties,
        "links": [{"rel": "root", "href": "../catalog.json"}],
        "assets": {
            **{key: {"href": href, "type": cog, "roles": ["data"]} for key, href in assets.items()},
            "thumbnail": {"href": "./thumb.png", "type": "image/png", "roles": ["thumbnail"]},
        },
    }


def write_static_catalogue(folder: Path, items: list[dict], children: list[str] = ()) -> None:
    """catalog.json → collection.json per collection → one JSON file per item."""
    folder.mkdir(parents=True)
    by_collection: dict[str, list[dict]] = {}
    for item in items:
        by_collection.setdefault(item["collection"], []).append(item)
    links = [{"rel": "root", "href": "./catalog.json"}]
    links += [{"rel": "child", "href": href} for href in children]
    for name, members in by_collection.items():
        links.append({"rel": "child", "href": f"./{name}/collection.json"})
        (folder / name).mkdir()
        collection = {
            "type": "Collection",
            "stac_version": "1.0.0",
            "id": name,
            "description": name,
            "license": "proprietary",
            "extent": {
                "spatial": {"bbox": [[-180, -90, 180, 90]]},
                "temporal": {"interval": [[None, None]]},
            },
            "links": [{"rel": "root", "href": "../catalog.json"}]
            + [{"rel": "item", "href": f"./{item['id']}.json"} for item in members],
        }
        (folder / name / "collection.json").write_text(json.dumps(collection))
        for item in members:
            (folder / name / f"{item['id']}.json").write_text(json.dumps(item))
    catalogue = {"type": "Catalog", "stac_version": "1.0.0", "id": folder.name}
    catalogue |= {"description": "test catalogue", "links": links}
    (folder / "catalog.json").write_text(json.dumps(catalogue))


class Handler(SimpleHTTPRequestHandler):
    """Files with HTTP Range, a redirect, and a tiny STAC API at /api."""

    seen: list[tuple[str, str | None]]
    agents: set[str]
    api_items: list[dict]

    def log_message(self, *args):
        pass

    def do_GET(self):
        self.seen.append((self.path, self.headers.get("Range")))
        self.agents.add(self.headers.get("User-Agent"))
        url = urlsplit(self.path)
        if url.path == "/redirect":
            self.send_response(302)
            self.send_header("Location", parse_qs(url.query)["to"][0])
            self.send_header("Content-Length", "0")
            self.end_headers()
        elif url.path in ("/api", "/api/"):
            self.send_json(self.landing_page())
        elif url.path == "/api/search":
            query = {key: values[0] for key, values in parse_qs(url.query).items()}
            for key in ("collections", "ids"):
                if key in query:
                    query[key] = query[key].split(",")
            if "intersects" in query:
                query["intersects"] = json.loads(query["intersects"])
            self.send_json(self.search(query))
        else:
            self.send_file(Path(self.translate_path(url.path)))

    def do_POST(self):
        self.seen.append((self.path, None))
        body = json.loads(self.rfile.read(int(self.headers["Content-Length"])))
        self.send_json(self.search(body))

    def landing_page(self) -> dict:
        base = f"http://127.0.0.1:{self.server.server_address[1]}/api"
        return {
            "type": "Catalog",
            "stac_version": "1.0.0",
            "id": "tiny-api",
            "description": "a tiny STAC API",
            "conformsTo": [
                "https://api.stacspec.org/v1.0.0/core",
                "https://api.stacspec.org/v1.0.0/item-search",
            ],
            "links": [
                {"rel": "self", "href": base},
                {"rel": "root", "href": base},
                {"rel": "search", "href": f"{base}/search", "method": "GET"},
                {"rel": "search", "href": f"{base}/search", "method": "POST"},
            ],
        }

    def search(self, query: dict) -> dict:
        where = shape(query["intersects"]) if "intersects" in query else None
        first, _, last = (query.get("datetime") or "../..").partition("/")
        found = [
            item
            for item in self.api_items
            if (not query.get("collections") or item["collection"] in query["collections"])
            and (not query.get("ids") or item["id"] in query["ids"])
            and (where is None or shape(item["geometry"]).intersects(where))
            and (first == ".." or item["properties"]["datetime"] >= first)
            and (last == ".." or item["properties"]["datetime"] <= last)
        ]
        return {"type": "FeatureCollection", "features": found, "links": []}

    def send_json(self, document: dict):
        body = json.dumps(document).encode()
        self.send_response(200)
        self.send_header("Content-Type", "application/json")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def send_file(self, path: Path):
        if not path.is_file():
            self.send_error(404)
            return
        body = path.read_bytes()
        wanted = re.fullmatch(r"bytes=(\d+)-(\d*)", self.headers.get("Range") or "")
        if wanted:
            first = int(wanted[1])
            last = min(int(wanted[2] or len(body) - 1), len(body) - 1)
            self.send_response(206)
            self.send_header("Content-Range", f"bytes {first}-{last}/{len(body)}")
            body = body[first : last + 1]
        else:
            self.send_response(200)
        self.send_header("Accept-Ranges", "bytes")
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)
