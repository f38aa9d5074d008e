"""What the pages show of a case to one person: counts of what they may see, the recent
activity that concerns what they may see, and links that are safe to follow.

A page never shows the title, text or file name of an item the viewer may not see; where
a visible record points at one, it names it only by its sensitivity ("withheld"). The
item-level checks are shared with the API (`api_visibility`). Everything here reads.
"""

from __future__ import annotations

import json
import re
from urllib.parse import urlsplit

from sqlalchemy import func, select

from siteline.domain.roles import Permission
from siteline.domain.vocabularies import Sensitivity
from siteline.services import cases
from siteline.store.schema import (
    audit_log,
    claims,
    evidence,
    evidence_links,
    incidents,
    link_proposals,
    reviews,
    sites,
    sources,
)
from siteline.web.api_visibility import levels
from siteline.web.security import Viewer

ACTIVITY_LIMIT = 20
# How far back the activity scan reads to find ACTIVITY_LIMIT entries the viewer may see.
ACTIVITY_SCAN = 400
# Records that say nothing about any one item: counted and shown to every reader.
OPEN_KINDS = {"site": sites, "source": sources, "incident": incidents, "claim": claims}
OPEN_KINDS["proposal"] = link_proposals
# Records about an item, shown only when the item is visible: their table's item column.
ITEM_KINDS = {"link": evidence_links.c.evidence_id, "review": reviews.c.evidence_id}
ACCOUNT_KINDS = ("account", "token", "password")
ITEM_NUMBER = re.compile(r"#(\d+)\b")


def sees_everything(viewer: Viewer) -> bool:
    return levels(viewer) == {level.value for level in Sensitivity}


def visible_counts(viewer: Viewer) -> dict[str, int]:
    """How many records of each kind the case holds, counting only what `viewer` may see:
    the whole summary for one who sees every sensitivity; otherwise the records that name
    no item, and the items (and their links and reviews) of the visible sensitivities."""
    if sees_everything(viewer):
        summary = cases.summary(viewer.case)
        counts = {key: value for key, value in summary.items() if isinstance(value, int)}
    else:
        counts = _counts_within(viewer)
    if not viewer.can(Permission.MANAGE_ACCOUNTS):
        for key in ACCOUNT_KINDS:
            counts.pop(key, None)
    return counts


def _counts_within(viewer: Viewer) -> dict[str, int]:
    shown = sorted(levels(viewer))
    visible = select(evidence.c.id).where(
        evidence.c.sensitivity.in_(shown), evidence.c.deleted_at.is_(None)
    )
    counts = {}
    with viewer.case.read() as connection:
        for kind, table in OPEN_KINDS.items():
            query = select(func.count()).select_from(table).where(table.c.deleted_at.is_(None))
            counts[kind] = connection.execute(query).scalar()
        counts["evidence"] = connection.execute(
            select(func.count()).select_from(visible.subquery())
        ).scalar()
        for kind, column in ITEM_KINDS.items():
            query = select(func.count()).select_from(column.table)
            query = query.where(column.in_(visible), column.table.c.deleted_at.is_(None))
            counts[kind] = connection.execute(query).scalar()
    return counts


def recent_activity(viewer: Viewer, limit: int = ACTIVITY_LIMIT) -> list[dict]:
    """The latest audit entries the viewer may know of, newest first: who did what to
    which record, named by its title only when the viewer may see the record. Entries of
    a batch of items, and of records about items they may not see, are left out for a
    role that does not see every sensitivity; entries about accounts, for one who does not
    manage them."""
    with viewer.case.read() as connection:
        rows = [
            dict(row)
            for row in connection.execute(
                select(audit_log).order_by(audit_log.c.seq.desc()).limit(ACTIVITY_SCAN)
            ).mappings()
        ]
        shown = [entry for entry in (_entry(connection, viewer, row) for row in rows) if entry]
    return shown[:limit]


def _entry(connection, viewer: Viewer, row: dict) -> dict | None:
    kind, object_id = row["object_type"], row["object_id"]
    entry = {
        "seq": row["seq"],
        "at": row["at"],
        "actor": row["actor"],
        "action": row["action"],
        "object_type": kind,
        "object_id": object_id,
        "label": None,
        "href": None,
    }
    if kind in ACCOUNT_KINDS:
        return entry if viewer.can(Permission.MANAGE_ACCOUNTS) else None
    if not object_id.isdigit() or object_id.startswith("0"):
        # A batch span ("0000012-0000040"): several items at once, named by count only.
        return entry if sees_everything(viewer) else None
    number = int(object_id)
    if kind == "evidence":
        item = _item(connection, number)
        if item is None or item["sensitivity"] not in levels(viewer):
            return None
        return {**entry, "label": item["title"], "href": f"/evidence/{number}"}
    if kind in ITEM_KINDS:
        item_id = _item_of(connection, ITEM_KINDS[kind], number, row)
        item = _item(connection, item_id) if item_id is not None else None
        if item is None or item["sensitivity"] not in levels(viewer):
            return None
        return {**entry, "href": f"/evidence/{item_id}"}
    if kind == "claim" and _claim_hidden(connection, viewer, number):
        return None  # it appeared in an item the viewer may not see: so is the claim
    if kind in OPEN_KINDS:
        return {**entry, **_open_label(connection, kind, number)}
    return entry if sees_everything(viewer) else None


def _item(connection, item_id: int) -> dict | None:
    query = select(evidence.c.title, evidence.c.sensitivity).where(evidence.c.id == item_id)
    row = connection.execute(query).mappings().first()
    return dict(row) if row else None


def _item_of(connection, column, number: int, row: dict) -> int | None:
    found = connection.execute(select(column).where(column.table.c.id == number)).scalar()
    if found is not None:
        return found
    state = json.loads(row["after"] or row["before"] or "{}")
    value = state.get("evidence_id") if isinstance(state, dict) else None
    return value if isinstance(value, int) else None


def _claim_hidden(connection, viewer: Viewer, number: int) -> bool:
    item_id = connection.execute(select(claims.c.evidence_id).where(claims.c.id == number)).scalar()
    item = _item(connection, item_id) if item_id is not None else None
    return item is not None and item["sensitivity"] not in levels(viewer)


def _open_label(connection, kind: str, number: int) -> dict:
    table = OPEN_KINDS[kind]
    column = {"site": "name", "source": "name", "incident": "title", "claim": "speaker"}
    if kind not in column:
        return {"href": "/proposals"}
    label = connection.execute(select(table.c[column[kind]]).where(table.c.id == number)).scalar()
    pages = {"site": f"/sites/{number}", "incident": f"/incidents/{number}", "claim": "/claims"}
    return {"label": label, "href": pages.get(kind)}


def visible_titles(viewer: Viewer, ids: set[int]) -> dict[int, str | None]:
    """The titles of those of `ids` the viewer may see (live items of their
    sensitivities); the others are simply absent."""
    if not ids:
        return {}
    query = select(evidence.c.id, evidence.c.title).where(
        evidence.c.id.in_(sorted(ids)),
        evidence.c.sensitivity.in_(sorted(levels(viewer))),
        evidence.c.deleted_at.is_(None),
    )
    with viewer.case.read() as connection:
        return {row.id: row.title for row in connection.execute(query)}


def masked_reasons(written: str | None, hidden: dict[int, str]) -> list[str]:
    """A person's reasons, line by line, each "#N" naming an item the viewer may not see
    replaced by its sensitivity ("a restricted item")."""

    def name(match: re.Match) -> str:
        level = hidden.get(int(match.group(1)))
        if level is None:
            return match.group(0)
        return "a confidential item" if level == "confidential" else "a restricted item"

    masked = ITEM_NUMBER.sub(name, written or "")
    return [line for line in masked.splitlines() if line.strip()]


def safe_link(url: str | None) -> str | None:
    """`url` when a browser may follow it (http or https), else None: the page then shows
    it as text only, so that a `javascript:` address in evidence never runs."""
    if not url or not isinstance(url, str):
        return None
    try:
        parts = urlsplit(url.strip())
    except ValueError:
        return None
    if parts.scheme.lower() not in ("http", "https") or not parts.netloc:
        return None
    return url.strip()
