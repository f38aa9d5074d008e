"""Commands for photos and videos: ingest, and the near-duplicates among them."""

from __future__ import annotations

import sys

import click

from siteline.cli.context import pass_context
from siteline.cli.ingest import SOME_RECORDS_FAILED, ingest_group, paths_argument
from siteline.cli.output import emit_json, json_option

INTERRUPTED = 130


@ingest_group.command("media")
@paths_argument
@click.option(
    "--workers", type=click.IntRange(min=1), help="Processes reading files (default: every core)."
)
@click.option(
    "--scheduler",
    help="Read the files on a Dask cluster: its scheduler's address, or 'local' to start one.",
)
@click.option("--quiet", is_flag=True, help="No progress lines on standard error.")
@json_option
@pass_context
@click.pass_context
def ingest_media_command(click_ctx, ctx, paths, workers, scheduler, quiet, as_json) -> None:
    """Read photos and videos (files or folders): originals, metadata claims, perceptual
    hashes and thumbnails. Run again after an interruption to carry on."""
    from siteline.services.media_ingest import ingest_media

    progress = None if quiet else _progress_line
    report = ingest_media(ctx.case, paths, workers=workers, scheduler=scheduler, progress=progress)
    summary = report.as_dict()
    if as_json:
        emit_json(summary)
    else:
        click.echo(
            f"{report.files} files, {report.added} added, {report.unchanged} already in the "
            f"case, {report.hashes} hashes"
        )
        for problem in report.problems:
            click.echo(f"problem: {problem}", err=True)
    if report.interrupted:
        click.echo("interrupted: run the same command again to carry on", err=True)
        click_ctx.exit(INTERRUPTED)
    if report.problems:
        click.echo(
            f"{len(report.problems)} file(s) could not be read; the rest were kept", err=True
        )
        click_ctx.exit(SOME_RECORDS_FAILED)


def _progress_line(report, total: int) -> None:
    print(
        f"{report.files}/{total} files read, {report.added} added, "
        f"{report.unchanged} already in the case, {len(report.problems)} problems",
        file=sys.stderr,
        flush=True,
    )


COMMANDS: list = []  # `ingest media` joins the ingest group above
