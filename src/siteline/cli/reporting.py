"""Commands that report on a case: the HTML or PDF case report, and attack statistics."""

from __future__ import annotations

from pathlib import Path

import click

from siteline.analysis.statistics import GROUPINGS
from siteline.cli.context import pass_context
from siteline.cli.output import emit_json, emit_table, json_option
from siteline.domain.vocabularies import Certainty
from siteline.services import report, statistics


@click.command("report")
@click.argument("case_folder", metavar="[CASE]", required=False, type=click.Path(file_okay=False))
@click.option(
    "--out",
    "out_path",
    type=click.Path(dir_okay=False),
    help="The file to write (default: report.html, or report.pdf with --pdf).",
)
@click.option("--pdf", is_flag=True, help="Render the report as PDF (WeasyPrint).")
@click.option(
    "--include-restricted", is_flag=True, help="Show restricted items instead of withholding them."
)
@click.option(
    "--include-confidential",
    is_flag=True,
    help="Show confidential items and items from witnesses (needs the case key).",
)
@click.option(
    "--generated-at",
    help="The generation time to state (UTC), to make a report again byte for byte.",
)
@json_option
@pass_context
def report_command(ctx, case_folder, out_path, pdf, include_restricted, include_confidential,
                   generated_at, as_json) -> None:  # fmt: skip
    """Write a self-contained report of CASE (default: the -C case)."""
    if case_folder:
        ctx.case_path = Path(case_folder)
    out = Path(out_path or ("report.pdf" if pdf else "report.html"))
    written = report.build_report(
        ctx.case, out, include_restricted=include_restricted,
        include_confidential=include_confidential, pdf=pdf, generated_at=generated_at,
    )  # fmt: skip
    if as_json:
        emit_json(written)
        return
    click.echo(f"report written: {written['path']} ({written['format']}, {written['bytes']} bytes)")
    click.echo(f"  sha256: {written['sha256']}")
    click.echo(f"  generated at: {written['generated_at']}")
    click.echo(
        f"  {written['incidents']} incidents at {written['sites']} sites, {written['claims']} "
        f"claims, {written['items_cited']} items cited, {written['analyses']} change analyses"
    )
    withheld = ", ".join(f"{count} {level}" for level, count in written["withheld"].items())
    click.echo(f"  withheld: {withheld or 'nothing'}")


@click.command("stats")
@click.option(
    "--by",
    type=click.Choice(GROUPINGS),
    default="month",
    show_default=True,
    help="What to count attacks by.",
)
@click.option(
    "--min-certainty",
    default="rumour",
    show_default=True,
    help=f"The least WHO SSA certainty counted: {', '.join(c.value for c in Certainty)}.",
)
@click.option("--since", help="Count from the start of this time (YYYY[-MM[-DD]]).")
@click.option(
    "--until", help="Count to the end of this time (YYYY[-MM[-DD]]); with --last, the period's end."
)
@click.option("--last", help="The period ending --until (or today): 30d, 8w, 6m, 1y.")
@click.option("--kind", "kinds", multiple=True, help="Only sites of these kinds (hospital,clinic).")
@click.option("--area", help="Only sites inside this area: WKT (lon lat) or W,S,E,N in degrees.")
@json_option
@pass_context
def stats_command(ctx, by, min_certainty, since, until, last, kinds, area, as_json) -> None:
    """Count attacks by month, site, site kind, perpetrator or weapon."""
    found = statistics.statistics(
        ctx.case, by, min_certainty=min_certainty, since=since, until=until, last=last,
        kinds=[part for given in kinds for part in given.split(",")], area=area,
    )  # fmt: skip
    if as_json:
        emit_json(found)
        return
    click.echo(found["figure"])
    emit_table(
        [{by: group["label"], "attacks": group["count"], "incidents": group["incidents"]}
         for group in found["groups"]],
        [by, "attacks", "incidents"], False,
    )  # fmt: skip
    for name, ids in found["uncertain"].items():
        if ids and name == "month":
            click.echo(f"counted in no month ({_UNCERTAIN[name]}): {_numbers(ids)}")
        elif ids:
            click.echo(f"uncertain ({_UNCERTAIN[name]}), not counted: {_numbers(ids)}")
    if found["below_certainty"]:
        click.echo(
            f"below {found['filters']['min_certainty']}: {_numbers(found['below_certainty'])}"
        )


_UNCERTAIN = {
    "straddling_period": "time window across the period's edge",
    "straddling_area": "site outline across the area's edge",
    "unlocated": "site without a location",
    "month": "time window across more than one month",
}


def _numbers(ids: list[int]) -> str:
    return ", ".join(f"#{number}" for number in ids)


COMMANDS = [report_command, stats_command]
