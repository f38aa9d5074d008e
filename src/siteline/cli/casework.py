"""Commands for the case as a whole: creating it, keys, verification, bundles, the demo."""

from __future__ import annotations

from pathlib import Path

import click

from siteline.cli.context import pass_context
from siteline.cli.output import emit_json, emit_record, emit_table, json_option
from siteline.keys import write_new_key
from siteline.services import audit, cases


@click.command("init")
@click.argument("folder", type=click.Path(file_okay=False))
@click.option("--name", help="The case's name (default: the folder's name).")
@click.option("--description", help="A longer description.")
@click.option(
    "--database-url",
    envvar="SITELINE_DATABASE_URL",
    help="Keep the case in PostgreSQL (postgresql://…); default: SQLite in the folder.",
)
@pass_context
def init(ctx, folder, name, description, database_url) -> None:
    """Create a new case in FOLDER."""
    case = cases.init_case(Path(folder), name, description, database_url, ctx.key_file)
    click.echo(f"case {case.description['name']!r} created in {folder} ({case.backend})")
    case.close()


@click.command("status")
@json_option
@pass_context
def status(ctx, as_json) -> None:
    """What the case holds."""
    emit_record(cases.summary(ctx.case), as_json, title="case:")


@click.group("key")
def key_group() -> None:
    """The key that seals confidential material. Keep it outside the case folder."""


@key_group.command("new")
@click.argument("path", type=click.Path(dir_okay=False))
def key_new(path) -> None:
    """Write a new random key to PATH (readable by you only)."""
    fingerprint = write_new_key(Path(path))
    click.echo(
        f"key written to {path} (fingerprint {fingerprint}); keep it safe and out of the case folder"
    )


@click.group("audit")
def audit_group() -> None:
    """The case's tamper-evident audit chain."""


@audit_group.command("verify")
@json_option
@pass_context
def audit_verify(ctx, as_json) -> None:
    """Check the chain, every record and every stored file; exit 1 if anything is wrong."""
    report = audit.verify(ctx.case)
    if as_json:
        emit_json(
            {
                "ok": report.ok,
                "entries": report.entries,
                "records": report.records,
                "blobs": report.blobs,
                "problems": [str(p) for p in report.problems],
            }
        )
    else:
        click.echo(
            f"checked {report.entries} audit entries, {report.records} records, {report.blobs} blobs"
        )
        for problem in report.problems:
            click.echo(f"PROBLEM {problem}")
        click.echo(
            "audit chain verified: nothing altered, removed, inserted or reordered"
            if report.ok
            else f"{len(report.problems)} problem(s); the first is listed first"
        )
    if not report.ok:
        raise SystemExit(1)


@click.group("export")
def export_group() -> None:
    """Write the case out in open formats."""


@export_group.command("bundle")
@click.argument("destination", type=click.Path(file_okay=False))
@click.option(
    "--confidential",
    type=click.Choice(["omit", "sealed"]),
    default="omit",
    show_default=True,
    help="Leave confidential items out, or carry them sealed (encrypted).",
)
@click.option(
    "--public",
    is_flag=True,
    help="Also leave out restricted items and witness identities; for publication, not restoration.",
)
@json_option
@pass_context
def export_bundle(ctx, destination, confidential, public, as_json) -> None:
    """Write a BagIt bundle: every record (JSON lines), every blob, custody and the audit chain."""
    from siteline.services import bundles

    summary = bundles.export_bundle(
        ctx.case, Path(destination), confidential=confidential, public=public
    )
    emit_record(summary, as_json, title=f"bundle written to {destination}:")


@click.group("import")
def import_group() -> None:
    """Bring material in from outside."""


@import_group.command("bundle")
@click.argument("bundle", type=click.Path(file_okay=False))
@click.argument("folder", type=click.Path(file_okay=False))
@pass_context
def import_bundle(ctx, bundle, folder) -> None:
    """Restore BUNDLE into a new case in FOLDER, after checking every checksum and the chain."""
    from siteline.services import bundles

    case = bundles.import_bundle(Path(bundle), Path(folder), key_file=ctx.key_file)
    click.echo(f"bundle restored into {folder} ({case.backend})")
    case.close()


@click.command("demo")
@click.argument("folder", default="demo-case", type=click.Path(file_okay=False))
@click.option("--replace", is_flag=True, help="Replace an earlier demo case in FOLDER.")
@click.option(
    "--serve/--no-serve",
    default=True,
    show_default=True,
    help="Then serve the case in the workbench, with a demo login, until stopped.",
)
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="Its port."
)
@json_option
@pass_context
def demo(ctx, folder, replace, serve, port, as_json) -> None:
    """Build the fictional demonstration case in FOLDER, say what it made, and serve it."""
    from siteline.cli.web import run_workbench
    from siteline.services import demo as demo_service

    summary = demo_service.build_demo(Path(folder), ctx.key_file, replace=replace)
    if as_json:
        emit_json(summary)
    else:
        _describe_demo(summary)
    if not serve:
        return
    case = cases.open_case(Path(folder), Path(summary["key_file"]))
    try:
        name, password = demo_service.add_demo_login(case)
        click.echo(
            f"\nThe workbench: http://127.0.0.1:{port}/  sign in as {name!r} with the password "
            f"{password} (made for this demo; an owner). Ctrl-C stops it.",
            err=True,
        )
        run_workbench(case, port=port)
    finally:
        case.close()


def _describe_change(imagery: dict) -> None:
    result = imagery["result"]
    craters = sum(1 for found in result["objects"] if found["crater_like"])
    click.echo(
        f"\nSatellite change at the hospital (scenes #{imagery['scenes']['before']} and "
        f"#{imagery['scenes']['after']}): {100 * result['site_changed_fraction']:.1f} % of the "
        f"site changed against {100 * result['ring_changed_fraction']:.1f} % of the ring around "
        f"it (block test p = {result['block_p_value']:.3f}); {craters} crater-like object(s). "
        f"Figure: derived item #{imagery['analysis']['change_figure']}."
    )


def _describe_copies(media: dict) -> None:
    click.echo("\nCopies among the photos and the clip (siteline media clusters):")
    for cluster in media["clusters"]:
        first = next(i for i in cluster["items"] if i["evidence_id"] == cluster["first_seen"])
        others = ", ".join(
            f"#{item['evidence_id']} {item['title']}"
            for item in cluster["items"]
            if item["evidence_id"] != cluster["first_seen"]
        )
        click.echo(
            f"  first seen #{first['evidence_id']} {first['title']} "
            f"({cluster['first_seen_basis']} {cluster['first_seen_time']}); copies: {others}"
        )


def _describe_demo(summary: dict) -> None:
    """What the demo made, read back from the case, and where to look next."""
    from siteline.services import claims, evidence, incidents, sites

    counts, report, folder = summary["counts"], summary["audit"], summary["folder"]
    click.echo(
        f"Built the demonstration case {counts['case']!r} in {folder} ({counts['backend']})."
    )
    made = "made" if summary["key_created"] else "reused"
    click.echo(f"Its key ({made}): {summary['key_file']}, kept outside the case folder.")
    case = cases.open_case(Path(folder), Path(summary["key_file"]))
    try:
        click.echo("\nSites:")
        emit_table(sites.list_sites(case), ["id", "name", "kind", "operator"], False)
        click.echo("\nEvidence:")
        emit_table(evidence.list_evidence(case), ["id", "kind", "title", "sensitivity"], False)
        click.echo("\nIncidents (proposed by `siteline link`, confirmed by a person):")
        columns = ["id", "site_id", "title", "window_start_at", "certainty", "certainty_rule"]
        emit_table(incidents.list_incidents(case), columns, False)
        click.echo("\nClaims (verdicts computed from the evidence; a candidate awaits a person):")
        columns = ["id", "speaker", "quote", "verdict", "verdict_rule", "status"]
        emit_table(claims.list_claims(case), columns, False)
    finally:
        case.close()
    _describe_change(summary["imagery"])
    _describe_copies(summary["media"])
    outcome = "intact" if report["ok"] else "PROBLEMS: " + "; ".join(report["problems"])
    click.echo(
        f"\nAudit chain: {report['entries']} entries; {report['records']} records and "
        f"{report['blobs']} files checked: {outcome}."
    )
    click.echo(
        f"Report: {summary['report']['path']} (self-contained HTML; restricted items withheld)"
    )
    click.echo(
        f"Look further: siteline -C {folder} incident show 1 / claim show 1 / link list / stats"
    )


COMMANDS = [init, status, key_group, audit_group, export_group, import_group, demo]
