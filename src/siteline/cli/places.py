"""Commands for the places and sources of a case."""

from __future__ import annotations

import click

from siteline.cli.context import pass_context
from siteline.cli.output import emit_record, emit_table, json_option
from siteline.domain.entities import Site, Source
from siteline.domain.values import Location
from siteline.domain.vocabularies import SiteKind, SourceKind
from siteline.services import sites, sources


@click.group("site")
def site_group() -> None:
    """Protected places: hospitals, schools, markets…"""


@site_group.command("add")
@click.argument("name")
@click.option(
    "--kind",
    default="hospital",
    show_default=True,
    help=f"One of: {', '.join(k.value for k in SiteKind)}.",
)
@click.option(
    "--alias", "aliases", multiple=True, help="Another name the site is known by (repeatable)."
)
@click.option("--operator", help="Who runs the site (e.g. a health directorate, an NGO).")
@click.option("--location", help="The site's point as LAT,LON in decimal degrees.")
@click.option("--polygon", help="The site's outline as WKT: 'POLYGON((lon lat, …))'.")
@click.option("--notes", help="Free notes.")
@json_option
@pass_context
def site_add(ctx, name, kind, aliases, operator, location, polygon, notes, as_json) -> None:
    """Add a site."""
    point = Location.parse(location, "exact", "--location") if location else None
    site = Site(
        name=name,
        kind=kind,
        aliases=list(aliases),
        operator=operator,
        lat=point.lat if point else None,
        lon=point.lon if point else None,
        polygon_wkt=polygon,
        notes=notes,
    )
    emit_record(sites.add_site(ctx.case, site), as_json, title="site added:")


@site_group.command("list")
@json_option
@pass_context
def site_list(ctx, as_json) -> None:
    """List the case's sites."""
    emit_table(
        sites.list_sites(ctx.case),
        ["id", "name", "aliases", "kind", "operator", "lat", "lon"],
        as_json,
    )


@site_group.command("show")
@click.argument("site")
@json_option
@pass_context
def site_show(ctx, site, as_json) -> None:
    """Show a site, by number, name or alias."""
    found = sites.find_site(ctx.case, site)
    emit_record(found, as_json, title=f"site #{found['id']}:")
    if not as_json:
        click.echo(f"  aliases: {', '.join(found['aliases']) or '-'}")


@click.group("source")
def source_group() -> None:
    """Who published or provided material, graded A–F."""


@source_group.command("add")
@click.argument("name")
@click.option(
    "--kind",
    default="other",
    show_default=True,
    help=f"One of: {', '.join(k.value for k in SourceKind)}.",
)
@click.option(
    "--reliability",
    default="F",
    show_default=True,
    help="Admiralty grade A (reliable) to F (cannot be judged).",
)
@click.option("--url", help="The source's address (an account, a site).")
@click.option(
    "--identity",
    help="A witness's real identity: sealed with the case key; NAME is their pseudonym.",
)
@click.option("--notes", help="Free notes.")
@json_option
@pass_context
def source_add(ctx, name, kind, reliability, url, identity, notes, as_json) -> None:
    """Add a source. A witness is added under a pseudonym."""
    source = Source(
        name=name, kind=kind, reliability=reliability, url=url, identity=identity, notes=notes
    )
    record = sources.add_source(ctx.case, source)
    record["identity_sealed"] = "(sealed)" if record["identity_sealed"] else None
    emit_record(record, as_json, title="source added:")


@source_group.command("list")
@json_option
@pass_context
def source_list(ctx, as_json) -> None:
    """List the case's sources."""
    rows = sources.list_sources(ctx.case)
    for row in rows:
        row["identity"] = "(sealed)" if row.pop("identity_sealed") else None
    emit_table(rows, ["id", "name", "kind", "reliability", "url", "identity"], as_json)


COMMANDS = [site_group, source_group]
