"""`siteline link`: incidents proposed from evidence, and a person's decisions on them."""

from __future__ import annotations

import click

from siteline.cli.context import CaseContext, pass_context
from siteline.cli.output import emit_json, emit_record, json_option
from siteline.domain.vocabularies import DamageClass, IncidentType
from siteline.errors import InvalidInput
from siteline.services import linking, linking_decisions

STATUS_HELP = f"Only proposals of this status: {', '.join(linking.STATUSES)}."


@click.group("link", invoke_without_command=True)
@click.option("--site", "site_ref", help="Only this site (by number, name or alias).")
@click.option(
    "--min-score",
    type=float,
    help="Make and show only proposals scoring at least this (0..1; default 0.3).",
)
@json_option
@click.pass_context
def link_group(context: click.Context, site_ref, min_score, as_json) -> None:
    """Propose incidents from the evidence and print the open proposals; with a command,
    list, show, confirm, reject, merge or split proposals."""
    if context.invoked_subcommand is not None:
        given = [n for n, v in (("--site", site_ref), ("--min-score", min_score)) if v is not None]
        if given or as_json:
            raise InvalidInput(
                (given or ["--json"])[0],
                f"belongs to 'siteline link' alone; give it after '{context.invoked_subcommand}'"
                " where that command takes it",
            )
        return
    case = context.find_object(CaseContext).case
    result = linking.propose_links(case, site_ref, min_score)
    if as_json:
        emit_json(result)
        return
    click.echo(
        f"{len(result['created'])} new, {len(result['updated'])} updated, "
        f"{result['unchanged']} unchanged; {len(result['proposals'])} open:"
    )
    for proposal in result["proposals"]:
        mark = (
            " (new)"
            if proposal["id"] in result["created"]
            else " (updated)"
            if proposal["id"] in result["updated"]
            else ""
        )
        _print_proposal(proposal, mark)


@link_group.command("list")
@click.option("--status", help=STATUS_HELP)
@click.option("--site", "site_ref", help="Only proposals for this site.")
@json_option
@pass_context
def link_list(ctx, status, site_ref, as_json) -> None:
    """List proposals, oldest first."""
    rows = linking.list_proposals(ctx.case, status, site_ref)
    if as_json:
        emit_json(rows)
        return
    if not rows:
        click.echo("(none)")
    for row in rows:
        _print_proposal(row, "", members=False)


@link_group.command("show")
@click.argument("proposal", type=int)
@json_option
@pass_context
def link_show(ctx, proposal, as_json) -> None:
    """Show a proposal: its reasons, and each item with its score and reasons."""
    record = linking.show_proposal(ctx.case, proposal)
    if as_json:
        emit_json(record)
        return
    _print_proposal(record, "")
    if record["decided_by"]:
        click.echo(f"  decided by {record['decided_by']}: {record['decision_note'] or '-'}")


@link_group.command("confirm")
@click.argument("proposal", type=int)
@click.option(
    "--without", "without", type=int, multiple=True, help="Leave out this item (repeatable)."
)
@click.option("--title", help="The new incident's title (default: the site and the window).")
@click.option(
    "--type",
    "incident_type",
    help=f"The new incident's type: {', '.join(t.value for t in IncidentType)} (default: other).",
)
@click.option("--weapon", help="The new incident's weapon or munition.")
@click.option("--perpetrator", help="The new incident's alleged perpetrator.")
@click.option("--killed", type=int, help="People killed, as reported.")
@click.option("--injured", type=int, help="People injured, as reported.")
@click.option("--damage", help=f"UNOSAT damage class: {', '.join(d.value for d in DamageClass)}.")
@click.option("--description", help="What happened, in words.")
@json_option
@pass_context
def link_confirm(ctx, proposal, without, title, incident_type, as_json, **details) -> None:
    """Confirm PROPOSAL: make its incident (or add to the one it names) and link its items."""
    details["damage_class"] = details.pop("damage")
    result = linking_decisions.confirm_proposal(
        ctx.case, proposal, list(without), title, incident_type, details
    )
    if as_json:
        emit_json(result)
        return
    incident = result["incident"]
    click.echo(f"proposal #{proposal} confirmed: incident #{incident['id']} ({incident['title']})")
    _warn_findings(result)
    for link in result["links"]:
        click.echo(f"  linked item #{link['evidence_id']} as {link['role']} (link #{link['id']})")


@link_group.command("reject")
@click.argument("proposal", type=int)
@click.option("--reason", required=True, help="Why; kept with the decision.")
@json_option
@pass_context
def link_reject(ctx, proposal, reason, as_json) -> None:
    """Reject PROPOSAL; `link` will not propose the same items again."""
    result = linking_decisions.reject_proposal(ctx.case, proposal, reason)
    emit_record(result["proposal"], as_json, title=f"proposal #{proposal} rejected:")


@link_group.command("merge")
@click.argument("proposals", type=int, nargs=-1, required=True)
@click.option(
    "--into-incident", type=int, help="Add the proposals' items to this incident instead."
)
@json_option
@pass_context
def link_merge(ctx, proposals, into_incident, as_json) -> None:
    """Merge PROPOSALS of one site into one proposal, or into an incident."""
    result = linking_decisions.merge_proposals(ctx.case, list(proposals), into_incident)
    if as_json:
        emit_json(result)
        return
    merged = ", ".join(f"#{i}" for i in result["merged"])
    if into_incident is not None:
        click.echo(f"proposals {merged} added to incident #{into_incident}:")
        _warn_findings(result)
        for link in result["links"]:
            click.echo(
                f"  linked item #{link['evidence_id']} as {link['role']} (link #{link['id']})"
            )
        return
    click.echo(f"proposals {merged} merged into proposal #{result['proposal']['id']}:")
    _print_proposal(result["proposal"], "")


@link_group.command("split")
@click.argument("proposal", type=int)
@click.option("--items", required=True, help="The items that become a new proposal: '3,4'.")
@json_option
@pass_context
def link_split(ctx, proposal, items, as_json) -> None:
    """Split PROPOSAL: the items named become a new proposal, the rest stay."""
    result = linking_decisions.split_proposal(ctx.case, proposal, _numbers(items, "--items"))
    if as_json:
        emit_json(result)
        return
    click.echo(
        f"proposal #{proposal} split; the items named are now proposal #{result['new']['id']}:"
    )
    _print_proposal(result["proposal"], "")
    _print_proposal(result["new"], " (new)")


def _warn_findings(result: dict) -> None:
    if "findings_not_refreshed" in result:
        click.echo(
            f"warning: certainty and verdicts not recomputed: {result['findings_not_refreshed']}",
            err=True,
        )


def _numbers(text: str, field: str) -> list[int]:
    parts = [part.strip().lstrip("#") for part in text.split(",") if part.strip()]
    if not parts or not all(part.isdigit() for part in parts):
        raise InvalidInput(field, f"{text!r} is not a list of item numbers like '3,4'")
    return [int(part) for part in parts]


def _print_proposal(record: dict, mark: str, members: bool = True) -> None:
    what = (
        f"adds to incident #{record['incident_id']}"
        if record["incident_id"] and record["status"] == "proposed"
        else f"incident #{record['incident_id']}"
        if record["incident_id"]
        else "new incident"
    )
    site = record.get("site") or f"site #{record['site_id']}"
    click.echo(
        f"proposal #{record['id']}{mark}: {site}, {what}, {record['window'] or 'no window'}, "
        f"score {record['score']:.2f} [{record['status']}]"
    )
    for reason in record["reasons"]:
        click.echo(f"  - {reason}")
    if not members:
        return
    for member in record["members"]:
        left = " left out," if member.get("left_out") else ""
        click.echo(
            f"  item #{member['evidence_id']} ({member['score']:.2f}, {member['role']},{left} "
            + "; ".join(member["reasons"])
            + ")"
        )


COMMANDS = [link_group]
