"""Commands for assessment: computed certainty of incidents, computed verdicts of claims,
and claims exported as ClaimReview."""

from __future__ import annotations

from pathlib import Path

import click

from siteline.cli.casework import export_group
from siteline.cli.context import pass_context
from siteline.cli.output import emit_json, json_option
from siteline.errors import InvalidInput


@click.command("assess")
@click.option("--incident", type=int, help="Explain this incident's certainty; write nothing.")
@click.option("--claim", type=int, help="Explain this claim's verdict; write nothing.")
@json_option
@pass_context
def assess(ctx, incident, claim, as_json) -> None:
    """Recompute every incident's certainty and every claim's verdict; print what changed."""
    from siteline.services import assessment

    if incident is not None and claim is not None:
        raise InvalidInput("--incident", "explain an incident or a claim, not both at once")
    if incident is not None:
        _explain(assessment.certainty_of(ctx.case, incident), "certainty", as_json)
    elif claim is not None:
        _explain(assessment.verdict_of(ctx.case, claim), "verdict", as_json)
    else:
        _report(assessment.refresh(ctx.case), as_json)


def _explain(found: dict, field: str, as_json: bool) -> None:
    if as_json:
        emit_json(found)
        return
    what = (
        f"incident #{found['incident_id']}"
        if "incident_id" in found
        else f"claim #{found['claim_id']}"
    )
    click.echo(
        f"{what}: {field} {found[field] or '(not computed)'} (stored: {found['stored'][field]})"
    )
    if found.get("rule"):
        click.echo(f"  rule: {found['rule']}")
    for reason in found["reasons"]:
        click.echo(f"  - {reason}")
    for name, grade in (found.get("native") or {}).items():
        click.echo(f"  native {name}: {grade}")


def _report(summary: dict, as_json: bool) -> None:
    if as_json:
        emit_json(summary)
        return
    checked = summary["checked"]
    click.echo(
        f"checked {checked['incidents']} incident(s) and {checked['claims']} computable claim(s)"
    )
    for label, key, field in (
        ("incident", "incidents", "certainty"),
        ("claim", "claims", "verdict"),
    ):
        for change in summary[key]:
            moved = (
                f"{change['before']} → {change['after']}"
                if change["before"] != change["after"]
                else f"{change['after']} (reasons changed)"
            )
            click.echo(f"  {label} #{change['id']}: {field} {moved} [{change['rule']}]")
    for skipped in summary["skipped"]:
        click.echo(f"  skipped {skipped['object']}: {skipped['why']}")
    if not summary["incidents"] and not summary["claims"]:
        click.echo("nothing changed")


@export_group.command("claimreview")
@click.option("--out", type=click.Path(dir_okay=False), help="Write to this file (default: print).")
@click.option(
    "--public",
    is_flag=True,
    help="For publication: leave out claims that appeared only in restricted or confidential "
    "items, and name such items in reasons only as confidential.",
)
@pass_context
def export_claimreview(ctx, out, public) -> None:
    """Write every claim's verdict as schema.org ClaimReview (JSON-LD)."""
    from siteline.report.claimreview import export_claimreview as export

    text, summary = export(ctx.case, Path(out) if out else None, public=public)
    if out:
        kind = "public " if public else ""
        click.echo(
            f"{summary['claims']} {kind}ClaimReview(s) written to {out} (sha256 {summary['sha256']})"
        )
    else:
        click.echo(text, nl=False)


# `export claimreview` joins the `export` group of cli/casework.py, registered above.
COMMANDS: list = [assess]
