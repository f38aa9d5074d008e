"""Commands for verification: moving items through the case's workflow, signing off the
steps that need a second person, and the workflow itself."""

from __future__ import annotations

from contextlib import contextmanager
from pathlib import Path

import click

from siteline.cli.context import pass_context
from siteline.cli.output import emit_json, emit_table, json_option
from siteline.domain.checks import describe, label
from siteline.domain.workflow import DEFAULT_WORKFLOW, Workflow
from siteline.errors import InvalidInput
from siteline.services import verification

# The option a person typed for each field a check is refused on.
OPTION_OF_FIELD = {
    "geolocation": "--geolocation-method/--geolocation-precision",
    "geolocation.method": "--geolocation-method",
    "geolocation.precision": "--geolocation-precision",
    "geolocation.location": "--location",
    "chronolocation": "--chronolocation-method",
    "chronolocation.method": "--chronolocation-method",
    "chronolocation.time": "--chronolocation-time",
    "source_assessment": "--source-assessment",
    "source_assessment.grade": "--source-assessment",
    "source_assessment.note": "--assessment-note",
    "note": "--note",
}


class ReviewGroup(click.Group):
    """`siteline review ITEM STATUS …` is read as `siteline review move ITEM STATUS …`."""

    def resolve_command(self, ctx, args):
        if args and args[0] not in self.commands and args[0].isdigit():
            return "move", self.commands["move"], args
        return super().resolve_command(ctx, args)


@click.group("review", cls=ReviewGroup)
def review_group() -> None:
    """Verification steps: move an item through the workflow (`siteline review ITEM STATUS`),
    sign off a step that needs a second person, and read an item's steps."""


@review_group.command("move")
@click.argument("item", type=int)
@click.argument("status")
@click.option("--geolocation-method", help="How the place was found (landmarks matched to…).")
@click.option(
    "--geolocation-precision", help="exact, vicinity, locality, area or region: how closely."
)
@click.option("--location", help="The place it shows, as LAT,LON (default: its claimed place).")
@click.option("--chronolocation-method", help="How the time was found (shadows, weather…).")
@click.option("--chronolocation-time", help="The time established (YYYY[-MM[-DD[THH:MM]]]).")
@click.option("--source-assessment", help="The Admiralty grade, e.g. B2: source A-F, item 1-6.")
@click.option("--assessment-note", help="Why the source and the item were graded so.")
@click.option("--note", help="A note on the step (required to discard: say why).")
@json_option
@pass_context
def review_move(
    ctx,
    item,
    status,
    geolocation_method,
    geolocation_precision,
    location,
    chronolocation_method,
    chronolocation_time,
    source_assessment,
    assessment_note,
    note,
    as_json,
) -> None:
    """Move ITEM to STATUS, with the checks that status requires."""
    checks = {
        "geolocation": _given(
            method=geolocation_method, precision=geolocation_precision, location=location
        ),
        "chronolocation": _given(method=chronolocation_method, time=chronolocation_time),
        "source_assessment": _given(grade=source_assessment, note=assessment_note),
    }
    with _options_named():
        review = verification.transition(ctx.case, item, status, checks, note)
    if as_json:
        emit_json(review)
    elif review["state"] == verification.AWAITING:
        click.echo(
            f"evidence #{item}: review #{review['id']} asks to move it from "
            f"{review['from_status']} to {review['to_status']}; it stays {review['from_status']} "
            f"until a second person runs 'siteline review sign-off {item}'"
        )
    else:
        click.echo(
            f"evidence #{item}: {review['from_status']} -> {review['to_status']} "
            f"(review #{review['id']})"
        )
    if not as_json and review["checks"]:
        click.echo(f"  checks: {describe(review['checks'])}")


def _given(**fields) -> dict:
    return {name: value for name, value in fields.items() if value is not None}


@contextmanager
def _options_named():
    """Re-raises a refused field as the option the person typed."""
    try:
        yield
    except InvalidInput as error:
        if error.field in OPTION_OF_FIELD:
            raise InvalidInput(OPTION_OF_FIELD[error.field], error.problem) from None
        raise


@review_group.command("sign-off")
@click.argument("item", type=int)
@click.option("--note", help="A note on the sign-off.")
@json_option
@pass_context
def review_sign_off(ctx, item, note, as_json) -> None:
    """Sign off the step ITEM awaits; you must not be the person who asked for it."""
    review = verification.sign_off(ctx.case, item, note)
    if as_json:
        emit_json(review)
        return
    click.echo(
        f"evidence #{item}: {review['from_status']} -> {review['to_status']} (review "
        f"#{review['id']}, asked by {review['actor']}, signed off by {review['signed_off_by']})"
    )


@review_group.command("withdraw")
@click.argument("item", type=int)
@click.option("--note", help="Why it is withdrawn.")
@json_option
@pass_context
def review_withdraw(ctx, item, note, as_json) -> None:
    """Withdraw the step ITEM awaits a sign-off of; the item stays where it is."""
    review = verification.withdraw(ctx.case, item, note)
    if as_json:
        emit_json(review)
        return
    click.echo(
        f"evidence #{item}: review #{review['id']} withdrawn; it stays {review['from_status']}"
    )


@review_group.command("history")
@click.argument("item", type=int)
@json_option
@pass_context
def review_history(ctx, item, as_json) -> None:
    """Every verification step of ITEM, oldest first, with its checks."""
    _emit_reviews(verification.history(ctx.case, item), as_json)


@review_group.command("pending")
@json_option
@pass_context
def review_pending(ctx, as_json) -> None:
    """Every step awaiting a second person's sign-off."""
    _emit_reviews(verification.pending(ctx.case), as_json)


def _emit_reviews(rows: list[dict], as_json: bool) -> None:
    if as_json:
        emit_json(rows)
        return
    shown = [{**row, "checks": describe(row["checks"]) or None} for row in rows]
    columns = ["id", "evidence_id", "created_at", "actor", "from_status", "to_status", "state"]
    emit_table(shown, [*columns, "signed_off_by", "checks", "note"], False)


@click.group("workflow")
def workflow_group() -> None:
    """The case's verification workflow: its statuses, moves, checks and sign-offs."""


@workflow_group.command("show")
@click.option("--default", "default", is_flag=True, help="Show the default workflow instead.")
@json_option
@pass_context
def workflow_show(ctx, default, as_json) -> None:
    """Show the case's workflow (--json gives the file 'workflow set' reads)."""
    workflow = DEFAULT_WORKFLOW if default else verification.workflow_of(ctx.case)
    if as_json:
        emit_json(workflow.to_dict())
        return
    which = "the default workflow" if workflow == DEFAULT_WORKFLOW else "the case's own workflow"
    click.echo(f"{which}; items start {workflow.initial}:")
    for status in workflow.statuses:
        click.echo(f"  {status}: {_status_line(workflow, status)}")


def _status_line(workflow: Workflow, status: str) -> str:
    parts = []
    if status == workflow.verified_status:
        parts.append("counts as verified")
    if status == workflow.discarded_status:
        parts.append("counts as discarded")
    needs = [label(check) for check in workflow.required_checks(status)]
    if workflow.needs_note(status):
        needs.append("a note")
    if workflow.needs_sign_off(status):
        needs.append("a second person's sign-off")
    if needs:
        parts.append(f"needs {', '.join(needs)}")
    following = workflow.next_statuses(status)
    parts.append(f"next: {', '.join(following) if following else '(final)'}")
    return "; ".join(parts)


@workflow_group.command("set")
@click.argument("file", type=click.Path(dir_okay=False))
@json_option
@pass_context
def workflow_set(ctx, file, as_json) -> None:
    """Make the workflow in FILE (JSON) the case's."""
    path = Path(file)
    try:
        text = path.read_text(encoding="utf-8")
    except FileNotFoundError:
        raise InvalidInput(str(path), "no such file") from None
    except (OSError, UnicodeDecodeError) as error:
        raise InvalidInput(str(path), f"cannot be read as UTF-8 text ({error})") from None
    record = verification.set_workflow(ctx.case, Workflow.from_json(text, where=str(path)))
    if as_json:
        emit_json({**record, "value": Workflow.from_json(record["value"]).to_dict()})
        return
    click.echo(f"the case's workflow is now the one in {path} (setting #{record['id']})")


COMMANDS = [review_group, workflow_group]
