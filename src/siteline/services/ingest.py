"""What every ingest run shares: one transaction per run, items recognised when they come
again, changed items stored as new versions, relations, and a report of what happened.

A run adds the input file as an item with its original bytes, then what lies within it
(posts, rows) as items pointing to it. An item's `ingest_key` is its identity in its
source ("twitter:1234", "acled:SYR1234"): if an item with that key is already in the case
and its content is the same, nothing is added; if its content changed, the new content
is added as a new item with a `version_of` relation to the newest one before it.
"""

from __future__ import annotations

import gc
from collections.abc import Iterable, Sequence
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from sqlalchemy import bindparam, select

from siteline.domain.entities import Custody, EvidenceItem
from siteline.domain.vocabularies import RelationKind
from siteline.errors import InvalidInput, SitelineError
from siteline.ingest.model import RowProblem
from siteline.services import evidence as evidence_service
from siteline.store.blobs import sha256_hex
from siteline.store.case_folder import Case
from siteline.store.schema import evidence, evidence_relations
from siteline.store.transaction import Transaction

KEY_CHUNK = 500


@dataclass
class IngestReport:
    """What one run did, file by file, and every record it could not read."""

    files: int = 0
    added: int = 0
    unchanged: int = 0
    versions: int = 0
    claims: int = 0
    relations: int = 0
    problems: list[RowProblem] = field(default_factory=list)
    skipped: dict[str, int] = field(default_factory=dict)
    item_ids: list[int] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems

    def skip(self, reasons: dict[str, int]) -> None:
        for reason, count in reasons.items():
            self.skipped[reason] = self.skipped.get(reason, 0) + count

    def as_dict(self) -> dict:
        return {
            "files": self.files,
            "added": self.added,
            "unchanged": self.unchanged,
            "versions": self.versions,
            "claims": self.claims,
            "relations": self.relations,
            "skipped": self.skipped,
            "problems": [str(problem) for problem in self.problems],
        }


@contextmanager
def gc_paused():
    """Python's cycle collector paused while a run builds rows by the hundred thousand.

    Every few hundred new objects it walks the young ones, and ever more often the old
    ones too, though rows, tuples and strings hold no cycles: on a large dataset that is
    a fifth of the run. Whatever cycles the run makes are collected when it resumes.
    """
    was_enabled = gc.isenabled()
    gc.disable()
    try:
        yield
    finally:
        if was_enabled:
            gc.enable()


def input_files(paths: Iterable[Path], patterns: tuple[str, ...]) -> list[Path]:
    """The files named, and in each folder named every file matching the patterns."""
    found = []
    for path in map(Path, paths):
        if not path.exists():
            raise InvalidInput(str(path), "no such file or folder")
        if path.is_dir():
            found.extend(sorted({hit for pattern in patterns for hit in path.rglob(pattern)}))
        else:
            found.append(path)
    return found


def problem_message(error: SitelineError) -> str:
    """What is wrong, without the file name a RowProblem prints anyway."""
    return getattr(error, "problem", None) or str(error)


def content_fingerprint(item: EvidenceItem) -> str:
    """What must match for an item to count as already present: its bytes, or, for an item
    within another, its text and native record."""
    if item.has_own_original:
        return sha256_hex(item.original_bytes)
    return fingerprint(item.text, evidence_service.native_json(item.native), item.title)


def stored_fingerprint(row: dict) -> str:
    """The same fingerprint, of an item as the case holds it."""
    if row["blob_sha256"] is not None:
        return row["blob_sha256"]
    return fingerprint(row["text"], row["native"], row["title"])


def fingerprint(text: str | None, native_json: str | None, title: str | None) -> str:
    """The fingerprint of an item within another, from its text, its native record as
    stored (JSON text) and its title."""
    # Each part with its length (or '-' when absent), so no two contents read alike.
    parts = [
        f"{len(part)}:{part}" if part is not None else "-" for part in (text, native_json, title)
    ]
    return sha256_hex("\n".join(parts).encode())


# Statements built once, their lists of keys bound at each call: building `.in_(keys)` anew
# checks every one of a chunk's keys in Python, which cost more than the query itself.
_NEWEST_BY_KEY = (
    select(
        evidence.c.id,
        evidence.c.ingest_key,
        evidence.c.blob_sha256,
        evidence.c.text,
        evidence.c.title,
        evidence.c.native,
    )
    .where(
        evidence.c.ingest_key.in_(bindparam("keys", expanding=True)),
        evidence.c.deleted_at.is_(None),
    )
    .order_by(evidence.c.id)
)
_IDS_BY_DIGEST = select(evidence.c.id, evidence.c.blob_sha256).where(
    evidence.c.blob_sha256.in_(bindparam("digests", expanding=True)),
    evidence.c.deleted_at.is_(None),
)


def newest_by_key(transaction: Transaction, keys: Sequence[str]) -> dict[str, dict]:
    """The newest live item for each key already in the case."""
    found: dict[str, dict] = {}
    unique = list(dict.fromkeys(keys))
    for start in range(0, len(unique), KEY_CHUNK):
        chunk = unique[start : start + KEY_CHUNK]
        for row in transaction.connection.execute(_NEWEST_BY_KEY, {"keys": chunk}).mappings():
            found[row["ingest_key"]] = dict(row)  # later ids overwrite: the newest wins
    return found


def ids_by_digest(transaction: Transaction, digests: Sequence[str]) -> dict[str, int]:
    """The live item holding each of these originals, where one does."""
    found: dict[str, int] = {}
    unique = list(dict.fromkeys(digests))
    for start in range(0, len(unique), KEY_CHUNK):
        chunk = unique[start : start + KEY_CHUNK]
        rows = transaction.connection.execute(_IDS_BY_DIGEST, {"digests": chunk})
        found.update({row.blob_sha256: row.id for row in rows})
    return found


def add_file_item(
    case: Case, transaction: Transaction, item: EvidenceItem, how: Custody, report: IngestReport
) -> int:
    """The input file itself, stored once: a file ingested again is the same item."""
    report.files += 1
    return add_keyed_items(case, transaction, [(item, how)], report)[0]


def add_keyed_items(
    case: Case,
    transaction: Transaction,
    items: Sequence[tuple[EvidenceItem, Custody]],
    report: IngestReport,
) -> list[int]:
    """Adds items not yet present; returns, for each item given, the id it has in the case
    (its own new id, or the id of the same item already there)."""
    keys = [item.ingest_key for item, _ in items]
    digests = [
        sha256_hex(item.original_bytes) if item.has_own_original else None for item, _ in items
    ]
    plan = _Plan(
        transaction, keys, digests, lambda position: content_fingerprint(items[position][0])
    )
    chosen = [items[position] for position in plan.new]
    added = evidence_service.add_items(case, transaction, chosen) if chosen else []
    return _settle(transaction, plan, [record["id"] for record in added], report)


@dataclass
class KeyedRow:
    """An item within another given as its values (`ROW_COLUMNS` of its adapter), with its
    key and its content (text, native record as stored, title): what bulk ingest adds
    without building items."""

    key: str
    values: tuple
    content: tuple[str | None, str | None, str | None]

    @property
    def fingerprint(self) -> str:
        # Worked out only for a row whose key was met before: most rows of a run are new.
        return fingerprint(*self.content)


def add_keyed_rows(
    transaction: Transaction, columns: tuple[str, ...], rows: Sequence[KeyedRow], report
) -> list[int]:
    """As `add_keyed_items`, for items within another given as values; the new ones go in
    with batch audit entries and share the custody of the item they lie within."""
    plan = _Plan(
        transaction,
        [row.key for row in rows],
        [None] * len(rows),
        lambda position: rows[position].fingerprint,
    )
    added = transaction.insert_batch("evidence", columns, [rows[p].values for p in plan.new])
    return _settle(transaction, plan, added, report)


def _settle(transaction: Transaction, plan: _Plan, added: list[int], report) -> list[int]:
    """Gives every position its id, and records new versions of items changed."""
    for position, new_id in zip(plan.new, added, strict=True):
        plan.ids[position] = new_id
    report.item_ids.extend(added)
    for position, first in plan.copies:
        plan.ids[position] = plan.ids[first]
    report.added += len(added)
    report.unchanged += plan.unchanged
    versions = [(plan.ids[position], plan.resolve(old)) for position, old in plan.replaced.items()]
    add_relations(transaction, versions, RelationKind.VERSION_OF, report)
    report.versions += len(versions)
    return plan.ids


class _Plan:
    """Which items of a run to add, which are already present, and which are versions.

    Items are known by position: each has a key (or None), the digest of its own
    original (or None), and a fingerprint of its content, asked for only when an item
    of the same key was met before.
    """

    def __init__(self, transaction: Transaction, keys: list, digests: list, fingerprint_at):
        self.known = newest_by_key(transaction, [key for key in keys if key])
        # The same bytes under another name (an article saved twice) are the same item.
        self.by_digest = ids_by_digest(transaction, [d for d in digests if d])
        self.fingerprint_at = fingerprint_at
        self.ids: list = [None] * len(keys)
        self.new: list[int] = []  # positions of the items to add, in order
        self.replaced: dict[int, tuple[str, int]] = {}  # position -> ("id"|"position", n)
        self.copies: list[tuple[int, int]] = []  # (position, position of the same item)
        self.first_of_key: dict[str, int] = {}  # key -> its latest position in the run
        self.first_of_digest: dict[str, int] = {}
        for position, (key, digest) in enumerate(zip(keys, digests, strict=True)):
            self.place(position, key, digest)

    def place(self, position: int, key: str | None, digest: str | None) -> None:
        earlier = self.first_of_key.get(key) if key else None
        previous = self.known.get(key) if key else None
        # Only an item met before needs its content compared: most of a first run is new.
        fingerprint = self.fingerprint_at(position) if earlier is not None or previous else None
        same_as_earlier = earlier is not None and self.fingerprint_at(earlier) == fingerprint
        if same_as_earlier or digest in self.first_of_digest:
            first = earlier if earlier is not None else self.first_of_digest[digest]
            self.copies.append((position, first))  # the same record twice in one input
            return
        if digest and digest in self.by_digest:
            self._present(position, self.by_digest[digest], key, digest)
        elif previous and earlier is None and stored_fingerprint(previous) == fingerprint:
            self._present(position, previous["id"], key, digest)
        else:
            if earlier is not None:  # the same key with other content, earlier in this input
                self.replaced[position] = ("position", earlier)
            elif previous:
                self.replaced[position] = ("id", previous["id"])
            self.new.append(position)
            self._remember(position, key, digest)

    def _present(self, position, item_id, key, digest) -> None:
        self.ids[position] = item_id
        self._remember(position, key, digest)

    def _remember(self, position, key, digest) -> None:
        if key:
            self.first_of_key[key] = position
        if digest:
            self.first_of_digest.setdefault(digest, position)

    @property
    def unchanged(self) -> int:
        return len(self.ids) - len(self.new)

    def resolve(self, old: tuple[str, int]) -> int:
        kind, number = old
        return number if kind == "id" else self.ids[number]


def add_relations(
    transaction: Transaction,
    pairs: Sequence[tuple[int, int]],
    relation: RelationKind,
    report: IngestReport,
) -> None:
    """Relations not already recorded between the same two items."""
    wanted = [(source, target) for source, target in dict.fromkeys(pairs) if source != target]
    recorded = _recorded(transaction, relation, [source for source, _ in wanted])
    rows = [
        {"evidence_id": source, "relation": relation.value, "related_id": target}
        for source, target in wanted
        if (source, target) not in recorded
    ]
    transaction.insert_many("relation", rows)
    report.relations += len(rows)


def _recorded(transaction: Transaction, relation: RelationKind, sources: list[int]) -> set:
    table = evidence_relations
    found: set[tuple[int, int]] = set()
    unique = list(dict.fromkeys(sources))
    for start in range(0, len(unique), KEY_CHUNK):
        query = select(table.c.evidence_id, table.c.related_id).where(
            table.c.evidence_id.in_(unique[start : start + KEY_CHUNK]),
            table.c.relation == relation.value,
            table.c.deleted_at.is_(None),
        )
        found.update(
            (row.evidence_id, row.related_id) for row in transaction.connection.execute(query)
        )
    return found


def build_or_report(report: IngestReport, file: str, line: int | None, build, *args, **kwargs):
    """An item built from one record, or None with the record's problem reported: a value
    the case cannot hold (a date in the future…) loses that record, not the run."""
    try:
        return build(*args, **kwargs)
    except InvalidInput as error:
        report.problems.append(RowProblem(file, line, str(error)))
        return None
