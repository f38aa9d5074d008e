"""Commands that bring material in: articles, platform exports, datasets, gazetteers."""

from __future__ import annotations

from pathlib import Path

import click

from siteline.cli.casework import export_group
from siteline.cli.context import pass_context
from siteline.cli.options import time_or_none
from siteline.cli.output import emit_json, json_option

# Exit status of a run that kept what it could read but not every record.
SOME_RECORDS_FAILED = 8

paths_argument = click.argument("paths", nargs=-1, required=True, type=click.Path(path_type=Path))


def report_and_exit(ctx: click.Context, report, as_json: bool) -> None:
    """Prints what a run did and every problem; exits 8 when any record failed."""
    summary = report.as_dict()
    if as_json:
        emit_json(summary)
    else:
        counts = ", ".join(
            f"{summary[key]} {key}"
            for key in ("files", "added", "unchanged", "versions", "claims", "relations")
        )
        click.echo(counts)
        for reason, count in sorted(summary["skipped"].items()):
            click.echo(f"passed over: {count} × {reason}")
        for problem in summary["problems"]:
            click.echo(f"problem: {problem}", err=True)
    if not report.ok:
        click.echo(
            f"{len(report.problems)} record(s) could not be read; the rest were kept", err=True
        )
        ctx.exit(SOME_RECORDS_FAILED)


@click.group("ingest")
def ingest_group() -> None:
    """Bring material in: articles, platform exports, datasets."""


@ingest_group.command("article")
@paths_argument
@click.option("--date", help="The articles' date, when the text does not say (YYYY-MM-DD).")
@json_option
@pass_context
@click.pass_context
def ingest_article(click_ctx, ctx, paths, date, as_json) -> None:
    """Read articles (plain text or HTML; files or folders): embedded posts, statements,
    dates, places and figures."""
    from siteline.services.ingest_articles import ingest_articles

    report = ingest_articles(ctx.case, paths, time_or_none(date, "date"))
    report_and_exit(click_ctx, report, as_json)


def _export_command(name: str, what: str):
    @ingest_group.command(name, help=f"Read {what} into the case (files or folders).")
    @paths_argument
    @json_option
    @pass_context
    @click.pass_context
    def command(click_ctx, ctx, paths, as_json) -> None:
        from siteline.services.ingest_posts import ingest_exports

        report = ingest_exports(ctx.case, paths, name)
        report_and_exit(click_ctx, report, as_json)

    return command


_export_command("twitter", "Twitter/X exports (API v1.1 or v2 JSON, twarc JSON lines)")
_export_command("telegram", "Telegram Desktop exports (a folder with result.json, or the file)")
_export_command("ytdlp", "yt-dlp .info.json files, with the media files beside them")


@click.group("gazetteer")
def gazetteer_group() -> None:
    """Places that texts may name, for ingest to recognise."""


@gazetteer_group.command("import")
@click.argument("csv_file", type=click.Path(path_type=Path, dir_okay=False))
@click.option("--name", help="What to call this gazetteer (default: the file's name).")
@json_option
@pass_context
@click.pass_context
def gazetteer_import(click_ctx, ctx, csv_file, name, as_json) -> None:
    """Import the places of a gazetteer CSV (id, name_en, name_ar, latitude, longitude, …)."""
    from siteline.services.gazetteer import import_gazetteer

    report = import_gazetteer(ctx.case, csv_file, name)
    report_and_exit(click_ctx, report, as_json)


@ingest_group.command("dataset")
@paths_argument
@click.option(
    "--dataset",
    type=click.Choice(["who_ssa", "airwars", "acled", "syrian_archive"]),
    help="Which dataset the files are (default: found from each file's columns).",
)
@json_option
@pass_context
@click.pass_context
def ingest_dataset(click_ctx, ctx, paths, dataset, as_json) -> None:
    """Read conflict dataset files (WHO SSA, Airwars, ACLED, Syrian Archive) into the case."""
    from siteline.services.ingest_datasets import ingest_datasets

    report = ingest_datasets(ctx.case, paths, dataset)
    report_and_exit(click_ctx, report, as_json)


@export_group.command("acled")
@click.argument("out", type=click.Path(path_type=Path, dir_okay=False))
@pass_context
def export_acled_command(ctx, out) -> None:
    """Write the case's ACLED rows back to an ACLED CSV (the newest version of each row)."""
    from siteline.services.export_datasets import export_acled

    written = export_acled(ctx.case, out)
    click.echo(f"{written} ACLED rows written to {out}")


COMMANDS = [ingest_group, gazetteer_group]
