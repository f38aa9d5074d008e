"""Capturing a page and its media into a WARC and a WACZ, over real HTTP on loopback
(allowed explicitly, as only tests do): the package checked by warcio and by the wacz
tool, every SHA-256 recomputed; and every URL that would reach this machine or its
network refused, every limit enforced, nothing left behind by a capture that fails."""

from __future__ import annotations

import gzip
import hashlib
import io
import json
import socket
import subprocess
import sys
import time
import zipfile
from pathlib import Path

import pytest
from capture_server import Site, serving
from PIL import Image
from warcio.archiveiterator import ArchiveIterator

from siteline import __version__
from siteline.capture import (
    CAPTURE_ALLOW_HOSTS_VARIABLE,
    CaptureLimits,
    capture_allow_hosts_from_environment,
    capture_url,
    read_records,
    sha256_hex,
)
from siteline.capture.links import find_media, parse_srcset
from siteline.errors import InvalidInput

LOOPBACK = frozenset({"127.0.0.1"})
IDENTITY = "Investigator A. (case team 3)"
TOOLS = Path(sys.executable).parent  # warcio and wacz, installed beside this Python


def image_bytes(kind: str, colour: str) -> bytes:
    buffer = io.BytesIO()
    Image.new("RGB", (8, 6), colour).save(buffer, kind)
    return buffer.getvalue()


PNG = image_bytes("PNG", "red")
JPEG = image_bytes("JPEG", "blue")
ICON = image_bytes("PNG", "green")
VIDEO = b"\x00\x00\x00\x18ftypmp42" + bytes(range(256)) * 4  # stands for an MP4
PAGE_TEMPLATE = """<!doctype html>
<html><head><title>Strike on &amp; <b>near</b> the hospital</title>
<meta property="og:image" content="/og.jpg"><link rel="icon" href="/favicon.png">
<script>document.write('<img src="/written-by-script.png">'); fetch('/beacon');</script>
</head><body>
<img src="/photo.png" srcset="/photo.png 1x, /missing.png 2x">
<video poster="/og.jpg" controls><source src="/clip.mp4" type="video/mp4"></video>
<img src="{elsewhere}/far.png">
<img src="http://10.0.0.1/intranet.png"><img src="/redirect?to=http://169.254.169.254/x">
<img src="/redirect?to=http://[broken">
<img src="javascript:alert(1)"><img src="data:image/png;base64,AAAA">
<img src="/large?bytes=300000">
</body></html>"""


def served_page(elsewhere: Site) -> bytes:
    return PAGE_TEMPLATE.format(elsewhere=elsewhere.base).encode()


@pytest.fixture(scope="module")
def captured(tmp_path_factory):
    """One capture of a page (reached through a redirect from another port) and its media,
    with what was served and seen."""
    folder = tmp_path_factory.mktemp("captures")
    site = Site(
        files={
            "/photo.png": ("image/png", PNG),
            "/og.jpg": ("image/jpeg", JPEG),
            "/favicon.png": ("image/png", ICON),
            "/clip.mp4": ("video/mp4", VIDEO),
        }
    )
    with serving(site), serving(Site(files={"/far.png": ("image/png", ICON)})) as elsewhere:
        page = served_page(elsewhere)
        site.files["/hospital.html"] = ("text/html; charset=utf-8", page)
        seed = elsewhere.url(f"/redirect?to={site.url('/hospital.html')}")
        limits = CaptureLimits(max_response_bytes=100_000)
        result = capture_url(
            seed, folder, identity=IDENTITY, allow_private_hosts=LOOPBACK, limits=limits
        )
    return {"result": result, "folder": folder, "site": site, "page": page, "seed": seed}


def warc_records(path: Path) -> list[tuple[dict, bytes, list[tuple[str, str]] | None, str]]:
    """(WARC headers, payload as stored, HTTP header lines, HTTP status line) per record."""
    records = []
    with path.open("rb") as stream:
        for record in ArchiveIterator(stream):
            http = record.http_headers
            records.append(
                (
                    dict(record.rec_headers.headers),
                    record.raw_stream.read(),
                    list(http.headers) if http else None,
                    http.protocol + " " + http.statusline if http else "",
                )
            )
    return records


def responses(path: Path) -> dict[str, bytes]:
    return {
        headers["WARC-Target-URI"]: payload
        for headers, payload, _, _ in warc_records(path)
        if headers["WARC-Type"] == "response"
    }


# -- A capture and its package ----------------------------------------------------------


def test_the_warc_passes_warcio_check_with_sha256_digests(captured):
    warc = captured["result"].warc_path
    checked = subprocess.run([TOOLS / "warcio", "check", "-v", warc], capture_output=True)
    assert checked.returncode == 0, checked.stdout
    assert checked.stdout.count(b"digest pass") == len(read_records(warc))
    for headers, _, _, _ in warc_records(warc):
        assert headers["WARC-Block-Digest"].startswith("sha256:")
        if headers["WARC-Type"] != "warcinfo":
            assert headers["WARC-Payload-Digest"].startswith("sha256:")


def test_the_wacz_passes_the_wacz_validator(captured):
    checked = subprocess.run(
        [TOOLS / "wacz", "validate", "-f", captured["result"].wacz_path],
        capture_output=True,
        text=True,
    )
    assert checked.returncode == 0 and "Validation succeeded" in checked.stdout, checked.stdout


def test_the_wacz_holds_the_warc_byte_for_byte_and_the_sha256_of_each_file(captured):
    result = captured["result"]
    with zipfile.ZipFile(result.wacz_path) as package:
        names = set(package.namelist())
        assert {"archive/data.warc.gz", "pages/pages.jsonl", "datapackage.json"} <= names
        assert {"datapackage-digest.json", "indexes/index.cdx.gz", "indexes/index.idx"} <= names
        assert package.read("archive/data.warc.gz") == result.warc_path.read_bytes()
        datapackage = package.read("datapackage.json")
        resources = json.loads(datapackage)["resources"]
        for resource in resources:
            content = package.read(resource["path"])
            assert resource["hash"] == "sha256:" + hashlib.sha256(content).hexdigest()
        digest = json.loads(package.read("datapackage-digest.json"))
        assert digest["hash"] == "sha256:" + hashlib.sha256(datapackage).hexdigest()
        pages = [json.loads(line) for line in package.read("pages/pages.jsonl").splitlines()]
    assert pages[1]["url"] == result.page_url and pages[1]["title"] == result.title
    for path, expected in (
        (result.warc_path, result.warc_sha256),
        (result.wacz_path, result.wacz_sha256),
    ):
        assert hashlib.sha256(path.read_bytes()).hexdigest() == expected
    assert sorted(path.name for path in captured["folder"].iterdir()) == sorted(
        [result.warc_path.name, result.wacz_path.name]
    )  # no work files left


def test_every_record_sha256_recomputes_and_matches_what_was_served(captured):
    result, site = captured["result"], captured["site"]
    stored = read_records(result.warc_path)
    for headers, payload, _, _ in warc_records(result.warc_path):
        if headers["WARC-Type"] != "warcinfo":  # a warcinfo has a block digest only
            assert sha256_hex(headers["WARC-Payload-Digest"]) == hashlib.sha256(payload).hexdigest()
    by_uri = {record.target_uri: record for record in stored if record.record_type == "response"}
    for record in result.records:
        assert by_uri[record.url].payload_sha256 == record.sha256
        assert by_uri[record.url].payload_bytes == record.bytes
    served = {site.url(path): body for path, (_, body) in site.files.items()}
    bodies = responses(result.warc_path)
    for url, body in served.items():
        if url in bodies:
            assert bodies[url] == body


def test_the_page_and_its_media_are_in_it(captured):
    result, site = captured["result"], captured["site"]
    roles = {record.url: record.role for record in result.records}
    assert roles[captured["seed"]] == "redirect"
    assert roles[site.url("/hospital.html")] == "page"
    media = [site.url(path) for path in ("/og.jpg", "/favicon.png", "/photo.png", "/clip.mp4")]
    assert all(roles[url] == "media" for url in media)
    assert any(url.endswith("/far.png") for url in roles)  # another port of an allowed host
    missing = next(record for record in result.records if record.url.endswith("/missing.png"))
    assert missing.status == 404  # what the server answered is kept, as answered
    assert result.page_url == site.url("/hospital.html") and result.page_status == 200
    assert {record.ip_address for record in result.records} == {"127.0.0.1"}
    assert site.paths_seen().count("/og.jpg") == 1  # named twice, fetched once


def test_the_page_is_stored_as_received_and_its_scripts_never_run(captured):
    result, site = captured["result"], captured["site"]
    assert responses(result.warc_path)[site.url("/hospital.html")] == captured["page"]
    assert "/written-by-script.png" not in site.paths_seen()
    assert "/beacon" not in site.paths_seen()
    assert result.title == "Strike on & <b>near</b> the hospital"  # text, as a browser shows it


def test_the_request_records_hold_the_requests_as_the_server_received_them(captured):
    result, site = captured["result"], captured["site"]
    sent = {
        headers["WARC-Target-URI"]: (status_line, lines)
        for headers, _, lines, status_line in warc_records(result.warc_path)
        if headers["WARC-Type"] == "request"
    }
    skipped = {item.url for item in result.skipped}  # sent, but the answer not kept
    for path, line, lines in site.seen:
        if site.url(path) not in skipped:
            assert sent[site.url(path)] == (line, lines)


def test_capture_time_identity_and_software_are_in_the_warcinfo(captured):
    result = captured["result"]
    headers, payload, _, _ = warc_records(result.warc_path)[0]
    assert headers["WARC-Type"] == "warcinfo"
    fields = dict(line.split(": ", 1) for line in payload.decode().splitlines())
    when = result.captured_at.strftime("%Y-%m-%dT%H:%M:%S.%fZ")
    assert fields["operator"] == IDENTITY and result.identity == IDENTITY
    assert fields["siteline-captured-at"] == when and headers["WARC-Date"] == when
    assert fields["software"] == f"siteline {__version__}"
    assert json.loads(fields["siteline-limits"])["max_response_bytes"] == 100_000
    assert fields["siteline-seed-url"] == captured["seed"]


def test_media_refused_or_skipped_are_listed_with_why_and_the_capture_goes_on(captured):
    result = captured["result"]
    refused = {item.url: item.reason for item in result.refused}
    assert "10.0.0.1 not a public address" in refused["http://10.0.0.1/intranet.png"]
    redirected = next(url for url in refused if "169.254.169.254" in url)
    assert "redirects to http://169.254.169.254/x" in refused[redirected]
    assert refused["javascript:alert(1)"] == "only http and https URLs are fetched"
    broken = next(url for url in refused if url.endswith("[broken"))
    assert "redirects to http://[broken: not a valid URL" in refused[broken]
    assert not any(url.startswith("data:") for url in refused)
    skipped = {item.url: item.reason for item in result.skipped}
    assert [url.rsplit("/", 1)[1] for url in skipped] == ["large?bytes=300000"]
    assert "over the limit of 100000 bytes for one response" in next(iter(skipped.values()))
    report = json.loads(warc_records(result.warc_path)[-1][1])
    assert report["refused"] == [{"url": u, "reason": r} for u, r in refused.items()]
    assert report["skipped"] == [{"url": u, "reason": r} for u, r in skipped.items()]


def test_a_changed_byte_in_the_warc_is_caught(captured, tmp_path):
    plain = gzip.decompress(captured["result"].warc_path.read_bytes())
    tampered = tmp_path / "tampered.warc"
    tampered.write_bytes(plain.replace(b"Strike on", b"Strike in", 1))
    with pytest.raises(InvalidInput, match="digest check failed"):
        read_records(tampered)


# -- What is refused ---------------------------------------------------------------------


def assert_nothing_written(folder: Path) -> None:
    assert list(folder.iterdir()) == []


def test_loopback_is_refused_unless_allowed(tmp_path):
    with serving(Site(files={"/": ("text/html", b"<p>hi</p>")})) as site:
        with pytest.raises(InvalidInput, match="127.0.0.1 not a public address"):
            capture_url(site.url("/"), tmp_path, identity=IDENTITY)
        assert site.seen == []
    assert_nothing_written(tmp_path)


@pytest.mark.parametrize(
    ("url", "problem"),
    [
        ("http://localhost:9/", "not a public address"),
        ("http://[::1]/", "not a public address"),
        ("http://[::ffff:127.0.0.1]/", "not a public address"),
        ("http://169.254.169.254/latest/meta-data/", "not a public address"),
        ("http://10.0.0.1/", "not a public address"),
        ("http://192.168.1.1/", "not a public address"),
        ("http://0.0.0.0/", "not a public address"),
        ("file:///etc/passwd", "only http and https"),
        ("ftp://example.org/file", "only http and https"),
        ("javascript:alert(1)", "only http and https"),
        ("/etc/passwd", "only http and https"),
        ("http://user:secret@127.0.0.1/", "user name or password"),
        ("http://127.0.0.1/a page", "space or a control character"),
        ("http://[::1/", "not a valid URL"),
        ("", "is empty"),
    ],
)
def test_urls_that_reach_this_machine_or_its_network_or_are_not_web_are_refused(
    url, problem, tmp_path
):
    with pytest.raises(InvalidInput, match=problem):
        capture_url(url, tmp_path, identity=IDENTITY, allow_private_hosts=LOOPBACK)
    assert_nothing_written(tmp_path)


def test_a_public_looking_name_that_resolves_to_loopback_is_refused(tmp_path, monkeypatch):
    real = socket.getaddrinfo

    def resolve(host, *args, **kwargs):
        if host == "hospital-news.test":
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", ("127.0.0.1", 80))]
        return real(host, *args, **kwargs)

    monkeypatch.setattr(socket, "getaddrinfo", resolve)
    with pytest.raises(InvalidInput, match="hospital-news.test is at 127.0.0.1"):
        capture_url("http://hospital-news.test/", tmp_path, identity=IDENTITY)
    assert_nothing_written(tmp_path)


def test_a_name_that_resolves_elsewhere_when_connecting_is_refused(tmp_path, monkeypatch):
    """DNS rebinding: public when checked (before the capture, then before the request),
    loopback when connected."""
    with serving(Site(files={"/": ("text/html", b"<p>inside</p>")})) as site:
        port = int(site.base.rsplit(":", 1)[1])
        real, answers = socket.getaddrinfo, iter(["93.184.216.34"] * 2)

        def resolve(host, *args, **kwargs):
            if host != "rebinding.test":
                return real(host, *args, **kwargs)
            address = next(answers, "127.0.0.1")
            return [(socket.AF_INET, socket.SOCK_STREAM, 6, "", (address, port))]

        monkeypatch.setattr(socket, "getaddrinfo", resolve)
        with pytest.raises(InvalidInput, match="connected to 127.0.0.1, not public"):
            capture_url(f"http://rebinding.test:{port}/", tmp_path, identity=IDENTITY)
        assert site.seen == []
    assert_nothing_written(tmp_path)


@pytest.mark.parametrize(
    "target", ["http://10.0.0.1/", "http://169.254.169.254/", "http://localhost:{port}/"]
)
def test_a_redirect_from_an_allowed_host_to_a_private_address_is_refused(target, tmp_path):
    with serving(Site(files={"/": ("text/html", b"<p>hi</p>")})) as site:
        port = site.base.rsplit(":", 1)[1]
        hop = target.format(port=port)
        with pytest.raises(InvalidInput, match=f"redirects to {hop}: .*not a public address"):
            capture_url(
                site.url(f"/redirect?to={hop}"),
                tmp_path,
                identity=IDENTITY,
                allow_private_hosts=LOOPBACK,
            )
        assert site.paths_seen() == [f"/redirect?to={hop}"]
    assert_nothing_written(tmp_path)


def test_a_redirect_loop_and_too_many_redirects_fail(tmp_path):
    limits = CaptureLimits(max_redirects=3)
    with serving() as site:
        with pytest.raises(InvalidInput, match="redirects in a loop"):
            capture_url(
                site.url("/loop"), tmp_path, identity=IDENTITY, allow_private_hosts=LOOPBACK
            )
        with pytest.raises(InvalidInput, match="more than 3 redirects"):
            capture_url(
                site.url("/chain?hops=4"),
                tmp_path,
                identity=IDENTITY,
                allow_private_hosts=LOOPBACK,
                limits=limits,
            )
        assert_nothing_written(tmp_path)
        result = capture_url(
            site.url("/chain?hops=3"),
            tmp_path,
            identity=IDENTITY,
            allow_private_hosts=LOOPBACK,
            limits=limits,
        )
    assert [record.role for record in result.records] == ["redirect"] * 3 + ["page"]
    assert result.title == "End of the chain"


# -- Limits --------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/large?bytes=200000", "the answer is 200000 bytes, over the limit of 100000 bytes"),
        ("/large?bytes=200000&declared=0", "the answer is over the limit of 100000 bytes"),
    ],
)
def test_a_page_over_the_size_limit_fails_and_leaves_nothing(path, problem, tmp_path):
    limits = CaptureLimits(max_response_bytes=100_000)
    with serving() as site, pytest.raises(InvalidInput, match=problem):
        capture_url(
            site.url(path), tmp_path, identity=IDENTITY, allow_private_hosts=LOOPBACK, limits=limits
        )
    assert_nothing_written(tmp_path)


@pytest.mark.parametrize(
    ("path", "problem"),
    [
        ("/slow?seconds=3", "no whole answer within 0.5 s"),
        ("/trickle?bytes=40&every=0.05", "no whole answer within 0.5 s"),
    ],
)
def test_a_page_over_the_time_limit_fails_in_time(path, problem, tmp_path):
    limits = CaptureLimits(request_seconds=0.5)
    with serving() as site:
        started = time.monotonic()
        with pytest.raises(InvalidInput, match=problem):
            capture_url(
                site.url(path),
                tmp_path,
                identity=IDENTITY,
                allow_private_hosts=LOOPBACK,
                limits=limits,
            )
        assert time.monotonic() - started < 1.5
    assert_nothing_written(tmp_path)


def test_media_over_the_count_and_total_limits_are_skipped(tmp_path):
    page = b"<img src='/a.png'><img src='/b.png'><img src='/c.png'><img src='/d.png'>"
    files = {f"/{name}.png": ("image/png", bytes(400)) for name in "abcd"}
    limits = CaptureLimits(max_total_bytes=len(page) + 900, max_media=3)
    with serving(Site(files={"/": ("text/html", page), **files})) as site:
        result = capture_url(
            site.url("/"), tmp_path, identity=IDENTITY, allow_private_hosts=LOOPBACK, limits=limits
        )
    assert [record.url.rsplit("/", 1)[1] for record in result.records] == ["", "a.png", "b.png"]
    skipped = {item.url.rsplit("/", 1)[1]: item.reason for item in result.skipped}
    assert "100 bytes left of the limit of" in skipped["c.png"]
    assert skipped["d.png"] == "over the limit of 3 media for one capture"
    assert "/d.png" not in site.paths_seen()


def test_media_past_the_capture_time_limit_are_skipped_and_the_page_kept(tmp_path):
    page = b"".join(b"<img src='/slow?seconds=4&n=%d'>" % n for n in range(3))
    limits = CaptureLimits(capture_seconds=1.0, request_seconds=30)
    with serving(Site(files={"/": ("text/html", page)})) as site:
        started = time.monotonic()
        result = capture_url(
            site.url("/"), tmp_path, identity=IDENTITY, allow_private_hosts=LOOPBACK, limits=limits
        )
        assert time.monotonic() - started < 6  # not 12: and the WACZ is made after the limit
    assert [record.role for record in result.records] == ["page"]
    assert len(result.skipped) == 3
    assert {item.reason for item in result.skipped} == {
        "the capture's time limit of 1 s was reached"
    }


# -- Other pages -----------------------------------------------------------------------


def test_a_compressed_page_is_stored_compressed_and_its_media_found(tmp_path):
    with serving(Site(files={"/image.png": ("image/png", PNG)})) as site:
        result = capture_url(
            site.url("/gzip"), tmp_path, identity=IDENTITY, allow_private_hosts=LOOPBACK
        )
    stored = responses(result.warc_path)
    assert gzip.decompress(stored[site.url("/gzip")]).startswith(b"<title>Packed</title>")
    assert stored[site.url("/image.png")] == PNG
    assert result.title == "Packed"


def test_an_error_page_or_a_file_is_captured_as_answered_without_media(tmp_path):
    with serving(Site(files={"/photo.png": ("image/png", PNG)})) as site:
        gone = capture_url(
            site.url("/gone"), tmp_path, identity=IDENTITY, allow_private_hosts=LOOPBACK
        )
        photo = capture_url(
            site.url("/photo.png#top"), tmp_path, identity=IDENTITY, allow_private_hosts=LOOPBACK
        )
    assert gone.page_status == 404 and gone.notes == (
        "the page answered HTTP 404: no media were looked for",
    )
    assert photo.page_status == 200 and photo.notes == ("the page is image/png, not HTML",)
    assert photo.page_url == site.url("/photo.png")  # a fragment is never sent
    assert responses(photo.warc_path)[site.url("/photo.png")] == PNG
    assert len(list(tmp_path.iterdir())) == 4


# -- Inputs ------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("arguments", "field"),
    [
        ({"identity": ""}, "identity"),
        ({"identity": "someone\nWARC/1.1"}, "identity"),
        ({"identity": "x" * 201}, "identity"),
        ({"limits": CaptureLimits(max_media=-1)}, "limits.max_media"),
        ({"limits": CaptureLimits(max_response_bytes=0)}, "limits.max_response_bytes"),
        ({"limits": CaptureLimits(request_seconds=0)}, "limits.request_seconds"),
        ({"limits": CaptureLimits(capture_seconds=float("nan"))}, "limits.capture_seconds"),
    ],
)
def test_bad_arguments_are_named(arguments, field, tmp_path):
    given = {"identity": IDENTITY} | arguments
    with pytest.raises(InvalidInput) as refused:
        capture_url("http://127.0.0.1:9/", tmp_path, allow_private_hosts=LOOPBACK, **given)
    assert refused.value.field == field
    assert_nothing_written(tmp_path)


def test_the_target_must_be_a_folder(tmp_path):
    with pytest.raises(InvalidInput, match="is not a folder"):
        capture_url("http://127.0.0.1:9/", tmp_path / "none", identity=IDENTITY)


def test_a_capture_that_cannot_connect_fails_and_leaves_nothing(tmp_path):
    with serving() as site:
        closed = site.base  # the server is gone after the block
    with pytest.raises(InvalidInput, match="could not be read"):
        capture_url(closed + "/", tmp_path, identity=IDENTITY, allow_private_hosts=LOOPBACK)
    assert_nothing_written(tmp_path)


def test_the_environment_may_name_hosts_for_a_caller_to_allow(monkeypatch):
    monkeypatch.setenv(CAPTURE_ALLOW_HOSTS_VARIABLE, " Mirror.internal , 127.0.0.1,")
    assert capture_allow_hosts_from_environment() == {"mirror.internal", "127.0.0.1"}


# -- Finding media in HTML ---------------------------------------------------------------


def test_media_are_found_resolved_once_each_in_page_order():
    page = """<base href="https://news.test/story/"><title>A &lt;title&gt;</title>
    <meta name="twitter:image" content="card.jpg"><link rel="apple-touch-icon" href="/t.png">
    <picture><source srcset="wide.webp 800w, narrow.webp 400w"><img data-src="lazy.jpg"
    src="card.jpg#frag"></picture><audio src="//cdn.test/a.mp3"></audio>
    <img src="blob:https://news.test/1"><img src="">"""
    found = find_media(page, "https://news.test/index.html")
    assert found.media == [
        "https://news.test/story/card.jpg",
        "https://news.test/t.png",
        "https://news.test/story/wide.webp",
        "https://news.test/story/narrow.webp",
        "https://news.test/story/lazy.jpg",
        "https://cdn.test/a.mp3",
    ]
    assert found.unfetchable == ["blob:https://news.test/1"]
    assert found.title == "A <title>"


def test_srcset_candidates_keep_commas_inside_urls():
    assert parse_srcset("a.jpg 1x, b.jpg 2x,c.jpg, /w_100,h_50/d.jpg 300w, e.jpg (x, y) 5w") == [
        "a.jpg",
        "b.jpg",
        "c.jpg",
        "/w_100,h_50/d.jpg",
        "e.jpg",
    ]
