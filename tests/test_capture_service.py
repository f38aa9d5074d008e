"""A captured page kept in a case: the WACZ stored as a document item with who captured it
and when, every record listed with its SHA-256, a refused capture storing nothing, and the
command that does it."""

from __future__ import annotations

import io
import json
import zipfile

import pytest
from capture_server import Site, serving
from click.testing import CliRunner

from siteline.capture import read_records
from siteline.cli import cli
from siteline.errors import InvalidInput
from siteline.services import audit, cases, evidence
from siteline.services.capture import capture_into_case

PAGE = b"""<!doctype html><html><head><title>Ward \x1b[31mreport</title></head>
<body><p>The east wing.</p><img src="/wing.png"><script>alert(1)</script></body></html>"""
PNG = bytes.fromhex(
    "89504e470d0a1a0a0000000d49484452000000010000000108060000001f15c4890000000d49444154789c6360"
    "f8cfc0f01f0005050201a5a1e3ab0000000049454e44ae426082"
)


@pytest.fixture
def site():
    with serving(Site(files={"/": ("text/html", PAGE), "/wing.png": ("image/png", PNG)})) as s:
        yield s


def test_a_capture_is_kept_as_a_document_with_its_records_and_custody(case, site, tmp_path):
    found = capture_into_case(case, site.url("/"), allow_private_hosts=frozenset({"127.0.0.1"}))
    item = evidence.show_evidence(case, found["evidence_id"])
    assert item["kind"] == "document" and item["original_filename"].endswith(".wacz")
    assert item["title"] == "Ward [31mreport"  # the escape character is gone
    assert item["source_url"] == site.url("/")
    custody = item["custody"][0]
    assert custody["collector"] == "tester" and custody["tool"] == "siteline capture"
    details = json.loads(item["details"])["capture"]
    assert details["identity"] == "tester" and details["captured_at"]
    served = {record["url"]: record for record in details["records"]}
    assert served[site.url("/wing.png")]["bytes"] == len(PNG)
    package = evidence.read_original(case, found["evidence_id"])
    with zipfile.ZipFile(io.BytesIO(package)) as wacz:
        warc = wacz.read("archive/data.warc.gz")
    warc_path = tmp_path / "kept.warc.gz"
    warc_path.write_bytes(warc)
    stored = {
        record.target_uri: record
        for record in read_records(warc_path)  # every digest recomputed as it is read
        if record.record_type == "response"
    }
    assert stored[site.url("/")].payload_sha256 == served[site.url("/")]["sha256"]
    assert audit.verify(case).ok


def test_a_refused_capture_stores_nothing(case, site):
    before = cases.summary(case)
    with pytest.raises(InvalidInput, match="not a public address"):
        capture_into_case(case, site.url("/"))  # loopback, not allowed
    assert cases.summary(case) == before


def test_the_command_captures_and_names_what_it_could_not(case, site):
    case.close()
    folder = str(case.folder)
    refused = CliRunner().invoke(cli, ["-C", folder, "capture", site.url("/")])
    assert refused.exit_code == 2 and "not a public address" in refused.output
    done = CliRunner().invoke(
        cli,
        ["-C", folder, "capture", site.url("/"), "--allow-host", "127.0.0.1", "--max-media", "0",
         "--identity", "analyst-7"],
    )  # fmt: skip
    assert done.exit_code == 0, done.output
    assert "by analyst-7" in done.output and "not captured: " in done.output
