"""The `siteline` command line: a thin face over the services.

Each command reads its options, calls one service, and prints the result. Errors of
input or case state are printed as one line naming the problem and where it is, with a
non-zero exit status; nothing here holds domain logic.
"""

from __future__ import annotations

import click

from siteline.cli import (
    analysis,
    assessment,
    casework,
    extract,
    imagery,
    ingest,
    linking,
    material,
    media,
    places,
    reporting,
    verification,
    web,
)
from siteline.errors import SitelineError


class SitelineGroup(click.Group):
    """Turns errors of input or case state into one line on stderr and an exit status."""

    def invoke(self, context: click.Context):
        try:
            return super().invoke(context)
        except SitelineError as error:
            click.echo(f"error: {error}", err=True)
            context.exit(error.exit_code)


@click.group(
    cls=SitelineGroup,
    context_settings={"help_option_names": ["-h", "--help"], "max_content_width": 100},
)
@click.option(
    "-C",
    "--case",
    "case_path",
    envvar="SITELINE_CASE",
    default=".",
    show_default=True,
    type=click.Path(file_okay=False),
    help="The case folder (or set SITELINE_CASE).",
)
@click.option(
    "--key-file",
    envvar="SITELINE_KEY_FILE",
    type=click.Path(dir_okay=False),
    help="The file holding the case key for confidential material (or SITELINE_KEY_FILE / SITELINE_KEY).",
)
@click.version_option(package_name="siteline")
@click.pass_context
def cli(context: click.Context, case_path: str, key_file: str | None) -> None:
    """Siteline: evidence-backed timelines of attacks on protected places."""
    from siteline.cli.context import CaseContext

    context.obj = CaseContext(case_path, key_file)
    context.call_on_close(context.obj.close)


for module in (
    casework,
    places,
    material,
    analysis,
    linking,
    verification,
    assessment,
    reporting,
    ingest,
    extract,
    imagery,
    media,
    web,
):
    for command in module.COMMANDS:
        cli.add_command(command)


def main() -> None:
    cli(prog_name="siteline")
