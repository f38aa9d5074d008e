"""The command line end to end, on both back ends, through click's runner."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
from click.testing import CliRunner

from siteline.cli import cli


@pytest.fixture
def run(case_dir, key_file):
    """Runs `siteline -C CASE --key-file KEY …` and returns the result."""
    folder = case_dir()
    runner = CliRunner()

    def invoke(*args: str, key: bool = True):
        options = ["-C", str(folder)] + (["--key-file", str(key_file)] if key else [])
        return runner.invoke(cli, [*options, *args], catch_exceptions=False)

    invoke.folder = folder
    result = invoke("init", str(folder), "--name", "CLI case")
    assert result.exit_code == 0, result.output
    return invoke


def ok(result) -> str:
    assert result.exit_code == 0, result.output
    return result.output


def as_json(result):
    return json.loads(ok(result))


def test_a_case_is_built_and_verified_from_the_command_line(run, tmp_path):
    photo = tmp_path / "strike.jpg"
    photo.write_bytes(b"\xff\xd8 a photo of a damaged ward")
    ok(
        run(
            "site",
            "add",
            "Riverside Hospital",
            "--alias",
            "RH",
            "--alias",
            "al-Nahr",
            "--location",
            "12.5,45.25",
        )
    )
    ok(
        run(
            "source",
            "add",
            "Rami",
            "--kind",
            "witness",
            "--identity",
            "A real name",
            "--reliability",
            "B",
        )
    )
    ok(run("source", "add", "City Daily", "--kind", "outlet", "--reliability", "C"))
    photo_item = as_json(
        run(
            "evidence",
            "add",
            str(photo),
            "--kind",
            "photo",
            "--site",
            "al-nahr",
            "--source",
            "City Daily",
            "--published",
            "2016-09-25",
            "--captured",
            "2016-09-24T08:15+03:00",
            "--location",
            "12.5,45.25",
            "--location-precision",
            "vicinity",
            "--url",
            "https://example.org/p/1",
            "--json",
        )
    )
    assert photo_item["captured_at"] == "2016-09-24T05:15:00Z"
    assert photo_item["captured_precision"] == "minute"
    testimony = as_json(
        run(
            "evidence",
            "add",
            "--kind",
            "testimony",
            "--text",
            "The ward was hit at dawn.",
            "--source",
            "1",
            "--json",
        )
    )
    assert testimony["sensitivity"] == "confidential"

    listed = as_json(run("evidence", "list", "--site", "RH", "--json"))
    assert [row["id"] for row in listed] == [photo_item["id"]]
    assert as_json(run("evidence", "list", "--kind", "testimony", "--json"))[0]["text"].startswith(
        "(sealed"
    )

    shown = as_json(run("evidence", "show", str(photo_item["id"]), "--json"))
    assert shown["custody"][0]["sha256"] == photo_item["blob_sha256"]
    assert shown["custody"][0]["source_url"] == "https://example.org/p/1"
    assert [entry["action"] for entry in shown["history"]] == ["create"]
    assert (
        as_json(run("evidence", "show", str(testimony["id"]), "--json"))["text"]
        == "The ward was hit at dawn."
    )

    incident = as_json(
        run(
            "incident",
            "add",
            "--site",
            "RH",
            "--start",
            "2016-09-24",
            "--type",
            "airstrike",
            "--damage",
            "severe",
            "--native-certainty",
            "Probable",
            "--json",
        )
    )
    ok(
        run(
            "incident",
            "link",
            str(incident["id"]),
            str(photo_item["id"]),
            "--role",
            "supports",
            "--rationale",
            "shows the east wing roof collapsed",
        )
    )
    shown_incident = as_json(run("incident", "show", str(incident["id"]), "--json"))
    assert shown_incident["links"][0]["role"] == "supports"

    claim = as_json(
        run(
            "claim",
            "add",
            "--speaker",
            "Ministry spokesman",
            "--stated",
            "2016-10-01",
            "--quote",
            "No changes to the facility can be observed.",
            "--proposition-kind",
            "no_change",
            "--site",
            "RH",
            "--period-start",
            "2016-09-20",
            "--period-end",
            "2016-09-30",
            "--json",
        )
    )
    refused = run("claim", "verdict", str(claim["id"]), "contradicted", "--reasons", "photo #1")
    assert refused.exit_code == 2 and "computed from the evidence" in refused.output
    # Computed as the link and the claim were stored: one unverified photo of credibility 6
    # is a rumour, and the damage it shows cannot decide the claim.
    shown = as_json(run("incident", "show", str(incident["id"]), "--json"))
    assert (shown["certainty"], shown["certainty_rule"][:5]) == ("rumour", "SSA-1")
    shown_claim = as_json(run("claim", "show", str(claim["id"]), "--json"))
    assert (shown_claim["verdict"], shown_claim["verdict_rule"][:5]) == ("unresolved", "V-NC5")
    assessed = as_json(run("assess", "--json"))
    assert (assessed["incidents"], assessed["claims"]) == ([], [])  # nothing left to change

    assert "audit chain verified" in ok(run("audit", "verify"))
    status = as_json(run("status", "--json"))
    assert (status["site"], status["evidence"], status["incident"], status["claim"]) == (1, 2, 1, 1)


def test_sealed_text_stays_sealed_without_the_key(run):
    item = as_json(
        run("evidence", "add", "--kind", "testimony", "--text", "I am the nurse on duty.", "--json")
    )
    shown = ok(run("evidence", "show", str(item["id"]), key=False))
    assert "I am the nurse on duty." not in shown
    assert "sealed" in shown
    assert "audit chain verified" in ok(run("audit", "verify", key=False))


def test_delete_is_soft_and_recorded(run):
    item = as_json(
        run("evidence", "add", "--kind", "document", "--text", "A duplicate upload", "--json")
    )
    ok(run("evidence", "delete", str(item["id"]), "--reason", "uploaded twice"))
    assert as_json(run("evidence", "list", "--json")) == []
    kept = as_json(run("evidence", "list", "--deleted", "--json"))
    assert kept[0]["deleted_reason"] == "uploaded twice"
    history = as_json(run("evidence", "show", str(item["id"]), "--json"))["history"]
    assert [entry["action"] for entry in history] == ["create", "delete"]


def blob_files(folder: Path) -> list[str]:
    return sorted(str(path) for path in (folder / "blobs").rglob("*") if path.is_file())


BAD_INPUT = [
    (["site", "add", "Bad Point", "--location", "91.0,10"], "latitude 91.0 is outside -90..90"),
    (["site", "add", "Bad Point", "--location", "ten,20"], "--location: 'ten,20' is not 'LAT,LON'"),
    (
        ["evidence", "add", "--kind", "photo", "--text", "x", "--location", "10,181"],
        "longitude 181.0 is outside",
    ),
    (["evidence", "add", "--kind", "photo", "--text", "x", "--site", "Atlantis"], "--site"),
    (
        ["evidence", "add", "--kind", "photo", "--text", "x", "--published", "2016-02-30"],
        "--published: '2016-02-30' is not a real date",
    ),
    (
        ["evidence", "add", "--kind", "photo", "--text", "x", "--published", "2016-13"],
        "--published: '2016-13' is not a real date",
    ),
    (
        ["evidence", "add", "--kind", "photo", "--text", "x", "--credibility", "9"],
        "credibility: 9 is outside 1..6",
    ),
    (["evidence", "add", "--kind", "painting", "--text", "x"], "kind: 'painting' is not one of"),
    (
        ["evidence", "add", "/no/such/file.jpg", "--kind", "photo"],
        "/no/such/file.jpg: no such file",
    ),
    (
        ["incident", "add", "--site", "Atlantis", "--start", "2016-09-01"],
        "--site: no site 'Atlantis'",
    ),
    (["incident", "link", "99", "1", "--role", "supports", "--rationale", "x"], "no incident #99"),
    (["claim", "verdict", "1", "contradicted", "--reasons", " "], "needs its reasons"),
]


@pytest.mark.parametrize(
    ("arguments", "message"), BAD_INPUT, ids=[" ".join(a[:3]) for a, _ in BAD_INPUT]
)
def test_bad_input_is_named_and_changes_nothing(run, arguments, message):
    ok(run("evidence", "add", "--kind", "document", "--text", "Something already in the case"))
    ok(
        run(
            "claim",
            "add",
            "--speaker",
            "S",
            "--stated",
            "2016-10-01",
            "--quote",
            "Q",
            "--proposition",
            "P",
        )
    )
    before = (as_json(run("status", "--json")), blob_files(run.folder))
    result = run(*arguments)
    assert result.exit_code != 0
    assert message in result.output
    assert (as_json(run("status", "--json")), blob_files(run.folder)) == before


def test_a_directory_is_not_a_file(run, tmp_path):
    result = run("evidence", "add", str(tmp_path), "--kind", "photo")
    assert result.exit_code == 2
    assert "is a directory" in result.output


def test_the_same_file_twice_is_refused_with_the_item_it_repeats(run, tmp_path):
    photo = tmp_path / "twice.jpg"
    photo.write_bytes(b"the same bytes")
    first = as_json(run("evidence", "add", str(photo), "--kind", "photo", "--json"))
    before = as_json(run("status", "--json"))
    again = run("evidence", "add", str(photo), "--kind", "photo")
    assert again.exit_code == 4
    assert f"twice.jpg: the same bytes are already evidence #{first['id']}" in again.output
    assert as_json(run("status", "--json")) == before


def test_the_console_script_exits_non_zero_outside_a_case(tmp_path):
    completed = subprocess.run(
        [
            str(Path(sys.executable).parent / "siteline"),
            "-C",
            str(tmp_path / "nowhere"),
            "site",
            "list",
        ],
        capture_output=True,
        text=True,
        check=False,
    )
    assert completed.returncode == 5
    assert "not a Siteline case" in completed.stderr
