"""Commands for what the material shows: incidents, their evidence, and claims."""

from __future__ import annotations

import json

import click

from siteline.cli.context import pass_context
from siteline.cli.options import time_or_none
from siteline.cli.output import emit_record, emit_section, emit_table, json_option
from siteline.domain.entities import Claim, EvidenceLink, Incident
from siteline.domain.values import FuzzyTime
from siteline.domain.vocabularies import (
    Certainty,
    CountComparison,
    DamageClass,
    IncidentType,
    PropositionKind,
    SiteKind,
)
from siteline.services import claims, incidents, sites


@click.group("incident")
def incident_group() -> None:
    """Attacks on sites, each within a time window, and the evidence for them."""


@incident_group.command("add")
@click.option("--site", "site_ref", required=True, help="By number, name or alias.")
@click.option("--start", required=True, help="Start of the time window (YYYY[-MM[-DD[THH:MM]]]).")
@click.option("--end", help="End of the time window, when it spans more than one period.")
@click.option(
    "--type",
    "incident_type",
    default="other",
    show_default=True,
    help=f"One of: {', '.join(t.value for t in IncidentType)}.",
)
@click.option("--weapon", help="Weapon or munition.")
@click.option("--perpetrator", help="Alleged perpetrator.")
@click.option("--killed", type=int, help="People killed, as reported.")
@click.option("--injured", type=int, help="People injured, as reported.")
@click.option("--damage", help=f"UNOSAT damage class: {', '.join(d.value for d in DamageClass)}.")
@click.option(
    "--native-certainty",
    help="A certainty grade another organisation gave the incident, kept as written beside "
    "the one Siteline computes from the linked evidence ('siteline assess').",
)
@click.option("--title", help="A short title of your own.")
@click.option("--description", help="A longer description.")
@json_option
@pass_context
def incident_add(
    ctx,
    site_ref,
    start,
    end,
    incident_type,
    weapon,
    perpetrator,
    killed,
    injured,
    damage,
    native_certainty,
    title,
    description,
    as_json,
) -> None:
    """Add an incident at a site; its certainty is computed from the evidence linked to it."""
    case = ctx.case
    incident = Incident(
        site_id=sites.find_site(case, site_ref, "--site")["id"],
        window_start=FuzzyTime.parse(start, "--start"),
        window_end=time_or_none(end, "--end"),
        type=incident_type,
        weapon=weapon,
        perpetrator=perpetrator,
        killed=killed,
        injured=injured,
        damage_class=damage,
        title=title,
        description=description,
        native={"certainty": native_certainty.strip()} if native_certainty else None,
    )
    emit_record(incidents.add_incident(case, incident), as_json, title="incident added:")


@incident_group.command("link")
@click.argument("incident", type=int)
@click.argument("item", type=int)
@click.option("--role", required=True, help="supports, contradicts or context.")
@click.option("--rationale", required=True, help="Why the item bears on the incident.")
@json_option
@pass_context
def incident_link(ctx, incident, item, role, rationale, as_json) -> None:
    """Link evidence ITEM to INCIDENT with a role and a rationale."""
    link = incidents.link_evidence(ctx.case, EvidenceLink(incident, item, role, rationale))
    emit_record(link, as_json, title=f"evidence #{item} linked to incident #{incident}:")


@incident_group.command("list")
@click.option("--site", "site_ref", help="Only incidents at this site.")
@json_option
@pass_context
def incident_list(ctx, site_ref, as_json) -> None:
    """List incidents, oldest first."""
    case = ctx.case
    site_id = sites.find_site(case, site_ref, "--site")["id"] if site_ref else None
    rows = incidents.list_incidents(case, site_id)
    emit_table(
        rows,
        ["id", "site_id", "window_start_at", "type", "weapon", "certainty", "damage_class"],
        as_json,
    )


@incident_group.command("show")
@click.argument("incident", type=int)
@json_option
@pass_context
def incident_show(ctx, incident, as_json) -> None:
    """Show an incident with its site and linked evidence."""
    record = incidents.show_incident(ctx.case, incident)
    if as_json:
        emit_record(record, as_json)
        return
    shown = {key: value for key, value in record.items() if key != "certainty_reasons"}
    emit_record(shown, as_json, title=f"incident #{incident} at {record['site']['name']}:")
    _reasons("certainty reasons", json.loads(record.get("certainty_reasons") or "[]"))
    emit_section("evidence", record["links"], ["evidence_id", "kind", "title", "role", "rationale"])


@click.group("claim")
def claim_group() -> None:
    """Statements by officials and others, and the verdict the evidence gives them."""


def proposition_options(command):
    """The options that state a claim's testable proposition (claim add, claim define)."""
    for option in reversed(PROPOSITION_OPTIONS):
        command = option(command)
    return command


PROPOSITION_OPTIONS = [
    click.option(
        "--proposition-kind",
        default="other",
        show_default=True,
        help=f"One of: {', '.join(p.value for p in PropositionKind)}.",
    ),
    click.option("--proposition", help="What the claim asserts, in words (required for 'other')."),
    click.option("--site", "site_ref", help="The site the claim is about."),
    click.option("--period-start", help="Start of the period the claim covers."),
    click.option("--period-end", help="End of that period."),
    click.option("--count", type=int, help="The number of attacks an attack_count claim states."),
    click.option(
        "--comparison",
        help=f"How an attack_count claim's number reads: {', '.join(c.value for c in CountComparison)}. "
        "Default: at_least.",
    ),
    click.option(
        "--site-kind", help=f"Every site of this kind: {', '.join(k.value for k in SiteKind)}."
    ),
    click.option(
        "--area", help="Every site inside this polygon, as WKT ('POLYGON((lon lat, ...))')."
    ),
    click.option(
        "--min-certainty",
        help=f"The least certainty an incident needs to count: {', '.join(c.value for c in Certainty)}. "
        "Default: probable.",
    ),
]


def _proposition(case, kind, proposition, site_ref, period_start, period_end) -> dict:
    """The proposition options that need reading: the site by reference, the period."""
    return {
        "proposition_kind": kind,
        "proposition": proposition,
        "site_id": sites.find_site(case, site_ref, "--site")["id"] if site_ref else None,
        "period_start": time_or_none(period_start, "--period-start"),
        "period_end": time_or_none(period_end, "--period-end"),
    }


@claim_group.command("add")
@click.option("--speaker", required=True, help="Who said it (a person, an office, a ministry).")
@click.option("--stated", required=True, help="When it was said (YYYY[-MM[-DD]]).")
@click.option("--quote", required=True, help="The words as said.")
@click.option("--evidence", "evidence_id", type=int, help="The evidence item where it appeared.")
@proposition_options
@json_option
@pass_context
def claim_add(
    ctx,
    speaker,
    stated,
    quote,
    evidence_id,
    proposition_kind,
    proposition,
    site_ref,
    period_start,
    period_end,
    count,
    comparison,
    site_kind,
    area,
    min_certainty,
    as_json,
) -> None:
    """Add a claim; its verdict starts unresolved ('siteline assess' computes it)."""
    case = ctx.case
    claim = Claim(
        speaker=speaker,
        stated=FuzzyTime.parse(stated, "--stated"),
        quote=quote,
        evidence_id=evidence_id,
        **_proposition(case, proposition_kind, proposition, site_ref, period_start, period_end)
        | {"count": count, "count_comparison": comparison, "site_kind": site_kind}
        | {"area_wkt": area, "min_certainty": min_certainty},
    )
    emit_record(claims.add_claim(case, claim), as_json, title="claim added:")


@claim_group.command("define")
@click.argument("claim", type=int)
@proposition_options
@json_option
@pass_context
def claim_define(
    ctx,
    claim,
    proposition_kind,
    proposition,
    site_ref,
    period_start,
    period_end,
    count,
    comparison,
    site_kind,
    area,
    min_certainty,
    as_json,
) -> None:
    """Give CLAIM (a candidate found by ingest, say) its testable proposition; its verdict is
    then computed."""
    case = ctx.case
    record = claims.define_proposition(
        case,
        claim,
        **_proposition(case, proposition_kind, proposition, site_ref, period_start, period_end)
        | {"count": count, "count_comparison": comparison, "site_kind": site_kind}
        | {"area_wkt": area, "min_certainty": min_certainty},
    )
    emit_record(record, as_json, title=f"claim #{claim}:")


@claim_group.command("verdict")
@click.argument("claim", type=int)
@click.argument("verdict")
@click.option("--reasons", required=True, help="The chain of evidence that decides it.")
@json_option
@pass_context
def claim_verdict(ctx, claim, verdict, reasons, as_json) -> None:
    """Give an 'other' CLAIM a VERDICT: supported, contradicted or unresolved."""
    emit_record(
        claims.set_verdict(ctx.case, claim, verdict, reasons), as_json, title=f"claim #{claim}:"
    )


@claim_group.command("list")
@json_option
@pass_context
def claim_list(ctx, as_json) -> None:
    """List claims by the date they were stated."""
    emit_table(
        claims.list_claims(ctx.case), ["id", "speaker", "stated_at", "quote", "verdict"], as_json
    )


@claim_group.command("show")
@click.argument("claim", type=int)
@json_option
@pass_context
def claim_show(ctx, claim, as_json) -> None:
    """Show a claim, where it appeared, and its verdict with reasons."""
    record = claims.show_claim(ctx.case, claim)
    if as_json:
        emit_record(record, as_json)
        return
    hidden = ("verdict_reasons", "verdict_chain")
    shown = {key: value for key, value in record.items() if key not in hidden}
    emit_record(shown, as_json, title=f"claim #{claim}:")
    _reasons("verdict reasons", (record.get("verdict_reasons") or "").splitlines())
    if record.get("appeared_in"):
        item = record["appeared_in"]
        click.echo(
            f"  appeared in: evidence #{item['id']} ({item['kind']}) {item['title'] or ''}".rstrip()
        )


def _reasons(title: str, reasons: list[str]) -> None:
    """Reasons one a line (the whole chain of a computed verdict is in --json)."""
    if reasons:
        click.echo(f"  {title}:")
    for reason in reasons:
        click.echo(f"    - {reason}")


COMMANDS = [incident_group, claim_group]
