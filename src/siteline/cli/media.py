"""Commands for photos and videos: ingest, and the near-duplicates among them."""

from __future__ import annotations

import sys
from dataclasses import replace

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
@click.option(
    "--match-radius",
    type=int,
    default=31,
    show_default=True,
    help="Most bits (of PDQ's 256) in which a new item and one in the case may differ to match.",
)
@json_option
@pass_context
@click.pass_context
def ingest_media_command(
    click_ctx, ctx, paths, workers, scheduler, quiet, match_radius, as_json
) -> None:
    """Read photos and videos (files or folders): originals, metadata claims, perceptual
    hashes and thumbnails. Run again after an interruption to carry on."""
    from siteline.services.media_ingest import ingest_media

    progress = None if quiet else _progress_line
    report = ingest_media(
        ctx.case, paths, workers=workers, scheduler=scheduler, progress=progress,
        match_radius=match_radius,
    )  # fmt: skip
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


@click.group("media")
def media_group() -> None:
    """Near-duplicates among the case's photos and videos."""


radius_option = click.option(
    "--radius",
    type=int,
    help="Most bits (of PDQ's 256) in which two hashes may differ and still match (default "
    "and most: the radius the items were searched with when they came in).",
)


@media_group.command("matches")
@click.argument("evidence_id", type=int)
@radius_option
@json_option
@pass_context
def media_matches(ctx, evidence_id, radius, as_json) -> None:
    """Every photo or video matching one item, nearest first, and how they match."""
    from siteline.services.media_match import near_duplicates

    found = near_duplicates(ctx.case, evidence_id, radius)
    if as_json:
        emit_json(found)
        return
    if not found["matches"]:
        click.echo(f"#{evidence_id}: no match within {found['radius']} bits")
    for match in found["matches"]:
        click.echo(_match_line(match))


@media_group.command("clusters")
@radius_option
@json_option
@pass_context
def media_clusters(ctx, radius, as_json) -> None:
    """Groups of copies of one picture or clip, each with the copy seen first."""
    from siteline.services.media_match import clusters

    found = clusters(ctx.case, radius)
    if as_json:
        emit_json(found)
        return
    if not found:
        click.echo("no near-duplicates")
    for number, cluster in enumerate(found, 1):
        first = cluster["first_seen"]
        seen = (
            f"first seen #{first} at {cluster['first_seen_time']} ({cluster['first_seen_basis']})"
            if first
            else "first seen: unknown (no copy has a time)"
        )
        click.echo(f"cluster {number}: {len(cluster['items'])} items; {seen}")
        for item in cluster["items"]:
            when = item["earliest_time"] or "no time"
            click.echo(f"  #{item['evidence_id']} {item['kind']} {item['title']!r} — {when}")


def _match_line(match: dict) -> str:
    where = f" at {match['frame_s']:g} s" if "frame_s" in match else ""
    there = f" at {match['matched_frame_s']:g} s" if "matched_frame_s" in match else ""
    frames = f", {match['matched_frames']} frames" if "matched_frames" in match else ""
    return (
        f"#{match['evidence_id']} {match['kind']} {match['title']!r}: distance "
        f"{match['distance']} ({match['variant']}{where} ~ {match['matched_variant']}{there}"
        f"{frames})"
    )


@click.command("capture")
@click.argument("url")
@click.option("--identity", help="Who captures, as recorded in the WARC (default: the actor).")
@click.option(
    "--allow-host",
    "allow_hosts",
    multiple=True,
    help="A host name the capture may reach on a private network or this machine (repeat; "
    "also SITELINE_CAPTURE_ALLOW_HOSTS). Off by default: web content must not reach them.",
)
@click.option("--max-bytes", type=click.IntRange(min=1), help="Most bytes of one response.")
@click.option("--max-media", type=click.IntRange(min=0), help="Most media fetched (100).")
@click.option("--timeout", type=click.FloatRange(min=0.1), help="Seconds for the whole capture.")
@json_option
@pass_context
def capture_command(ctx, url, identity, allow_hosts, max_bytes, max_media, timeout, as_json):
    """Capture a web page and its media into a WARC / WACZ package kept as evidence."""
    from siteline.capture import CaptureLimits, capture_allow_hosts_from_environment
    from siteline.services.capture import capture_into_case

    limits = CaptureLimits()
    changes = {"max_response_bytes": max_bytes, "max_media": max_media, "capture_seconds": timeout}
    limits = replace(limits, **{key: value for key, value in changes.items() if value is not None})
    allowed = frozenset(allow_hosts) | capture_allow_hosts_from_environment()
    found = capture_into_case(
        ctx.case, url, identity=identity, allow_private_hosts=allowed, limits=limits
    )
    if as_json:
        emit_json(found)
        return
    capture = found["capture"]
    click.echo(
        f"evidence #{found['evidence_id']}: {len(capture['records'])} records captured "
        f"from {capture['url']} at {capture['captured_at']} by {capture['identity']}"
    )
    click.echo(f"  WACZ sha256 {capture['wacz_sha256']}")
    for missed in capture["refused"] + capture["skipped"]:
        click.echo(f"  not captured: {missed['url']} ({missed['reason']})")


COMMANDS = [media_group, capture_command]  # `ingest media` joins the ingest group above
