"""Commands for the material of a case: evidence items and what is derived from them."""

from __future__ import annotations

from pathlib import Path

import click

from siteline.cli.context import pass_context
from siteline.cli.options import location_or_none, parameters, time_or_none
from siteline.cli.output import (
    SEALED,
    emit_json,
    emit_record,
    emit_section,
    emit_table,
    json_option,
)
from siteline.domain.entities import Custody, DerivedItem, EvidenceItem
from siteline.domain.vocabularies import EvidenceKind, Sensitivity
from siteline.errors import InvalidInput
from siteline.services import derived, evidence, search, sites, sources


@click.group("evidence")
def evidence_group() -> None:
    """Evidence items: articles, posts, photos, videos, scenes, testimony, statements…"""


@evidence_group.command("add")
@click.argument("file", required=False, type=click.Path(dir_okay=False))
@click.option("--text", help="The item's text, when there is no file (or alongside it).")
@click.option("--kind", required=True, help=f"One of: {', '.join(k.value for k in EvidenceKind)}.")
@click.option("--title", help="A short title of your own.")
@click.option("--source", "source_ref", help="The source, by number or name.")
@click.option("--site", "site_ref", help="The site the item is about, by number, name or alias.")
@click.option("--url", help="Where the item was found.")
@click.option(
    "--published",
    help="When it was published: YYYY, YYYY-MM, YYYY-MM-DD or YYYY-MM-DDTHH:MM[:SS][Z|±HH:MM].",
)
@click.option("--captured", help="When it was captured (photo taken, scene acquired), same forms.")
@click.option("--collected", help="When it was collected, if not now, same forms.")
@click.option("--location", help="Where it claims to show, as LAT,LON.")
@click.option(
    "--location-precision",
    default="locality",
    show_default=True,
    help="exact (±10 m), vicinity (±100 m), locality (±1 km), area (±10 km) or region.",
)
@click.option(
    "--credibility",
    default=6,
    show_default=True,
    type=int,
    help="Admiralty information credibility 1 (confirmed) to 6 (cannot be judged).",
)
@click.option(
    "--sensitivity",
    default="public",
    show_default=True,
    help=f"One of: {', '.join(s.value for s in Sensitivity)}; confidential is sealed with the case key.",
)
@click.option("--graphic", is_flag=True, help="The item shows graphic violence.")
@click.option("--language", help="The item's language (e.g. ar, en).")
@click.option("--method", help="How it was collected (recorded in its custody record).")
@click.option(
    "--collector", help="Who collected it (default: you, from SITELINE_ACTOR or your login)."
)
@json_option
@pass_context
def evidence_add(
    ctx,
    file,
    text,
    kind,
    title,
    source_ref,
    site_ref,
    url,
    published,
    captured,
    collected,
    location,
    location_precision,
    credibility,
    sensitivity,
    graphic,
    language,
    method,
    collector,
    as_json,
) -> None:
    """Add an item from FILE or from --text, with its custody record."""
    case = ctx.case
    data, media_type = evidence.read_file(Path(file)) if file else (None, None)
    item = EvidenceItem(
        kind=kind,
        title=title,
        text=text,
        data=data,
        original_filename=Path(file).name if file else None,
        media_type=media_type,
        source_id=sources.find_source(case, source_ref)["id"] if source_ref else None,
        site_id=sites.find_site(case, site_ref, "--site")["id"] if site_ref else None,
        source_url=url,
        published=time_or_none(published, "--published"),
        captured=time_or_none(captured, "--captured"),
        collected=time_or_none(collected, "--collected"),
        claimed_location=location_or_none(location, location_precision, "--location"),
        credibility=credibility,
        sensitivity=sensitivity,
        graphic=graphic,
        language=language,
    )
    how = Custody(
        method=method
        or (f"file added from {Path(file).resolve()}" if file else "text entered by hand"),
        collector=collector,
        source_url=url,
    )
    record = evidence.add_evidence(case, item, how)
    emit_record(_visible(record), as_json, title=f"evidence #{record['id']} added:")


def _visible(record: dict) -> dict:
    if record.get("sealed"):
        record = {**record, "sealed": SEALED}
    return record


@evidence_group.command("list")
@click.option("--kind", help="Only items of this kind.")
@click.option("--site", "site_ref", help="By number, name or alias.")
@click.option("--source", "source_ref", help="By number or name.")
@click.option("--sensitivity", help="Only public, restricted or confidential items.")
@click.option("--status", help="Only items in this status of the case's workflow.")
@click.option("--from", "published_from", help="Published on or after (same time forms as add).")
@click.option("--to", "published_to", help="Published on or before.")
@click.option("--search", help="Text in the title or the text (sealed text is never searched).")
@click.option("--author", help="Posts by this account (handle, with or without @).")
@click.option("--deleted", is_flag=True, help="Include deleted items.")
@click.option("--limit", type=int, help="At most this many items.")
@json_option
@pass_context
def evidence_list(
    ctx,
    kind,
    site_ref,
    source_ref,
    sensitivity,
    status,
    published_from,
    published_to,
    search,
    author,
    deleted,
    limit,
    as_json,
) -> None:
    """List items matching every filter given."""
    case = ctx.case
    rows = evidence.list_evidence(
        case,
        kind=kind,
        site_id=sites.find_site(case, site_ref, "--site")["id"] if site_ref else None,
        source_id=sources.find_source(case, source_ref)["id"] if source_ref else None,
        sensitivity=sensitivity,
        status=status,
        published_from=time_or_none(published_from, "--from"),
        published_to=time_or_none(published_to, "--to"),
        text=search,
        author=author,
        include_deleted=deleted,
        limit=limit,
    )
    for row in rows:
        row["text"] = SEALED if row["sealed"] else row["text"]
    columns = ["id", "kind", "title", "published_at", "sensitivity", "verification_status", "text"]
    emit_table(rows, columns + (["deleted_at"] if deleted else []), as_json)


@evidence_group.command("search")
@click.argument("query")
@click.option("--kind", help="Only items of this kind.")
@click.option("--site", "site_ref", help="Only items about this site (number, name or alias).")
@click.option(
    "--limit",
    default=20,
    show_default=True,
    type=int,
    help=f"At most this many items (up to {search.MAX_LIMIT}).",
)
@click.option("--after", "cursor", help="The cursor a previous page printed: its next page.")
@json_option
@pass_context
def evidence_search(ctx, query, kind, site_ref, limit, cursor, as_json) -> None:
    """Search titles, texts, file names, authors and addresses: words (all must match),
    "quoted phrases" and prefixes (hosp*). Sealed text is never searched."""
    case = ctx.case
    found = search.search_evidence(
        case,
        query,
        sensitivities=list(Sensitivity),  # a terminal user sees every item, as with list
        kind=kind,
        site_id=sites.find_site(case, site_ref, "--site")["id"] if site_ref else None,
        cursor=cursor,
        limit=limit,
    )
    if as_json:
        emit_json(found)
        return
    if not found["items"]:
        click.echo("(none)")
    for item in found["items"]:
        published = (item["published_at"] or "-")[:10]
        title = item["title"] or item["original_filename"] or "(no title)"
        click.echo(f"#{item['id']}  {item['kind']}  {published}  {item['sensitivity']}  {title}")
        if item["snippet"]:
            marked = "".join(
                f"[{part['text']}]" if part["match"] else part["text"]
                for part in item["snippet"]["parts"]
            )
            click.echo(f"    {item['snippet']['field']}: {marked}")
    order = "by relevance" if found["order"] == "relevance" else "most recently added first"
    click.echo(f"({len(found['items'])} shown, {order})")
    if found["next"]:
        click.echo(f"more: --after {found['next']}")


@evidence_group.command("show")
@click.argument("item", type=int)
@json_option
@pass_context
def evidence_show(ctx, item, as_json) -> None:
    """Show an item with its custody records, links, derived items and history.

    Sealed text is shown when the case key is given."""
    case = ctx.case
    record = evidence.show_evidence(case, item, reveal=case.sealer.has_key)
    if as_json:
        emit_json(
            _visible(record)
            if not case.sealer.has_key
            else {**record, "sealed": "(opened)" if record["sealed"] else None}
        )
        return
    emit_record(
        _visible(record) if not case.sealer.has_key else {**record, "sealed": None},
        False,
        title=f"evidence #{item}:",
    )
    emit_section(
        "custody",
        record["custody"],
        ["collector", "tool", "tool_version", "collected_at", "method", "source_url", "sha256"],
    )
    emit_section(
        "links", record["links"], ["incident_id", "role", "rationale", "linked_by", "created_at"]
    )
    emit_section(
        "derived", record["derived"], ["id", "kind", "method", "method_version", "blob_sha256"]
    )
    emit_section("history", record["history"], ["seq", "at", "actor", "action", "hash"])


@evidence_group.command("update")
@click.argument("item", type=int)
@click.option("--credibility", type=int, help="Admiralty information credibility 1-6.")
@click.option("--verified-location", help="Where verification places it, as LAT,LON.")
@click.option("--verified-precision", default="exact", show_default=True)
@click.option("--site", "site_ref", help="The site the item is about.")
@click.option("--title", help="A short title of your own.")
@json_option
@pass_context
def evidence_update(
    ctx, item, credibility, verified_location, verified_precision, site_ref, title, as_json
) -> None:
    """Correct an item's assessments. The material itself never changes; its status moves
    only through the workflow ('siteline review')."""
    case = ctx.case
    record = evidence.update_evidence(
        case,
        item,
        credibility=credibility,
        verified_location=location_or_none(
            verified_location, verified_precision, "--verified-location"
        ),
        site_id=sites.find_site(case, site_ref, "--site")["id"] if site_ref else None,
        title=title,
    )
    emit_record(_visible(record), as_json, title=f"evidence #{item} updated:")


@evidence_group.command("delete")
@click.argument("item", type=int)
@click.option("--reason", required=True, help="Why; kept in the audit chain.")
@pass_context
def evidence_delete(ctx, item, reason) -> None:
    """Mark an item deleted. Nothing is erased: it stays in the case and its history."""
    evidence.delete_evidence(ctx.case, item, reason)
    click.echo(f"evidence #{item} marked deleted")


@evidence_group.command("original")
@click.argument("item", type=int)
@click.option(
    "-o",
    "--output",
    required=True,
    type=click.Path(dir_okay=False),
    help="Where to write the bytes.",
)
@pass_context
def evidence_original(ctx, item, output) -> None:
    """Write an item's original bytes to a file (opening sealed ones with the key)."""
    target = Path(output)
    if target.exists():
        raise InvalidInput(str(target), "a file is already there; choose another name")
    target.write_bytes(evidence.read_original(ctx.case, item))
    click.echo(f"evidence #{item} written to {target}")


@click.group("derived")
def derived_group() -> None:
    """Items computed from evidence: working copies, keyframes, change maps."""


@derived_group.command("add")
@click.option(
    "--parent",
    "parents",
    multiple=True,
    required=True,
    help="SHA-256 of a parent original (repeatable).",
)
@click.option("--kind", required=True, help="What it is, e.g. working_copy, keyframe, change_map.")
@click.option("--method", required=True, help="The program or procedure that made it.")
@click.option("--method-version", required=True, help="The exact version of that method.")
@click.option("--param", "params", multiple=True, help="A parameter as NAME=VALUE (repeatable).")
@click.option("--file", "file", type=click.Path(dir_okay=False), help="The derived bytes.")
@click.option("--evidence", "evidence_id", type=int, help="The item it was derived from.")
@json_option
@pass_context
def derived_add(
    ctx, parents, kind, method, method_version, params, file, evidence_id, as_json
) -> None:
    """Record a derived item with its parents, method, version and parameters."""
    data, media_type = evidence.read_file(Path(file)) if file else (None, None)
    item = DerivedItem(
        kind=kind,
        parents=list(parents),
        method=method,
        method_version=method_version,
        parameters=parameters(params),
        data=data,
        media_type=media_type,
        evidence_id=evidence_id,
    )
    emit_record(derived.add_derived(ctx.case, item), as_json, title="derived item added:")


COMMANDS = [evidence_group, derived_group]
