"""Commands for satellite imagery: scenes in, before/after change analysis out."""

from __future__ import annotations

from pathlib import Path

import click

from siteline.cli.context import pass_context
from siteline.cli.options import time_or_none
from siteline.cli.output import emit_record, json_option
from siteline.imagery.scenes import SENSORS, parse_bounds, parse_crs
from siteline.services import sites, sources


@click.group("imagery")
def imagery_group() -> None:
    """Satellite scenes and the change between them at a site."""


@imagery_group.command("add")
@click.argument("file", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--date", required=True, help="Acquisition date (YYYY[-MM[-DD[THH:MM]]]).")
@click.option("--sensor", type=click.Choice(SENSORS), required=True, help="Kind of sensor.")
@click.option("--provider", help="Who provided the scene (Maxar, Planet, ESA, USGS…).")
@click.option("--bounds", help="PNG/JPEG only: west,south,east,north in the units of --crs.")
@click.option("--crs", help="PNG/JPEG only: the CRS of --bounds (EPSG:4326, EPSG:32637…).")
@click.option("--title", help="A short title of your own.")
@click.option("--site", "site_ref", help="The site it shows (number, name or alias).")
@click.option("--source", "source_ref", help="The source it came from (number or name).")
@json_option
@pass_context
def imagery_add(
    ctx, file, date, sensor, provider, bounds, crs, title, site_ref, source_ref, as_json
) -> None:
    """Add a scene: GeoTIFF / Cloud-Optimised GeoTIFF / ENVI, or PNG / JPEG with --bounds
    and --crs. The original bytes are kept; the grid is read from the file."""
    from siteline.services.imagery import add_scene

    case = ctx.case
    record = add_scene(
        case,
        file,
        captured=time_or_none(date, "--date"),
        sensor=sensor,
        provider=provider,
        bounds=parse_bounds(bounds) if bounds else None,
        crs=parse_crs(crs) if crs else None,
        title=title,
        site_id=sites.find_site(case, site_ref, "--site")["id"] if site_ref else None,
        source_id=sources.find_source(case, source_ref)["id"] if source_ref else None,
    )
    emit_record(record, as_json, title="scene added:")


COMMANDS = [imagery_group]
