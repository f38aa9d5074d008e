"""The documentation cannot drift from the code: every command and option is on docs/cli.md."""

from __future__ import annotations

import re
from pathlib import Path

import click
import pytest

from siteline.cli import cli

ROOT = Path(__file__).resolve().parents[1]
CLI_DOC = (ROOT / "docs" / "cli.md").read_text()


def commands(group: click.Group = cli, path: tuple[str, ...] = ()):
    for name, command in sorted(group.commands.items()):
        if isinstance(command, click.Group):
            yield from commands(command, (*path, name))
        else:
            yield (*path, name), command


def section(path: tuple[str, ...]) -> str:
    heading = f"### `siteline {' '.join(path)}"
    assert heading in CLI_DOC, f"docs/cli.md has no section for 'siteline {' '.join(path)}'"
    start = CLI_DOC.index(heading)
    following = CLI_DOC.find("\n### ", start + 1)
    return CLI_DOC[start : following if following != -1 else None]


@pytest.mark.parametrize(
    ("path", "command"), list(commands()), ids=lambda v: " ".join(v) if isinstance(v, tuple) else ""
)
def test_every_command_and_option_is_documented(path, command):
    text = section(path)
    for parameter in command.params:
        if isinstance(parameter, click.Option):
            for name in parameter.opts:
                assert f"`{name}`" in text, (
                    f"'siteline {' '.join(path)}' option {name} is not in docs/cli.md"
                )
        else:
            assert parameter.human_readable_name.upper() in text.splitlines()[0]


def test_the_readme_quick_start_has_exactly_two_commands():
    readme = (ROOT / "README.md").read_text()
    quick_start = readme.split("## Quick start", 1)[1].split("\n## ", 1)[0]
    blocks = re.findall(r"```(?:sh|bash|console)?\n(.*?)```", quick_start, re.S)
    lines = [
        line
        for block in blocks
        for line in block.splitlines()
        if line.strip() and not line.startswith("#")
    ]
    assert lines == ["make demo", "make test"]


def test_ci_runs_the_readme_test_command():
    assert "make test" in (ROOT / ".ci" / "run").read_text()
