"""Commands for satellite imagery: scenes in, before/after change analysis out."""

from __future__ import annotations

from pathlib import Path

import click

from siteline.cli.context import pass_context
from siteline.cli.options import time_or_none
from siteline.cli.output import emit_json, emit_record, json_option
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


@imagery_group.command("compare")
@click.argument("site_ref", metavar="SITE")
@click.argument("before_id", metavar="BEFORE", type=int)
@click.argument("after_id", metavar="AFTER", type=int)
@click.option(
    "--ring",
    "ring_m",
    type=float,
    default=200.0,
    show_default=True,
    help="Width of the ring around the site, metres.",
)
@click.option(
    "--radius",
    "radius_m",
    type=float,
    default=50.0,
    show_default=True,
    help="Radius of a site known by a point, metres.",
)
@click.option(
    "--pixel",
    "pixel_m",
    type=float,
    help="Pixel size of the grid, metres (default: the coarser scene's).",
)
@click.option(
    "--threshold",
    "threshold_method",
    type=click.Choice(["otsu", "kittler-illingworth"]),
    help="Threshold method (default: the operator's own).",
)
@click.option("--no-register", is_flag=True, help="Do not look for and correct a misregistration.")
@click.option(
    "--figure",
    "figure_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Also write the evidence figure (PNG) to this file.",
)
@json_option
@pass_context
def imagery_compare(
    ctx,
    site_ref,
    before_id,
    after_id,
    ring_m,
    radius_m,
    pixel_m,
    threshold_method,
    no_register,
    figure_path,
    as_json,
) -> None:
    """Compare the BEFORE and AFTER scenes (evidence numbers) over SITE: the changed share
    inside the site against the ring around it, changed objects, and an evidence figure,
    kept as derived items of the after scene."""
    from siteline.services import derived
    from siteline.services.imagery_compare import compare_scenes

    case = ctx.case
    analysis = compare_scenes(
        case, site_ref, before_id, after_id, ring_m=ring_m, radius_m=radius_m, pixel_m=pixel_m,
        threshold_method=threshold_method, register=not no_register,
    )  # fmt: skip
    if figure_path is not None:
        figure = derived.get_derived(case, analysis["derived"]["change_figure"])
        figure_path.write_bytes(case.blobs.read(figure["blob_sha256"]))
    if as_json:
        emit_json(analysis)
        return
    found = analysis["result"]
    click.echo(
        f"site {analysis['site']['name']}: {analysis['operator']}, "
        f"{analysis['threshold']['method']} threshold {analysis['threshold']['value']:.4g}"
    )
    click.echo(
        f"misregistration corrected: {analysis['shift_px'][0]:+.2f} rows, {analysis['shift_px'][1]:+.2f} columns"
    )
    for name in (
        "site_changed_fraction",
        "ring_changed_fraction",
        "block_p_value",
        "pixel_fisher_p_value",
    ):
        value = found[name]
        click.echo(f"{name.replace('_', ' ')}: {'n/a' if value is None else f'{value:.4g}'}")
    craters = sum(1 for item in found["objects"] if item["crater_like"])
    click.echo(f"changed objects: {len(found['objects'])} ({craters} crater-like)")
    click.echo(
        f"derived items: {', '.join(f'{kind} #{number}' for kind, number in analysis['derived'].items())}"
    )
    click.echo(analysis["what_it_shows"])


@imagery_group.command("evaluate")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--sensor", type=click.Choice(SENSORS), required=True, help="Kind of sensor.")
@click.option(
    "--baselines", is_flag=True, help="Also measure the simplest methods on the same pairs."
)
@json_option
def imagery_evaluate(folder, sensor, baselines, as_json) -> None:
    """Measure change detection against labels: FOLDER holds A/ (before), B/ (after) and
    label/ (255 changed, 0 unchanged, 128 not labelled), one file per pair id. Needs no case."""
    from siteline.errors import InvalidInput
    from siteline.imagery.evaluate import evaluate_baselines, evaluate_folder

    if not folder.is_dir():
        raise InvalidInput(str(folder), "no such folder")
    result = evaluate_folder(folder, sensor)
    if baselines:
        result["baselines"] = evaluate_baselines(folder, sensor)
    if as_json:
        emit_json(result)
        return
    click.echo(f"{result['pairs']} pairs, {result['pixels']:,} labelled pixels ({sensor})")
    for name in ("precision", "recall", "f1", "iou", "auc", "site_auc"):
        click.echo(f"{name}: {result[name]:.3f}")
    for name, other in result.get("baselines", {}).items():
        click.echo(f"baseline {name}: f1 {other['f1']:.3f}, auc {other['auc']:.3f}")


COMMANDS = [imagery_group]
