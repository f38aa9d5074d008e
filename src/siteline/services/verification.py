"""Verification: moving evidence items through the case's workflow, one audited step at
a time, with the checks each status requires and a second person's sign-off where the
workflow asks for one.

Every step is a review record (who asked, from which status to which, the checks, a note)
written in the same transaction as the item's own change, so the audit chain holds both
or neither. A step to a status that needs a sign-off waits, the item where it was, until a
different person signs it off (or anyone withdraws it). See docs/verification.md.
"""

from __future__ import annotations

import json
from typing import Any

from sqlalchemy import Connection, select

from siteline.domain.checks import GEOLOCATION, evidence_changes, parse_checks
from siteline.domain.workflow import Workflow
from siteline.errors import CaseError, InvalidInput, NotFound
from siteline.services.findings import refreshes_findings
from siteline.services.workflow_setting import (  # noqa: F401 (workflow_of is for callers)
    WORKFLOW_SETTING,
    workflow_in,
    workflow_of,
    workflow_row,
)
from siteline.store.case_folder import Case
from siteline.store.schema import evidence, reviews
from siteline.store.transaction import Transaction, utc_now_stored

DONE, AWAITING, WITHDRAWN = "done", "awaiting_sign_off", "withdrawn"
# Items named in an error, at most; the rest are counted.
NAMED_ITEMS = 10


# The workflow.


@refreshes_findings
def set_workflow(case: Case, workflow: Workflow) -> dict:
    """Makes `workflow` the case's; refused while items or pending steps are in statuses it
    no longer has. Returns the setting record."""
    with case.write() as transaction:
        _refuse_stranded(transaction.connection, workflow)
        existing = workflow_row(transaction.connection)
        value = workflow.to_json()
        if existing:
            return transaction.update("setting", existing["id"], {"value": value})
        return transaction.insert("setting", {"name": WORKFLOW_SETTING, "value": value})


def _refuse_stranded(connection: Connection, workflow: Workflow) -> None:
    stranded: dict[str, list[int]] = {}
    live = select(evidence.c.id, evidence.c.verification_status).where(
        evidence.c.deleted_at.is_(None)
    )
    for row in connection.execute(live.order_by(evidence.c.id)):
        if workflow.status_of(row.verification_status) is None:
            stranded.setdefault(row.verification_status, []).append(row.id)
    if stranded:
        named = "; ".join(f"'{status}': {_items(ids)}" for status, ids in sorted(stranded.items()))
        raise InvalidInput(
            "workflow",
            f"it has no status for items the case holds ({named}); keep those statuses, or "
            "move the items to statuses both workflows have first",
        )
    for review in _pending_reviews(connection):
        if workflow.status_of(review["to_status"]) is None:
            raise InvalidInput(
                "workflow",
                f"review #{review['id']} of evidence #{review['evidence_id']} awaits sign-off "
                f"to '{review['to_status']}', a status it no longer has; sign it off or "
                "withdraw it first",
            )


def _items(ids: list[int]) -> str:
    shown = ", ".join(f"#{item}" for item in ids[:NAMED_ITEMS])
    more = len(ids) - NAMED_ITEMS
    return f"{len(ids)} item{'s' if len(ids) != 1 else ''} ({shown}{f' and {more} more' if more > 0 else ''})"


# Steps.


@refreshes_findings
def transition(
    case: Case,
    evidence_id: int,
    to_status: str,
    checks: dict[str, Any] | None = None,
    note: str | None = None,
) -> dict:
    """Moves an item to `to_status`, with the checks that status requires. Returns the review
    record: 'done', or 'awaiting_sign_off' (the item stays where it was) where the workflow
    asks for a second person."""
    note = _clean(note)
    with case.write() as transaction:
        workflow = workflow_in(transaction.connection)
        target = workflow.parse_status(to_status, "status")
        item = transaction.require("evidence", evidence_id, field="evidence")
        current = _status_of(workflow, item)
        pending = _pending_of(transaction.connection, evidence_id)
        if pending:
            raise InvalidInput(
                "evidence",
                f"evidence #{evidence_id} awaits a sign-off of review #{pending['id']} (to "
                f"'{pending['to_status']}'): sign it off or withdraw it first",
            )
        _refuse_move(workflow, evidence_id, current, target)
        if workflow.needs_note(target) and not note:
            raise InvalidInput("note", f"reaching '{target}' needs a note saying why")
        found = parse_checks(checks, workflow.required_checks(target), target)
        _place_geolocation(item, found)
        awaiting = workflow.needs_sign_off(target)
        review = transaction.insert(
            "review",
            {
                "evidence_id": evidence_id,
                "from_status": current,
                "to_status": target,
                "actor": case.actor,
                "checks": _json(found),
                "note": note,
                "state": AWAITING if awaiting else DONE,
            },
        )
        if not awaiting:
            _move_item(transaction, evidence_id, target, found)
        return _readable(review)


def _refuse_move(workflow: Workflow, evidence_id: int, current: str, target: str) -> None:
    if target == current:
        raise InvalidInput("status", f"evidence #{evidence_id} is already '{current}'")
    if not workflow.allows(current, target):
        following = workflow.next_statuses(current)
        allowed = ", ".join(following) if following else "nowhere (it is final)"
        raise InvalidInput(
            "status",
            f"evidence #{evidence_id} is '{current}' and cannot go to '{target}'; "
            f"from '{current}' it can go to: {allowed}",
        )


def _place_geolocation(item: dict, found: dict) -> None:
    """A geolocation without a place confirms the place the item claims."""
    geolocation = found.get(GEOLOCATION)
    if not geolocation or "lat" in geolocation:
        return
    if item["claimed_lat"] is None:
        raise InvalidInput(
            "geolocation.location",
            f"evidence #{item['id']} claims no place to confirm: give the place it shows as LAT,LON",
        )
    geolocation.update(lat=item["claimed_lat"], lon=item["claimed_lon"], location_from="claimed")


def _move_item(transaction: Transaction, evidence_id: int, target: str, found: dict) -> None:
    changes = {"verification_status": target, **evidence_changes(found)}
    transaction.update("evidence", evidence_id, changes)


@refreshes_findings
def sign_off(case: Case, evidence_id: int, note: str | None = None) -> dict:
    """The second person's sign-off of the step an item awaits: the item moves then, in the
    same transaction as the review's sign-off. Returns the review record."""
    note = _clean(note)
    with case.write() as transaction:
        item = transaction.require("evidence", evidence_id, field="evidence")
        pending = _pending_of(transaction.connection, evidence_id)
        if pending is None:
            raise NotFound(f"evidence #{evidence_id}: no step awaits a sign-off")
        if _same_person(pending["actor"], case.actor):
            raise InvalidInput(
                "actor",
                f"'{case.actor}' asked for review #{pending['id']} (to '{pending['to_status']}'); "
                "a second person must sign it off (SITELINE_ACTOR names who you are)",
            )
        workflow = workflow_in(transaction.connection)
        current = _status_of(workflow, item)
        if current != pending["from_status"] or not workflow.allows(current, pending["to_status"]):
            raise InvalidInput(
                "evidence",
                f"review #{pending['id']} moves evidence #{evidence_id} from "
                f"'{pending['from_status']}' to '{pending['to_status']}', which the case's "
                "workflow no longer allows; withdraw it",
            )
        found = json.loads(pending["checks"])
        decided = {**found, "sign_off": {"note": note}} if note else found
        review = transaction.update(
            "review",
            pending["id"],
            {
                "state": DONE,
                "signed_off_by": case.actor,
                "signed_off_at": utc_now_stored(),
                "checks": _json(decided),
            },
        )
        _move_item(transaction, evidence_id, pending["to_status"], found)
        return _readable(review)


@refreshes_findings
def withdraw(case: Case, evidence_id: int, note: str | None = None) -> dict:
    """Withdraws the step an item awaits a sign-off of; the item stays where it is. (A
    deleted item's pending step can be withdrawn too, so that it blocks nothing.)"""
    note = _clean(note)
    with case.write() as transaction:
        if transaction.get("evidence", evidence_id) is None:
            raise NotFound(f"evidence: no evidence #{evidence_id} in this case")
        pending = _pending_of(transaction.connection, evidence_id)
        if pending is None:
            raise NotFound(f"evidence #{evidence_id}: no step awaits a sign-off")
        withdrawal = {"by": case.actor, **({"note": note} if note else {})}
        checks = {**json.loads(pending["checks"]), "withdrawal": withdrawal}
        review = transaction.update(
            "review", pending["id"], {"state": WITHDRAWN, "checks": _json(checks)}
        )
        return _readable(review)


# Reading.


def history(case: Case, evidence_id: int) -> list[dict]:
    """Every step of an item's verification, oldest first, its checks as a dict."""
    with case.read() as connection:
        found = connection.execute(select(evidence.c.id).where(evidence.c.id == evidence_id))
        if found.first() is None:
            raise NotFound(f"evidence: no item #{evidence_id} in this case")
        query = select(reviews).where(reviews.c.evidence_id == evidence_id).order_by(reviews.c.id)
        return [_readable(dict(row)) for row in connection.execute(query).mappings()]


def pending(case: Case) -> list[dict]:
    """Every step awaiting a second person's sign-off, oldest first."""
    with case.read() as connection:
        return [_readable(review) for review in _pending_reviews(connection)]


def _pending_reviews(connection: Connection) -> list[dict]:
    query = (
        select(reviews)
        .where(reviews.c.state == AWAITING, reviews.c.deleted_at.is_(None))
        .order_by(reviews.c.id)
    )
    return [dict(row) for row in connection.execute(query).mappings()]


def _pending_of(connection: Connection, evidence_id: int) -> dict | None:
    query = select(reviews).where(
        reviews.c.evidence_id == evidence_id,
        reviews.c.state == AWAITING,
        reviews.c.deleted_at.is_(None),
    )
    row = connection.execute(query.order_by(reviews.c.id)).mappings().first()
    return dict(row) if row else None


def _status_of(workflow: Workflow, item: dict) -> str:
    current = workflow.status_of(item["verification_status"])
    if current is None:
        raise CaseError(
            f"evidence #{item['id']} is in status '{item['verification_status']}', which the "
            "case's workflow does not have; set a workflow that has it"
        )
    return current


def _same_person(first: str, second: str) -> bool:
    return first.strip().casefold() == second.strip().casefold()


def _clean(note: str | None) -> str | None:
    return note.strip() if note and note.strip() else None


def _json(value: dict) -> str:
    return json.dumps(value, ensure_ascii=False, sort_keys=True)


def _readable(review: dict) -> dict:
    return {**review, "checks": json.loads(review["checks"])}
