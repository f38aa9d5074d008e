"""`siteline extract article`: JSON and text output, no case needed, errors as one line."""

from __future__ import annotations

import json
from pathlib import Path

import pytest
from click.testing import CliRunner

from siteline.cli import cli

FIXTURES = Path(__file__).parent / "fixtures" / "articles"


def run(*args: str, folder: Path):
    # -C points at a folder that is no case: extract must not open one.
    return CliRunner().invoke(cli, ["-C", str(folder / "no-case"), "extract", "article", *args])


def test_json_output_without_a_case(tmp_path):
    result = run(str(FIXTURES / "line_form_cp1252.txt"), "--json", "--no-world", folder=tmp_path)
    assert result.exit_code == 0, result.output
    data = json.loads(result.output)
    assert data["encoding"] == "windows-1252"
    assert [(p["handle"], p["date"]) for p in data["posts"]] == [("lina_reports", "2021-03-03")]
    assert not (tmp_path / "no-case").exists()


def test_sites_gazetteer_and_date_options(tmp_path):
    gazetteer = tmp_path / "g.csv"
    gazetteer.write_text("id,name_en,name_ar\n1,Rescuers Square,\n,broken,\n")
    result = run(
        str(FIXTURES / "line_form_cp1252.txt"), "--json", "--no-world", "--date", "2021-03-05",
        "--site", "Eastgate General Hospital=Eastgate clinic,EGH", "--gazetteer", str(gazetteer),
        folder=tmp_path,
    )  # fmt: skip
    assert result.exit_code == 0, result.output
    data = json.loads(result.stdout)
    assert data["article_date"] == "2021-03-05"
    assert [(p["name"], p["origin"]) for p in data["places"]] == [
        ("Eastgate General Hospital", "site")
    ]
    assert [d["value"] for d in data["dates"]] == ["2021-03-02"]  # "on Tuesday"
    assert "g.csv:3" in result.stderr


def test_text_output_is_readable(tmp_path):
    result = run(str(FIXTURES / "card_form.txt"), "--no-world", folder=tmp_path)
    assert result.exit_code == 0
    assert "@omar_saleh (Omar Saleh), 2021-03-02, card" in result.output
    assert "body:\n  Residents said the road had been closed for days." in result.output


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["missing.txt"], "missing.txt: cannot read the file"),
        (["{bin}"], "binary data"),
        (["{card}", "--date", "2021-13-01"], "--date"),
        (["{card}", "--site", "=alias"], "--site"),
    ],
)
def test_errors_are_one_line_with_exit_status_2(tmp_path, args, message):
    binary = tmp_path / "x.bin"
    binary.write_bytes(bytes(range(256)) * 8)
    args = [a.format(bin=binary, card=FIXTURES / "card_form.txt") for a in args]
    result = run(*args, "--no-world", folder=tmp_path)
    assert result.exit_code == 2
    assert result.output.startswith("error: ") and message in result.output
