"""`siteline evidence search` end to end, on both back ends."""

from __future__ import annotations

import json

from click.testing import CliRunner

from siteline.cli import cli


def test_the_search_command_marks_words_pages_and_refuses_clearly(case_dir, key_file):
    folder = case_dir()
    runner = CliRunner()

    def run(*args: str):
        return runner.invoke(cli, ["-C", str(folder), "--key-file", str(key_file), *args])

    assert run("init", str(folder), "--name", "Search case").exit_code == 0
    texts = ("The M10 hospital was hit.", "Hospital annex shelled.", "A clinic nearby.")
    for text in texts:
        assert run("evidence", "add", "--kind", "article", "--text", text).exit_code == 0
    restricted = ["--kind", "social_post", "--sensitivity", "restricted"]
    added = run("evidence", "add", "--text", "Hospital staff said so.", *restricted)
    assert added.exit_code == 0, added.output

    one = run("evidence", "search", "m10 hosp*")
    assert one.exit_code == 0, one.output
    assert "text: The [M10] [hospital] was hit." in one.output
    assert "(1 shown, by relevance)" in one.output
    shown = run("evidence", "search", "hospital", "--limit", "2")
    assert "more: --after " in shown.output
    cursor = shown.output.split("more: --after ")[1].split()[0]
    rest = json.loads(run("evidence", "search", "hospital", "--after", cursor, "--json").output)
    first = json.loads(run("evidence", "search", "hospital", "--limit", "2", "--json").output)
    found = [item["id"] for page in (first, rest) for item in page["items"]]
    assert sorted(found) == [1, 2, 4]  # every sensitivity, each once
    assert rest["next"] is None

    posts = run("evidence", "search", "hospital", "--kind", "social_post", "--json")
    only_posts = json.loads(posts.output)
    assert [item["id"] for item in only_posts["items"]] == [4]

    refused = run("evidence", "search", '"" *')
    assert refused.exit_code == 2
    assert "query: nothing to search for" in refused.output
    assert run("evidence", "search", "hospital", "--after", "forged").exit_code == 2
