"""The demonstration case builds through the services, on both back ends, and verifies."""

from __future__ import annotations

import json
import re
import signal
import socket
import struct
import subprocess
import sys
import time
import zlib
from pathlib import Path

import httpx
import pytest

from siteline.errors import CaseError, KeyRequired
from siteline.services import audit, cases, claims, derived, evidence, incidents, sources
from siteline.services.demo import EVIDENCE, QUOTE, SITES, SOURCES, build_demo
from siteline.services.demo_ingest import FOLLOW_UP_NAME
from siteline.store.case_folder import read_description

EXPECTED_COUNTS = {
    "site": 2,
    "source": 7,
    # ten added by hand, the ingested follow-up article and its two posts, two GeoTIFF
    # scenes, four photos and a clip read by media ingest
    "evidence": 20,
    # ten originals, the thumbnail, the follow-up article, the scenes, the change analysis's
    # map, figure and record, the five media files and their thumbnails
    "blob": 27,
    "custody": 29,  # one for each evidence item and each derived item
    "derived": 9,  # the thumbnails and the change analysis's three
    "match": 2,  # the re-posted copy and the still from the clip
    "incident": 2,  # confirmed from link's proposals, one at each hospital
    "link": 16,
    "proposal": 4,  # both confirmed, the dataset row's merged, one left open
    "review": 8,  # four steps for each of two items, the last signed off by a second person
    "claim": 3,  # the spokesperson's, and two candidates found in the follow-up article
    "setting": 0,  # the default verification workflow
    "relation": 0,
    "place": 0,
}


@pytest.fixture
def demo(case_dir):
    folder = case_dir("demo")
    return folder, build_demo(folder)


def open_demo(folder, key_file=None):
    return cases.open_case(folder, key_file=key_file)


def png_size(data: bytes) -> tuple[int, int]:
    assert data[:8] == b"\x89PNG\r\n\x1a\n"
    length, tag = struct.unpack(">I4s", data[8:16])
    assert tag == b"IHDR" and length == 13
    width, height = struct.unpack(">II", data[16:24])
    idat_length = struct.unpack(">I", data[33:37])[0]
    assert data[37:41] == b"IDAT"
    pixels = zlib.decompress(data[41 : 41 + idat_length])
    assert len(pixels) == height * (1 + 3 * width)
    return width, height


def test_the_demo_builds_with_the_expected_records(demo, backend):
    folder, summary = demo
    counts = summary["counts"]
    assert counts["backend"] == backend
    assert {key: counts[key] for key in EXPECTED_COUNTS} == EXPECTED_COUNTS
    # One entry per record written and one for the case, then the updates: review steps,
    # decisions on proposals, certainty and verdicts computed.
    assert counts["audit_entries"] > sum(EXPECTED_COUNTS.values()) + 1
    assert summary["folder"] == str(folder)
    assert set(summary["ids"]["evidence"]) == {*EVIDENCE, "testimony"}


def test_the_follow_up_article_is_ingested_with_its_posts_and_statements(demo):
    folder, summary = demo
    assert summary["ingest"]["problems"] == []
    case = open_demo(folder)
    try:
        [article] = [
            item
            for item in evidence.list_evidence(case, kind="article")
            if item["ingest_key"] == f"article:{FOLLOW_UP_NAME}"
        ]
        posts = [
            item for item in evidence.list_evidence(case, kind="social_post") if item["within_id"]
        ]
        assert {post["author_handle"] for post in posts} == {"IlyanStaff", "OldQuarterWatch"}
        assert all(post["within_id"] == article["id"] for post in posts)
        assert "Other Must-Read Stories" not in article["text"]
        found = [c for c in claims.list_claims(case) if c["evidence_id"] == article["id"]]
        assert {c["speaker"] for c in found} == {"Mara Selt", "Karand's defence office"}
        # The demo takes up the defence office's words as a testable claim; one stays a candidate.
        assert [c["speaker"] for c in found if c["status"] == "candidate"] == ["Mara Selt"]
        assert all(c["evidence_id"] == article["id"] for c in found)
    finally:
        case.close()


def test_the_demo_verifies_clean(demo):
    folder, summary = demo
    assert summary["audit"] == {
        "ok": True,
        "entries": summary["counts"]["audit_entries"],
        "records": summary["audit"]["records"],
        "blobs": EXPECTED_COUNTS["blob"],
        "problems": [],
    }
    case = open_demo(folder)
    try:
        assert audit.verify(case).ok
    finally:
        case.close()


def test_the_key_is_made_beside_the_case_folder_and_reused(case_dir, tmp_path):
    first = build_demo(case_dir("one"))
    key_file = tmp_path / "one.key"
    assert first["key_file"] == str(key_file) and first["key_created"]
    assert key_file.is_file() and key_file.parent != tmp_path / "one"
    again = build_demo(tmp_path / "one", replace=True)
    assert again["key_file"] == str(key_file) and not again["key_created"]


def test_a_given_key_file_is_used(case_dir, key_file, tmp_path):
    summary = build_demo(case_dir("given"), key_file=key_file)
    assert summary["key_file"] == str(key_file) and not summary["key_created"]
    assert not (tmp_path / "given.key").exists()
    case = open_demo(tmp_path / "given", key_file)
    try:
        testimony = summary["ids"]["evidence"]["testimony"]
        assert "night shift" in evidence.get_evidence(case, testimony, reveal=True)["text"]
    finally:
        case.close()


def test_the_testimony_and_the_witness_are_sealed(demo, tmp_path):
    folder, summary = demo
    testimony = summary["ids"]["evidence"]["testimony"]
    witness = summary["ids"]["sources"]["lark"]
    case = open_demo(folder)
    try:
        stored = evidence.get_evidence(case, testimony)
        assert stored["sensitivity"] == "confidential"
        assert stored["text"] is None and stored["sealed"]
        with pytest.raises(KeyRequired):
            evidence.get_evidence(case, testimony, reveal=True)
        with pytest.raises(KeyRequired):
            evidence.read_original(case, testimony)
        with pytest.raises(KeyRequired):
            sources.get_source(case, witness, reveal_identity=True)
        on_disk = b"".join(path.read_bytes() for _, path in case.blobs.stored_names())
        assert b"night shift" not in on_disk
    finally:
        case.close()
    case = open_demo(folder, tmp_path / "demo.key")
    try:
        assert b"night shift" in evidence.read_original(case, testimony)
        assert sources.get_source(case, witness, reveal_identity=True)["identity"] == (
            SOURCES["lark"].identity
        )
    finally:
        case.close()


def test_the_no_change_claim_is_contradicted_by_the_change_analysis(demo):
    folder, summary = demo
    ids = summary["ids"]["evidence"]
    case = open_demo(folder)
    try:
        claim = claims.show_claim(case, summary["ids"]["claim"])
        assert (claim["verdict"], claim["verdict_by"]) == ("contradicted", "computed")
        assert claim["verdict_rule"].startswith("V-NC1")  # the analysis inside the period
        assert claim["proposition_kind"] == "no_change"
        assert claim["site_id"] == summary["ids"]["sites"]["general"]
        assert claim["evidence_id"] == ids["statement"]
        assert QUOTE in evidence.get_evidence(case, ids["statement"])["text"]
        analysis = summary["imagery"]["analysis"]["change_analysis"]
        assert f"derived item #{analysis}" in claim["verdict_reasons"]
        chain = json.loads(claim["verdict_chain"])
        analyses = [e for e in _elements(chain) if e.get("type") == "change_analysis"]
        assert [element["id"] for element in analyses] == [analysis]
        scenes = {scene["evidence_id"]: scene["sha256"] for scene in analyses[0]["scenes"]}
        assert set(scenes) == set(summary["imagery"]["scenes"].values())
    finally:
        case.close()


def _elements(chain) -> list[dict]:
    """Every dict in a verdict chain, however nested."""
    if isinstance(chain, dict):
        return [chain, *(found for value in chain.values() for found in _elements(value))]
    if isinstance(chain, list):
        return [found for value in chain for found in _elements(value)]
    return []


def test_the_denial_is_contradicted_by_the_incidents(demo):
    folder, summary = demo
    case = open_demo(folder)
    try:
        denial = claims.show_claim(case, summary["findings"]["denial_claim"])
        assert "no military operations" in denial["quote"]
        assert (denial["proposition_kind"], denial["site_kind"]) == (
            "no_attacks_in_period",
            "hospital",
        )
        assert denial["status"] is None  # taken up from ingest's candidate
        assert denial["verdict"] == "contradicted"
        general = summary["findings"]["incidents"]["general"]
        assert f"incident #{general} " in denial["verdict_reasons"]
    finally:
        case.close()


def test_link_proposals_became_incidents_at_both_hospitals(demo):
    folder, summary = demo
    ids = summary["ids"]["evidence"]
    made = summary["findings"]["incidents"]
    case = open_demo(folder)
    try:
        general = incidents.show_incident(case, made["general"])
        assert general["type"] == "airstrike" and general["damage_class"] == "severe"
        assert general["site"]["name"] == SITES["general"].name
        # The photo and the after scene were verified by two people: visual evidence.
        assert (general["certainty"], general["certainty_rule"][:5]) == ("confirmed", "SSA-6")
        roles = {link["evidence_id"]: link["role"] for link in general["links"]}
        assert roles[ids["post_night"]] == roles[ids["photo"]] == "supports"
        assert roles[ids["statement"]] == "contradicts"  # left out of the proposal, then linked
        assert roles[ids["scene_after"]] == "context"
        assert roles[ids["dataset_row"]] == "supports"  # merged into the incident
        proposed = [link for link in general["links"] if link["proposal_id"] is not None]
        assert len(proposed) == len(general["links"]) - 1
        children = incidents.show_incident(case, made["children"])
        assert children["site"]["name"] == SITES["children"].name
        assert ids["post_ilyan"] in {link["evidence_id"] for link in children["links"]}
        assert children["window_start_at"][:10] == "2019-03-17"
    finally:
        case.close()


def test_images_are_real_pngs_and_the_thumbnail_names_its_parent(demo):
    folder, summary = demo
    ids = summary["ids"]["evidence"]
    case = open_demo(folder)
    try:
        assert png_size(evidence.read_original(case, ids["photo"])) == (64, 48)
        assert png_size(evidence.read_original(case, ids["scene_after"])) == (64, 64)
        thumbnail = derived.get_derived(case, summary["ids"]["derived"])
        photo = evidence.get_evidence(case, ids["photo"])
        assert thumbnail["parents"] == [photo["blob_sha256"]]
        assert thumbnail["evidence_id"] == ids["photo"]
        assert thumbnail["parameters"]["step"] == 4
        assert png_size(case.blobs.read(thumbnail["blob_sha256"])) == (16, 12)
        row = evidence.get_evidence(case, ids["dataset_row"])
        assert json.loads(row["native"])["who_ssa_certainty"] == "Confirmed"
    finally:
        case.close()


def test_the_demo_refuses_an_existing_folder_without_replace(demo):
    folder, _ = demo
    with pytest.raises(CaseError, match="not empty"):
        build_demo(folder)


def test_replace_rebuilds_the_demo(demo):
    folder, summary = demo
    before = read_description(folder)["case_uid"]
    rebuilt = build_demo(folder, replace=True)
    assert read_description(folder)["case_uid"] != before
    assert rebuilt["counts"]["audit_entries"] == summary["counts"]["audit_entries"]
    assert rebuilt["audit"]["ok"]


def test_replace_refuses_a_folder_that_is_not_a_case(case_dir):
    folder = case_dir("precious")
    folder.mkdir()
    (folder / "notes.txt").write_text("not a case")
    with pytest.raises(CaseError, match="not a Siteline case"):
        build_demo(folder, replace=True)
    assert (folder / "notes.txt").read_text() == "not a case"


def test_the_command_says_what_it_made(case_dir):
    from click.testing import CliRunner

    from siteline.cli import cli

    folder = case_dir("demo-cli")
    result = CliRunner().invoke(cli, ["demo", str(folder), "--no-serve"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    output = result.output
    assert f"in {folder}" in output
    assert "Its key (made)" in output
    for site in SITES.values():
        assert site.name in output
    for kind in ("article", "social_post", "photo", "satellite_scene", "testimony"):
        assert f"  {kind} " in output
    assert "contradicted" in output
    case = open_demo(folder)
    try:
        entries = audit.verify(case).entries
    finally:
        case.close()
    assert f"Audit chain: {entries} entries" in output and ": intact." in output


def test_the_demo_pair_shows_a_crater_beside_the_hospital(demo):
    folder, summary = demo
    result = summary["imagery"]["result"]
    assert result["site_changed_fraction"] > 3 * result["ring_changed_fraction"]
    assert result["block_p_value"] < 0.05
    assert any(found["crater_like"] for found in result["objects"])
    case = open_demo(folder, Path(summary["key_file"]))
    try:
        figure = derived.get_derived(case, summary["imagery"]["analysis"]["change_figure"])
        assert case.blobs.read(figure["blob_sha256"]).startswith(b"\x89PNG")
    finally:
        case.close()


def test_the_demo_finds_the_reposted_copy_and_the_still_and_who_came_first(demo):
    _, summary = demo
    items, found = summary["media"]["items"], summary["media"]["clusters"]
    by_first = {cluster["first_seen"]: cluster for cluster in found}
    east_wing = by_first[items["general-east-wing.jpg"]]
    members = {item["evidence_id"] for item in east_wing["items"]}
    assert members == {items["general-east-wing.jpg"], items["repost-cropped.jpg"]}
    assert east_wing["first_seen_time"] == "2019-03-14T07:40:00Z"
    assert east_wing["undated"] == [items["repost-cropped.jpg"]]
    clip = by_first[items["general-courtyard-clip.mp4"]]
    assert {item["evidence_id"] for item in clip["items"]} == {
        items["general-courtyard-clip.mp4"],
        items["still-from-clip.jpg"],
    }
    assert items["general-car-park.jpg"] not in {
        item["evidence_id"] for cluster in found for item in cluster["items"]
    }


def test_siteline_demo_serves_the_case_with_a_demo_login(tmp_path):
    """`siteline demo` ends by serving the case: its address and login are printed, and the
    login signs in over real HTTP on loopback. SQLite, as the README's first command runs."""
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        port = probe.getsockname()[1]
    command = [sys.executable, "-c", "from siteline.cli import main; main()"]
    process = subprocess.Popen(
        [*command, "demo", str(tmp_path / "demo"), "--port", str(port)],
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
        text=True,
    )
    try:
        printed = ""
        while "sign in as" not in printed:
            line = process.stderr.readline()
            assert line, f"siteline demo ended without serving (exit {process.poll()})"
            printed += line
        found = re.search(
            r"http://127\.0\.0\.1:(\d+)/ +sign in as '(\w+)' with the password (\S+)", printed
        )
        assert found and int(found.group(1)) == port
        name, password = found.group(2), found.group(3)
        with httpx.Client(base_url=f"http://127.0.0.1:{port}", timeout=5) as client:
            for _ in range(100):  # uvicorn starts listening a moment after the line above
                try:
                    client.get("/login")
                    break
                except httpx.ConnectError:
                    time.sleep(0.1)
            answer = client.post("/api/session", json={"name": name, "password": password})
            assert answer.status_code == 200, answer.text
            me = client.get("/api/me").json()
            assert (me["name"], me["role"]) == ("demo", "owner")
            wrong = client.post("/api/session", json={"name": name, "password": password + "x"})
            assert wrong.status_code == 401
    finally:
        process.send_signal(signal.SIGINT)
        process.wait(timeout=30)
