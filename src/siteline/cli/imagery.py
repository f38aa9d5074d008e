"""Commands for satellite imagery: scenes in, before/after change analysis out."""

from __future__ import annotations

from pathlib import Path

import click

from siteline.cli.context import pass_context
from siteline.cli.options import time_or_none
from siteline.cli.output import emit_json, emit_record, emit_table, json_option
from siteline.imagery.scenes import SENSORS, parse_bounds, parse_crs
from siteline.services import sites, sources

radius_option = click.option(
    "--radius",
    "radius_m",
    type=float,
    default=50.0,
    show_default=True,
    help="Radius of a site known by a point, metres.",
)


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
@click.argument("before_ids", metavar="BEFORE")
@click.argument("after_ids", metavar="AFTER")
@click.option(
    "--ring",
    "ring_m",
    type=float,
    default=200.0,
    show_default=True,
    help="Width of the ring around the site, metres.",
)
@radius_option
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
@click.option(
    "--model",
    "model_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="A trained change model (ONNX) to score the pair instead of the default method.",
)
@json_option
@pass_context
def imagery_compare(
    ctx,
    site_ref,
    before_ids,
    after_ids,
    ring_m,
    radius_m,
    pixel_m,
    threshold_method,
    no_register,
    figure_path,
    model_path,
    as_json,
) -> None:
    """Compare the BEFORE and AFTER scenes (evidence numbers; several, comma-separated, for
    a t-test between two stacks) over SITE: the changed share inside the site against the
    ring around it, changed objects, and an evidence figure, kept as derived items of the
    after scene."""
    from siteline.services import derived
    from siteline.services.imagery_compare import compare_scenes

    case = ctx.case
    analysis = compare_scenes(
        case, site_ref, evidence_numbers(before_ids, "BEFORE"),
        evidence_numbers(after_ids, "AFTER"), ring_m=ring_m, radius_m=radius_m, pixel_m=pixel_m,
        threshold_method=threshold_method, register=not no_register, model_path=model_path,
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


@imagery_group.command("search")
@click.argument("site_ref", metavar="SITE")
@click.option("--catalogue", required=True, help="URL of a STAC API or a static STAC catalogue.")
@click.option("--from", "date_from", help="Acquired on or after this date (YYYY[-MM[-DD]]).")
@click.option("--to", "date_to", help="Acquired on or before this date.")
@click.option(
    "--collection", "collections", multiple=True, help="Only this collection (repeatable)."
)
@click.option(
    "--max-items", type=int, default=50, show_default=True, help="At most this many scenes."
)
@click.option(
    "--asset", help="The asset to read (default: visual, a SAR polarisation, or a GeoTIFF)."
)
@radius_option
@click.option(
    "--download", is_flag=True, help="Read the window over the site of each scene found and add it."
)
@click.option(
    "--item", "items", multiple=True, help="With --download: only this item id (repeatable)."
)
@click.option(
    "--margin",
    "margin_m",
    type=float,
    default=300.0,
    show_default=True,
    help="Metres around the site read with --download.",
)
@json_option
@pass_context
def imagery_search(
    ctx, site_ref, catalogue, date_from, date_to, collections, max_items, asset, radius_m,
    download, items, margin_m, as_json,
) -> None:  # fmt: skip
    """Find Sentinel-1, Sentinel-2 and Landsat scenes over SITE in a STAC catalogue; with
    --download, read just the window over the site from each and add it as a scene."""
    from siteline.services.imagery_search import download_scenes, search_site

    case = ctx.case
    found = search_site(
        case, site_ref, date_from, date_to, collections=list(collections) or None,
        catalogue_url=catalogue, max_items=max_items, asset=asset, radius_m=radius_m,
    )  # fmt: skip
    if download:
        chosen = [scene for scene in found if not items or scene["item_id"] in items]
        added = download_scenes(
            case, site_ref, chosen, catalogue_url=catalogue, margin_m=margin_m,
            radius_m=radius_m, asset=asset,
        )  # fmt: skip
        if as_json:
            emit_json(added)
            return
        click.echo(f"{len(added)} scene(s) added:")
        emit_table(added, ["id", "title", "captured_at"], False)
        return
    if as_json:
        emit_json(found)
        return
    click.echo(f"{len(found)} scene(s) over the site:")
    emit_table(
        found, ["item_id", "collection", "datetime", "sensor", "cloud_cover", "asset"], False
    )


def evidence_numbers(text: str, field: str) -> list[int]:
    """'12' or '12,13,14' as evidence numbers."""
    from siteline.errors import InvalidInput

    try:
        numbers = [int(part) for part in text.split(",")]
    except ValueError:
        raise InvalidInput(field, f"{text!r} is not evidence numbers such as 12 or 12,13") from None
    return numbers


@imagery_group.command("evaluate")
@click.argument("folder", type=click.Path(file_okay=False, path_type=Path))
@click.option("--sensor", type=click.Choice(SENSORS), required=True, help="Kind of sensor.")
@click.option(
    "--baselines", is_flag=True, help="Also measure the simplest methods on the same pairs."
)
@click.option(
    "--model",
    "model_path",
    type=click.Path(dir_okay=False, path_type=Path),
    help="Measure a trained change model (ONNX) instead; pairs it was trained on are refused.",
)
@json_option
def imagery_evaluate(folder, sensor, baselines, model_path, as_json) -> None:
    """Measure change detection against labels: FOLDER holds A/ (before), B/ (after) and
    label/ (255 changed, 0 unchanged, 128 not labelled), one file per pair id. Needs no case."""
    from siteline.errors import InvalidInput
    from siteline.imagery.evaluate import evaluate_baselines, evaluate_folder

    if not folder.is_dir():
        raise InvalidInput(str(folder), "no such folder")
    if model_path is not None:
        from siteline.imagery.model import evaluate_model

        result = evaluate_model(folder, model_path)
    else:
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
