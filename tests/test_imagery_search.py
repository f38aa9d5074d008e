"""Scenes found through STAC and the window over a site downloaded, over real HTTP on
loopback: our own small COGs, a static catalogue and a tiny STAC API serving them; and
every URL that would reach this machine or its network refused."""

from __future__ import annotations

import json
import re
import socket
from datetime import UTC, datetime

import numpy as np
import pystac
import pytest
import rasterio
from pyproj import Transformer
from shapely import box
from shapely.geometry import mapping
from stac_server import serving, stac_item, write_cog, write_static_catalogue

from siteline.domain.entities import Site
from siteline.errors import InvalidInput
from siteline.imagery.grid import reproject_geometry, site_polygon_wgs84
from siteline.imagery.stac import choose_asset, read_window, search_scenes, sensor_of
from siteline.imagery.stac_remote import (
    ALLOW_HOSTS_VARIABLE,
    allowed_hosts_from_environment,
    check_url,
)
from siteline.services import evidence, sites
from siteline.services.imagery_search import download_scenes, search_site

# A made-up hospital at about 36.2° N, 37.16° E (UTM zone 37 N).
UTM = "EPSG:32637"
SITE_XY = (334_280.0, 4_007_720.0)
LOOPBACK = frozenset({"127.0.0.1"})
START, END = datetime(2016, 9, 1, tzinfo=UTC), datetime(2016, 9, 30, 23, 59, 59, tzinfo=UTC)
# id: (collection, file, time, platform, asset)
ITEMS = {
    "S2A_20160910": ("sentinel-2-l2a", "s2.tif", "2016-09-10T08:15:02Z", "sentinel-2a", "data"),
    "S1A_20160912": ("sentinel-1-rtc", "s1.tif", "2016-09-12T03:30:45Z", "sentinel-1a", "vv"),
    "LC08_20160920": ("landsat-c2-l2", "landsat.tif", "2016-09-20T08:00:10Z", "landsat-8", "data"),
    "S2A_20161015": ("sentinel-2-l2a", "s2.tif", "2016-10-15T08:15:02Z", "sentinel-2a", "data"),
    "S2A_far_20160915": ("sentinel-2-l2a", None, "2016-09-15T08:15:02Z", "sentinel-2a", "data"),
}
OVER_SITE_IN_PERIOD = ["S2A_20160910", "S1A_20160912", "LC08_20160920"]
SENSORS = dict(zip(OVER_SITE_IN_PERIOD, ["multispectral", "sar", "multispectral"], strict=True))


def scene_arrays() -> dict[str, tuple[np.ndarray, float, tuple[float, float]]]:
    rng = np.random.default_rng(7)
    return {
        "s2.tif": (rng.integers(0, 10_000, (4, 256, 256), dtype=np.uint16), 10.0, (333e3, 4009e3)),
        "s1.tif": (rng.gamma(2.0, 0.05, (1, 256, 256)).astype(np.float32), 10.0, (333e3, 4009e3)),
        "landsat.tif": (
            rng.integers(0, 60_000, (3, 256, 256), dtype=np.uint16),
            30.0,
            (33e4, 4012e3),
        ),
    }


def footprint(file: str | None, arrays) -> dict:
    if file is None:  # far away, over another place
        return mapping(box(10.0, 50.0, 10.5, 50.5))
    data, pixel, (west, north) = arrays[file]
    outline = box(west, north - pixel * data.shape[1], west + pixel * data.shape[2], north)
    return mapping(reproject_geometry(outline, UTM, "EPSG:4326"))


def item_json(item_id: str, base: str, arrays, asset_href=None) -> dict:
    collection, file, when, platform, asset = ITEMS[item_id]
    href = asset_href or f"{base}/{file or 's2.tif'}"
    return stac_item(item_id, collection, footprint(file, arrays), when, platform, {asset: href})


@pytest.fixture(scope="module")
def web(tmp_path_factory):
    """The server and what it serves: base URL, folder, source arrays, requests seen."""
    folder = tmp_path_factory.mktemp("web")
    api_items: list[dict] = []
    with serving(folder, api_items) as server:
        base = server["base"]
        arrays = scene_arrays()
        for name, (data, pixel, origin) in arrays.items():
            write_cog(folder / name, data, UTM, pixel, origin)
        api_items.extend(item_json(item_id, base, arrays) for item_id in ITEMS)
        write_static_catalogue(folder / "static", api_items)
        metadata = item_json("S2A_20160910", base, arrays, "http://169.254.169.254/latest/x.tif")
        write_static_catalogue(folder / "hostile-asset", [metadata])
        write_static_catalogue(folder / "hostile-child", [], ["http://10.0.0.7/catalog.json"])
        write_static_catalogue(folder / "file-child", [], ["file:///etc/passwd"])
        write_static_catalogue(folder / "loop", [], ["./catalog.json", "./loop/../catalog.json"])
        (folder / "not-json").mkdir()
        (folder / "not-json" / "catalog.json").write_text("<html>not a catalogue</html>")
        yield {**server, "folder": folder, "arrays": arrays}


def site_polygon():
    lon, lat = Transformer.from_crs(UTM, "EPSG:4326", always_xy=True).transform(*SITE_XY)
    return site_polygon_wgs84({"name": "Made-up Hospital", "lat": lat, "lon": lon}, 50.0)


@pytest.fixture
def case_with_site(case, monkeypatch):
    monkeypatch.setenv(ALLOW_HOSTS_VARIABLE, "127.0.0.1")
    centre = site_polygon().centroid
    sites.add_site(case, Site(name="Made-up Hospital", lat=centre.y, lon=centre.x))
    return case


# -- Search ---------------------------------------------------------------------------


@pytest.mark.parametrize("path", ["/static/catalog.json", "/api"])
def test_search_finds_exactly_the_scenes_over_the_site_in_the_period(web, path):
    web["seen"].clear()
    scenes = search_scenes(
        web["base"] + path, site_polygon(), START, END, allow_private_hosts=LOOPBACK
    )
    assert [scene.item_id for scene in scenes] == OVER_SITE_IN_PERIOD
    assert {scene.item_id: scene.sensor for scene in scenes} == SENSORS
    s2 = scenes[0]
    assert (s2.collection, s2.platform, s2.cloud_cover, s2.asset) == (
        "sentinel-2-l2a",
        "sentinel-2a",
        3.5,
        "data",
    )
    assert s2.href == f"{web['base']}/s2.tif"
    assert s2.datetime == datetime(2016, 9, 10, 8, 15, 2, tzinfo=UTC)
    searched = any(seen.startswith("/api/search") for seen, _ in web["seen"])
    walked = any(seen.endswith("/collection.json") for seen, _ in web["seen"])
    assert (searched, walked) == ((True, False) if path == "/api" else (False, True))


@pytest.mark.parametrize("path", ["/static/catalog.json", "/api"])
def test_search_keeps_to_the_collections_asked_for(web, path):
    scenes = search_scenes(
        web["base"] + path,
        site_polygon(),
        START,
        None,
        collections=["sentinel-1-rtc"],
        allow_private_hosts=LOOPBACK,
    )
    assert [(scene.item_id, scene.sensor, scene.asset) for scene in scenes] == [
        ("S1A_20160912", "sar", "vv")
    ]


def test_a_catalogue_that_links_to_itself_is_walked_once(web):
    web["seen"].clear()
    url = f"{web['base']}/loop/catalog.json"
    assert search_scenes(url, site_polygon(), START, END, allow_private_hosts=LOOPBACK) == []
    assert len(web["seen"]) <= 3


def test_a_visual_asset_is_rgb_and_an_unknown_sensor_is_left_out():
    item = pystac.Item("x", None, None, datetime(2016, 9, 1, tzinfo=UTC), {}, collection="other")
    item.add_asset("visual", pystac.Asset("http://example.org/v.tif", media_type="image/tiff"))
    assert (choose_asset(item), sensor_of(item, "visual")) == ("visual", "rgb")
    item.assets.pop("visual")
    item.add_asset("data", pystac.Asset("http://example.org/d.tif", roles=["data"]))
    assert (choose_asset(item), sensor_of(item, "data")) == ("data", None)


# -- The window -----------------------------------------------------------------------


def test_only_the_window_over_the_site_is_read(web):
    polygon = site_polygon()
    web["seen"].clear()
    data, profile = read_window(
        f"{web['base']}/s2.tif", polygon, 300.0, allow_private_hosts=LOOPBACK
    )
    assert data.shape[0] == 4 and max(data.shape[1:]) < 256 // 3
    transform = profile["transform"]
    col, row = round((transform.c - 333e3) / 10), round((4009e3 - transform.f) / 10)
    source = web["arrays"]["s2.tif"][0]
    assert np.array_equal(data, source[:, row : row + data.shape[1], col : col + data.shape[2]])
    west, north = transform.c, transform.f
    east, south = west + 10 * data.shape[2], north - 10 * data.shape[1]
    assert box(west, south, east, north).contains(reproject_geometry(polygon, "EPSG:4326", UTM))
    reads = [ranged for path, ranged in web["seen"] if path == "/s2.tif"]
    assert reads and all(reads), "every read of the COG is a range request"
    # ... made by Siteline's checked session, never by GDAL's own HTTP client
    assert all(agent.startswith("siteline/") for agent in web["agents"])


def test_download_adds_the_window_as_a_scene_of_the_site(web, case_with_site, tmp_path):
    case = case_with_site
    results = search_site(
        case,
        "Made-up Hospital",
        "2016-09-01",
        "2016-09-30",
        catalogue_url=f"{web['base']}/static/catalog.json",
    )
    records = download_scenes(case, "Made-up Hospital", results, margin_m=300)
    assert [record["stac"]["item_id"] for record in records] == OVER_SITE_IN_PERIOD
    s2 = evidence.get_evidence(case, records[0]["id"])
    details = json.loads(s2["details"])
    assert (s2["kind"], s2["site_id"], details["sensor"]) == ("satellite_scene", 1, "multispectral")
    assert (s2["captured_at"], s2["captured_precision"]) == ("2016-09-10T08:15:02Z", "second")
    assert details["provider"] == "sentinel-2-l2a via STAC"
    assert details["stac"]["item_id"] == "S2A_20160910"
    assert s2["source_url"] == f"{web['base']}/s2.tif"
    stored = tmp_path / "stored.tif"
    stored.write_bytes(evidence.read_original(case, s2["id"]))
    assert stored.stat().st_size < (web["folder"] / "s2.tif").stat().st_size / 10
    site_utm = reproject_geometry(site_polygon(), "EPSG:4326", UTM)
    with rasterio.open(stored) as window:
        tags = window.tags()
        assert box(*window.bounds).contains(site_utm) and window.width < 256 // 3
    assert tags["STAC_ITEM_ID"] == "S2A_20160910"
    assert tags["STAC_ASSET_HREF"] == f"{web['base']}/s2.tif"
    assert tags["STAC_CATALOGUE"] == f"{web['base']}/static/catalog.json"
    sar = json.loads(evidence.get_evidence(case, records[1]["id"])["details"])
    assert (sar["sensor"], sar["scene"]["dtype"]) == ("sar", "float32")


def test_download_by_item_id_finds_the_item_again(web, case_with_site):
    records = download_scenes(
        case_with_site,
        "Made-up Hospital",
        ["S1A_20160912"],
        catalogue_url=f"{web['base']}/api",
    )
    assert records[0]["stac"]["sensor"] == "sar"
    with pytest.raises(InvalidInput, match="S2A_far_20160915"):
        download_scenes(
            case_with_site,
            "Made-up Hospital",
            ["S2A_far_20160915"],
            catalogue_url=f"{web['base']}/api",
        )


# -- What is refused, with nothing stored ---------------------------------------------


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def test_failures_name_the_url_or_field_and_store_nothing(web, case_with_site):
    case, site, base = case_with_site, "Made-up Hospital", web["base"]
    down = f"http://127.0.0.1:{free_port()}/catalog.json"
    for catalogue in (down, f"{base}/not-json/catalog.json"):
        with pytest.raises(InvalidInput) as refused:
            search_site(case, site, "2016-09", "2016-09", catalogue_url=catalogue)
        assert catalogue in str(refused.value)
    with pytest.raises(InvalidInput, match=r"^--to: the window ends"):
        search_site(case, site, "2016-09-30", "2016-09-01", catalogue_url=f"{base}/api")
    results = search_site(case, site, "2016-09", "2016-09", catalogue_url=f"{base}/api")
    missing = {**results[0], "href": f"{base}/missing.tif"}
    with pytest.raises(InvalidInput, match=r"missing\.tif: the server answered \(HTTP 404\)"):
        download_scenes(case, site, [results[1], missing])
    assert evidence.list_evidence(case) == []


@pytest.mark.parametrize(
    "url",
    [
        "http://127.0.0.1:8080/catalog.json",
        "http://localhost/catalog.json",
        "http://10.1.2.3/catalog.json",
        "http://169.254.169.254/latest/meta-data/",
        "http://[::1]/catalog.json",
        "http://[::ffff:192.168.1.1]/catalog.json",
        "file:///etc/passwd",
        "ftp://example.org/catalog.json",
        "/etc/passwd",
    ],
)
def test_urls_that_reach_this_machine_or_its_network_are_refused(url):
    with pytest.raises(InvalidInput, match="not a public address|only http and https"):
        check_url(url)
    with pytest.raises(InvalidInput):
        search_scenes(url, site_polygon(), START, END)


def test_the_loopback_server_itself_is_refused_by_default(web):
    web["seen"].clear()
    with pytest.raises(InvalidInput, match="127.0.0.1 not a public address"):
        search_scenes(f"{web['base']}/api", site_polygon(), START, END)
    with pytest.raises(InvalidInput, match="127.0.0.1 not a public address"):
        read_window(f"{web['base']}/s2.tif", site_polygon(), 300.0)
    assert web["seen"] == []


@pytest.mark.parametrize(
    ("catalogue", "named"),
    [
        ("hostile-asset/catalog.json", "169.254.169.254"),
        ("hostile-child/catalog.json", "10.0.0.7"),
        ("file-child/catalog.json", "file:///etc/passwd"),
        ("redirect?to=http://169.254.169.254/catalog.json", "169.254.169.254"),
    ],
)
def test_hrefs_inside_a_catalogue_are_checked_too(web, catalogue, named):
    with pytest.raises(InvalidInput, match=re.escape(named)):
        search_scenes(
            f"{web['base']}/{catalogue}", site_polygon(), START, END, allow_private_hosts=LOOPBACK
        )


def test_a_redirected_asset_is_checked(web):
    href = f"{web['base']}/redirect?to=http://10.9.8.7/s2.tif"
    with pytest.raises(InvalidInput, match="10.9.8.7"):
        read_window(href, site_polygon(), 300.0, allow_private_hosts=LOOPBACK)


def test_a_vrt_posing_as_a_geotiff_is_not_opened(web):
    """A VRT names other files and hosts for GDAL to read: only GeoTIFF is opened."""
    source = "/vsicurl/http://10.1.2.3/secret.tif"
    vrt = '<VRTDataset rasterXSize="9" rasterYSize="9"><VRTRasterBand dataType="Byte" band="1">'
    vrt += f"<SimpleSource><SourceFilename>{source}</SourceFilename></SimpleSource>"
    (web["folder"] / "posing.tif").write_text(vrt + "</VRTRasterBand></VRTDataset>")
    with pytest.raises(InvalidInput, match="posing.tif: could not be read as a GeoTIFF"):
        read_window(
            f"{web['base']}/posing.tif", site_polygon(), 300.0, allow_private_hosts=LOOPBACK
        )


@pytest.mark.parametrize("scheme", ["http", "https"])
def test_a_name_that_resolves_elsewhere_when_connecting_is_refused(web, monkeypatch, scheme):
    """DNS rebinding: public when checked, loopback when connected."""
    port = int(web["base"].rsplit(":", 1)[1])
    real = socket.getaddrinfo
    answers = iter(["93.184.216.34"])

    def resolve(host, *args, **kwargs):
        if host != "rebinding.test":
            return real(host, *args, **kwargs)
        address = next(answers, "127.0.0.1")
        return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    web["seen"].clear()
    with pytest.raises(InvalidInput, match="connected to 127.0.0.1, not public"):
        read_window(f"{scheme}://rebinding.test:{port}/s2.tif", site_polygon(), 300.0)
    assert web["seen"] == []


def test_the_environment_names_hosts_allowed_on_a_private_network(monkeypatch):
    monkeypatch.setenv(ALLOW_HOSTS_VARIABLE, " STAC.internal , 127.0.0.1,")
    assert allowed_hosts_from_environment() == {"stac.internal", "127.0.0.1"}
    assert check_url("http://127.0.0.1:9/x", allowed_hosts_from_environment())


def test_the_command_lists_and_downloads_the_scenes_over_the_site(web, case_dir, monkeypatch):
    from click.testing import CliRunner

    from siteline.cli import cli
    from siteline.services import cases

    monkeypatch.setenv(ALLOW_HOSTS_VARIABLE, "127.0.0.1")
    folder = case_dir()
    runner = CliRunner()
    assert runner.invoke(cli, ["init", str(folder), "--name", "search"]).exit_code == 0
    opened = cases.open_case(folder)
    try:
        centre = site_polygon().centroid
        sites.add_site(opened, Site(name="Made-up Hospital", lat=centre.y, lon=centre.x))
    finally:
        opened.close()
    base = ["--case", str(folder), "imagery", "search", "Made-up Hospital"]
    period = ["--catalogue", f"{web['base']}/api", "--from", "2016-09-01", "--to", "2016-09-30"]
    listed = runner.invoke(cli, [*base, *period, "--json"])
    assert listed.exit_code == 0, listed.output
    assert [scene["item_id"] for scene in json.loads(listed.output)] == OVER_SITE_IN_PERIOD
    first = OVER_SITE_IN_PERIOD[0]
    added = runner.invoke(cli, [*base, *period, "--download", "--item", first, "--json"])
    assert added.exit_code == 0, added.output
    assert [record["stac"]["item_id"] for record in json.loads(added.output)] == [first]
    monkeypatch.delenv(ALLOW_HOSTS_VARIABLE)
    refused = runner.invoke(cli, [*base, *period])
    assert refused.exit_code == 2 and "127.0.0.1" in refused.output
