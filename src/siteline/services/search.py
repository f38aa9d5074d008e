"""Searching a case's evidence: words, phrases and prefixes with filters, a page at a time,
fast over millions of items, and never an item the asker may not see.

The database keeps the index (migration 0007), so every writer keeps it current; how a
page is found on each database is in `search_pages`; how a search is read and a snippet
marked, in `analysis.search_text`. Sealed (confidential) text is never searched: it is
not in the clear in the database. docs/search.md tells the whole of it.
"""

from __future__ import annotations

import base64
import binascii
import hashlib
import json
import math
from collections.abc import Iterable

from sqlalchemy import select, text

from siteline.analysis.search_text import Query, parse_query, snippet
from siteline.domain.values import FuzzyTime
from siteline.domain.vocabularies import EvidenceKind, Sensitivity, parse_term
from siteline.errors import InvalidInput
from siteline.services import search_pages
from siteline.services.search_pages import ADDED, RELEVANCE, Position
from siteline.services.workflow_setting import workflow_of
from siteline.store.case_folder import Case
from siteline.store.schema import evidence

DEFAULT_LIMIT = 25  # a results page
MAX_LIMIT = 200
COUNT_LIMIT = 10_000  # `count` counts this far, then says "more than"
_CURSOR_CHARS = 300

# What a result shows of an item: never its text (a snippet of it), never sealed material.
RESULT_FIELDS = (
    "id",
    "kind",
    "title",
    "published_at",
    "published_precision",
    "sensitivity",
    "graphic",
    "verification_status",
    "site_id",
    "source_id",
    "platform",
    "author_handle",
    "author_name",
    "source_url",
    "original_filename",
    "language",
    "created_at",
)
# Where a snippet is taken from, the first that holds a searched word.
SNIPPET_FIELDS = (
    "text",
    "title",
    "original_filename",
    "author_name",
    "author_handle",
    "source_url",
    "platform",
)

# What migration 0007 adds beside the declared schema, left out of the comparison of the
# two (tests/test_migrations.py): the SQLite index and its tables (evidence_search_*), the
# PostgreSQL column and its index.
INDEX_OBJECTS = frozenset({"evidence_search", "search_document", "ix_evidence_search"})


def is_index_object(name: str | None) -> bool:
    return bool(name) and (name in INDEX_OBJECTS or name.startswith("evidence_search_"))


def search_evidence(
    case: Case,
    query: str | None,
    *,
    sensitivities: Iterable[str | Sensitivity],
    kind: str | None = None,
    site_id: int | None = None,
    source_id: int | None = None,
    status: str | None = None,
    published_since: FuzzyTime | str | None = None,
    published_until: FuzzyTime | str | None = None,
    cursor: str | None = None,
    limit: int = DEFAULT_LIMIT,
    count: bool = False,
) -> dict:
    """A page of the items matching `query` (None: every item) and every filter, among
    the `sensitivities` the asker may see (required: there is no default that shows
    everything). Returns {"items", "next" (a cursor for the following page, or None),
    "order" ("relevance" or "added": most recently added first)}, and with `count`,
    "total_estimate" (counted up to COUNT_LIMIT) and "total_is_exact"."""
    levels = visible_levels(sensitivities)
    limit = _checked_limit(limit)
    since = _time(published_since, "published_since")
    until = _time(published_until, "published_until")
    filters = [query, sorted(levels), kind, site_id, source_id, status]
    filters += [since and since.stored, until and until.stored]
    key = hashlib.sha256(json.dumps(filters, default=str).encode()).hexdigest()[:16]
    after = read_cursor(cursor, key) if cursor else None
    parsed = None if query is None else parse_query(query)
    conditions = _conditions(case, levels, kind, site_id, source_id, status, since, until)
    _catch_up(case)
    with case.read() as connection:
        finder = search_pages.finder(connection, parsed)
        order = after.order if after else finder.order()
        found = finder.page(conditions, order, after, limit + 1)
        rows = _rows(connection, [item_id for item_id, _ in found[:limit]], levels)
        total = finder.count(conditions, COUNT_LIMIT) if count else None
    result = {
        "items": [_item(rows[item_id], parsed) for item_id, _ in found[:limit] if item_id in rows],
        "next": _cursor(order, found[limit - 1], key) if len(found) > limit else None,
        "order": order,
    }
    if total is not None:
        result["total_estimate"] = min(total, COUNT_LIMIT)
        result["total_is_exact"] = total <= COUNT_LIMIT
    return result


# Whether the SQLite index has anything waiting (as migration 0007's trigger asks).
_STALE = text(
    "SELECT EXISTS (SELECT 1 FROM evidence_search_queue) OR "
    "coalesce((SELECT max(id) FROM evidence) > (SELECT last_id FROM evidence_search_done), 0)"
)


def _catch_up(case: Case) -> None:
    """Indexes what a change made outside Siteline left waiting in SQLite (an item added
    or changed by another tool): Siteline's own changes leave nothing (migration 0007)."""
    if case.backend != "sqlite":
        return
    with case.read() as connection:
        if not connection.execute(_STALE).scalar():
            return
    with case.write() as transaction:
        transaction.connection.execute(
            text("INSERT INTO evidence_search_queue(op) VALUES ('sync')")
        )


def visible_levels(sensitivities: Iterable[str | Sensitivity]) -> frozenset[str]:
    if isinstance(sensitivities, str | Sensitivity):
        sensitivities = [sensitivities]
    levels = frozenset(
        parse_term(Sensitivity, level, "sensitivities").value for level in sensitivities
    )
    if not levels:
        raise InvalidInput(
            "sensitivities", "name the sensitivities the asker may see (public at least)"
        )
    return levels


def _checked_limit(limit: int) -> int:
    if isinstance(limit, bool) or not isinstance(limit, int) or not 1 <= limit <= MAX_LIMIT:
        raise InvalidInput("limit", f"a number of items from 1 to {MAX_LIMIT}, not {limit!r}")
    return limit


def _time(value: FuzzyTime | str | None, field: str) -> FuzzyTime | None:
    if value is None or isinstance(value, FuzzyTime):
        return value
    return FuzzyTime.parse(value, field)


def _conditions(case, levels, kind, site_id, source_id, status, since, until) -> list:
    """The filters, on the evidence table. None when every sensitivity may be seen, so
    that an unfiltered search never reads the table while it ranks."""
    conditions = []
    if levels != {level.value for level in Sensitivity}:
        conditions.append(evidence.c.sensitivity.in_(sorted(levels)))
    if kind:
        conditions.append(evidence.c.kind == parse_term(EvidenceKind, kind, "kind").value)
    if site_id is not None:
        conditions.append(evidence.c.site_id == site_id)
    if source_id is not None:
        conditions.append(evidence.c.source_id == source_id)
    if status:
        workflow = workflow_of(case)
        stored = workflow.stored_names(workflow.parse_status(status, "status"))
        conditions.append(evidence.c.verification_status.in_(stored))
    if since:
        conditions.append(evidence.c.published_at >= since.stored)
    if until:
        conditions.append(evidence.c.published_at <= until.end.strftime("%Y-%m-%dT%H:%M:%SZ"))
    return conditions


def _rows(connection, ids: list[int], levels: frozenset[str]) -> dict[int, dict]:
    """The page's items, checked once more against what the asker may see."""
    if not ids:
        return {}
    columns = {*RESULT_FIELDS, *SNIPPET_FIELDS}
    query = select(*(evidence.c[name] for name in sorted(columns))).where(
        evidence.c.id.in_(ids),
        evidence.c.deleted_at.is_(None),
        evidence.c.sensitivity.in_(sorted(levels)),
    )
    return {row["id"]: dict(row) for row in connection.execute(query).mappings()}


def _item(row: dict, query: Query | None) -> dict:
    item = {name: row[name] for name in RESULT_FIELDS}
    item["snippet"] = snippet(row, query, SNIPPET_FIELDS) if query else None
    return item


# Cursors: where a page ended, and which search it belongs to.


def _cursor(order: str, last: tuple[int, float | None], key: str) -> str:
    last_id, score = last
    payload = json.dumps([order, score, last_id, key], separators=(",", ":"))
    return base64.urlsafe_b64encode(payload.encode()).decode().rstrip("=")


def read_cursor(cursor: str, key: str) -> Position:
    problem = "not a cursor a search gave; start again from the first page"
    if not isinstance(cursor, str) or len(cursor) > _CURSOR_CHARS:
        raise InvalidInput("cursor", problem)
    try:
        padded = cursor + "=" * (-len(cursor) % 4)
        order, score, last_id, found = json.loads(base64.urlsafe_b64decode(padded))
    except (ValueError, TypeError, binascii.Error):
        raise InvalidInput("cursor", problem) from None
    scored = isinstance(score, int | float) and not isinstance(score, bool)
    scored = scored and math.isfinite(score)
    if not (
        isinstance(last_id, int)
        and not isinstance(last_id, bool)
        and ((order == RELEVANCE and scored) or (order == ADDED and score is None))
    ):
        raise InvalidInput("cursor", problem)
    if found != key:
        raise InvalidInput(
            "cursor",
            "it belongs to another search or other filters; start again from the first page",
        )
    return Position(order, score, last_id)
