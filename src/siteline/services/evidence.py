"""Evidence items: adding them with their original bytes and custody, finding them,
showing one with its whole history, and the few changes an item may undergo."""

from __future__ import annotations

import json
import mimetypes
from collections.abc import Iterable, Sequence
from pathlib import Path

from sqlalchemy import func, or_, select

from siteline import __version__
from siteline.analysis.grades import admiralty
from siteline.domain.entities import Custody, EvidenceItem
from siteline.domain.values import FuzzyTime, Location
from siteline.domain.vocabularies import EvidenceKind, Sensitivity, parse_term
from siteline.errors import Duplicate, InvalidInput, NotFound
from siteline.services.cases import ensure_key_recorded
from siteline.services.findings import refreshes_findings
from siteline.services.sealing import blob_context, sealed_context  # noqa: F401 (re-exported)
from siteline.services.workflow_setting import workflow_in, workflow_of
from siteline.store import audit
from siteline.store.blobs import sha256_hex
from siteline.store.canonical import compact_json
from siteline.store.case_folder import Case
from siteline.store.schema import (
    audit_log,
    blobs,
    custody,
    derived_items,
    evidence,
    evidence_links,
    evidence_relations,
    sources,
)
from siteline.store.transaction import Transaction, utc_now_stored

# Lookups of existing hashes go to the database in chunks this large.
HASH_CHUNK = 500


def read_file(path: Path) -> tuple[bytes, str | None]:
    """The bytes of a file a person named, and its media type; a clear error if unreadable."""
    path = Path(path)
    if not path.exists():
        raise InvalidInput(str(path), "no such file")
    if not path.is_file():
        raise InvalidInput(str(path), "not a file")
    try:
        data = path.read_bytes()
    except OSError as error:
        raise InvalidInput(str(path), f"cannot be read ({error.strerror})") from None
    return data, mimetypes.guess_type(path.name)[0]


def add_evidence(case: Case, item: EvidenceItem, how: Custody) -> dict:
    return add_many(case, [(item, how)])[0]


def add_many(case: Case, items: Sequence[tuple[EvidenceItem, Custody]]) -> list[dict]:
    """Adds items in one transaction: all of them, or, on any error, none."""
    with case.write() as transaction:
        return add_items(case, transaction, items)


def add_items(
    case: Case, transaction: Transaction, items: Sequence[tuple[EvidenceItem, Custody]]
) -> list[dict]:
    """Adds items inside a transaction the caller holds (an ingest run adds a file and
    what lies within it together)."""
    digests = [
        sha256_hex(item.original_bytes) if item.has_own_original else None for item, _ in items
    ]
    _refuse_duplicates(transaction, items, digests)
    _check_references(transaction, [item for item, _ in items])
    if any(item.confidential for item, _ in items):
        ensure_key_recorded(case, transaction)
    now = utc_now_stored()
    stored_before = _existing_blobs(transaction, items, digests)
    files, blob_rows = [], []
    for (item, _), digest in zip(items, digests, strict=True):
        if digest is not None and digest not in stored_before:
            on_disk, stored_digest = _as_stored(case, item, digest)
            files.append((on_disk, stored_digest))
            blob_rows.append(_blob_row(item, digest, stored_digest, now))
    transaction.write_new_blobs(files)
    # Every item starts at the workflow's first status; only `siteline review` moves it.
    initial = workflow_in(transaction.connection).initial
    records, custody_rows = [], []
    for (item, how), digest in zip(items, digests, strict=True):
        evidence_id = transaction.next_id("evidence")
        records.append(_evidence_row(case, item, evidence_id, digest, how, now, initial))
        custody_rows.append(_custody_row(case, how, evidence_id, digest, now))
    transaction.insert_many("blob", blob_rows)
    added = transaction.insert_many("evidence", records)
    transaction.insert_many("custody", custody_rows)
    return added


def _refuse_duplicates(transaction: Transaction, items, digests: list[str]) -> None:
    first_seen: dict[str, str] = {}
    for (item, _), digest in zip(items, digests, strict=True):
        if digest is None:
            continue
        where = item.original_filename or "text"
        if digest in first_seen:
            raise Duplicate(f"{where}: the same bytes as {first_seen[digest]} in this batch")
        first_seen[digest] = where
    for chunk in _chunks(list(first_seen), HASH_CHUNK):
        query = select(evidence.c.id, evidence.c.blob_sha256).where(
            evidence.c.blob_sha256.in_(chunk), evidence.c.deleted_at.is_(None)
        )
        for row in transaction.connection.execute(query):
            raise Duplicate(
                f"{first_seen[row.blob_sha256]}: the same bytes are already evidence #{row.id} "
                f"(sha256 {row.blob_sha256})"
            )


def _existing_blobs(transaction: Transaction, items, digests: list[str]) -> set[str]:
    """Blobs already stored (the bytes of a deleted item added again are not stored twice).

    Stored bytes keep the sealing they were stored with, so bytes once stored in the clear
    cannot come back as confidential (they are already readable on disk), nor sealed bytes
    come back as public (they could not be read without the key)."""
    found: dict[str, bool] = {}
    for chunk in _chunks([digest for digest in digests if digest], HASH_CHUNK):
        query = select(blobs.c.id, blobs.c.encrypted).where(blobs.c.id.in_(chunk))
        found.update(transaction.connection.execute(query).all())
    for (item, _), digest in zip(items, digests, strict=True):
        if digest in found and found[digest] != item.confidential:
            stored_as = "sealed" if found[digest] else "in the clear"
            raise InvalidInput(
                item.original_filename or "text",
                f"these bytes were stored {stored_as} for a deleted item (sha256 {digest}); "
                f"they cannot be added again as {item.sensitivity.value}",
            )
    return set(found)


def _check_references(transaction: Transaction, items: Iterable[EvidenceItem]) -> None:
    checked: set[tuple[str, int]] = set()
    for item in items:
        references = (("source", item.source_id), ("site", item.site_id))
        for object_type, object_id in (*references, ("evidence", item.within_id)):
            if object_id is not None and (object_type, object_id) not in checked:
                transaction.require(object_type, object_id, field=object_type)
                checked.add((object_type, object_id))


def _as_stored(case: Case, item: EvidenceItem, digest: str) -> tuple[bytes, str]:
    """The bytes that go to disk for an item, and their SHA-256: sealed when confidential."""
    if item.confidential:
        sealed = case.sealer.seal(item.original_bytes, blob_context(digest))
        return sealed, sha256_hex(sealed)
    return item.original_bytes, digest  # already hashed: no second pass over the bytes


def _blob_row(item: EvidenceItem, digest: str, stored_digest: str, now: str) -> dict:
    media_type = item.media_type or ("text/plain; charset=utf-8" if item.data is None else None)
    return {
        "id": digest,
        "size": len(item.original_bytes),
        "media_type": media_type,
        "encrypted": item.confidential,
        "stored_sha256": stored_digest,
        "created_at": now,
    }


def _evidence_row(
    case: Case,
    item: EvidenceItem,
    evidence_id: int,
    digest: str,
    how: Custody,
    now: str,
    status: str,
) -> dict:
    row = {
        "id": evidence_id,
        "kind": item.kind.value,
        "title": item.title,
        "text": item.text,
        "original_filename": item.original_filename,
        "blob_sha256": digest,
        "source_id": item.source_id,
        "site_id": item.site_id,
        "source_url": item.source_url or how.source_url,
        "credibility": item.credibility,
        "verification_status": status,
        "sensitivity": item.sensitivity.value,
        "graphic": item.graphic,
        "language": item.language,
        "native": native_json(item.native),
        "ingest_key": item.ingest_key,
        "within_id": item.within_id,
        "platform": item.platform,
        "platform_id": item.platform_id,
        "author_handle": item.author_handle,
        "author_name": item.author_name,
        "details": _json_or_none(item.details),
        "created_at": now,
        **_times(item, how, now),
        **_location_columns("claimed", item.claimed_location),
        **_location_columns("verified", item.verified_location),
    }
    if item.confidential:
        secret = {"text": item.text, "original_filename": item.original_filename}
        row["sealed"] = case.sealer.seal_text(
            json.dumps(secret, ensure_ascii=False), sealed_context(evidence_id)
        )
        row["text"] = row["original_filename"] = None
    return row


def native_json(native: dict | None) -> str | None:
    """A native record as stored: its columns in the source's order, so that it can be
    written back exactly as it came (an ACLED export round-trips)."""
    return compact_json(native) if native else None


def _json_or_none(value: dict | None) -> str | None:
    return json.dumps(value, ensure_ascii=False, sort_keys=True) if value else None


def _times(item: EvidenceItem, how: Custody, now: str) -> dict:
    collected = item.collected or how.collected_at
    columns = {"collected_at": now, "collected_precision": "second"}
    if collected:
        columns = {
            "collected_at": collected.stored,
            "collected_precision": collected.precision.value,
        }
    for name in ("published", "captured"):
        value: FuzzyTime | None = getattr(item, name)
        columns[f"{name}_at"] = value.stored if value else None
        columns[f"{name}_precision"] = value.precision.value if value else None
    return columns


def _location_columns(prefix: str, location: Location | None) -> dict:
    return {
        f"{prefix}_lat": location.lat if location else None,
        f"{prefix}_lon": location.lon if location else None,
        f"{prefix}_precision": location.precision.value if location else None,
    }


def _custody_row(
    case: Case, how: Custody, object_id: int, digest: str, now: str, object_type: str = "evidence"
) -> dict:
    return {
        "object_type": object_type,
        "object_id": object_id,
        "collector": how.collector or case.actor,
        "tool": how.tool,
        "tool_version": how.tool_version or __version__,
        "collected_at": how.collected_at.stored if how.collected_at else now,
        "method": how.method,
        "source_url": how.source_url,
        "sha256": digest,
        "notes": how.notes,
        "created_at": now,
    }


def custody_row(case: Case, how: Custody, object_type: str, object_id: int, digest: str) -> dict:
    return _custody_row(case, how, object_id, digest, utc_now_stored(), object_type)


def _chunks(values: list, size: int):
    for start in range(0, len(values), size):
        yield values[start : start + size]


# Reading.


def list_evidence(
    case: Case,
    kind: str | None = None,
    site_id: int | None = None,
    source_id: int | None = None,
    sensitivity: str | None = None,
    status: str | None = None,
    published_from: FuzzyTime | None = None,
    published_to: FuzzyTime | None = None,
    text: str | None = None,
    author: str | None = None,
    include_deleted: bool = False,
    limit: int | None = None,
) -> list[dict]:
    """Items matching every filter given, oldest first. Sealed text is never searched."""
    conditions = []
    if kind:
        conditions.append(evidence.c.kind == parse_term(EvidenceKind, kind, "kind").value)
    if site_id is not None:
        conditions.append(evidence.c.site_id == site_id)
    if source_id is not None:
        conditions.append(evidence.c.source_id == source_id)
    if sensitivity:
        conditions.append(
            evidence.c.sensitivity == parse_term(Sensitivity, sensitivity, "sensitivity").value
        )
    if status:
        workflow = workflow_of(case)
        wanted = workflow.stored_names(workflow.parse_status(status, "status"))
        conditions.append(evidence.c.verification_status.in_(wanted))
    if published_from:
        conditions.append(evidence.c.published_at >= published_from.stored)
    if published_to:
        conditions.append(
            evidence.c.published_at <= published_to.end.strftime("%Y-%m-%dT%H:%M:%SZ")
        )
    if text:
        pattern = f"%{text}%"
        conditions.append(or_(evidence.c.text.ilike(pattern), evidence.c.title.ilike(pattern)))
    if author:
        # Handles are not case-sensitive on the platforms; '@' is optional.
        wanted = author.strip().lstrip("@").lower()
        conditions.append(func.lower(evidence.c.author_handle) == wanted)
    if not include_deleted:
        conditions.append(evidence.c.deleted_at.is_(None))
    query = select(evidence).where(*conditions).order_by(evidence.c.id)
    if limit:
        query = query.limit(limit)
    with case.read() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def get_evidence(case: Case, evidence_id: int, reveal: bool = False) -> dict:
    with case.read() as connection:
        row = (
            connection.execute(select(evidence).where(evidence.c.id == evidence_id))
            .mappings()
            .first()
        )
    if row is None:
        raise NotFound(f"evidence: no item #{evidence_id} in this case")
    item = dict(row)
    if reveal and item["sealed"]:
        secret = json.loads(case.sealer.open_text(item["sealed"], sealed_context(evidence_id)))
        item.update(secret)
    return item


def _grade(connection, item: dict) -> str:
    """The item's Admiralty grade, its source's reliability and its credibility: "B2"."""
    reliability = None
    if item["source_id"] is not None:
        reliability = connection.execute(
            select(sources.c.reliability).where(sources.c.id == item["source_id"])
        ).scalar()
    return admiralty(reliability, item["credibility"])


def show_evidence(case: Case, evidence_id: int, reveal: bool = False) -> dict:
    """An item with its custody records, incident links, derived items and full history."""
    item = get_evidence(case, evidence_id, reveal)
    with case.read() as connection:
        item["grade"] = _grade(connection, item)
        item["custody"] = _custody_of(connection, evidence_id)
        if not item["custody"] and item["within_id"] is not None:
            # Rows of a dataset share the custody of their file, which names how it came.
            item["custody"] = _custody_of(connection, item["within_id"])
        item["links"] = [
            dict(row)
            for row in connection.execute(
                select(evidence_links)
                .where(evidence_links.c.evidence_id == evidence_id)
                .order_by(evidence_links.c.id)
            ).mappings()
        ]
        item["derived"] = [
            dict(row)
            for row in connection.execute(
                select(derived_items)
                .where(derived_items.c.evidence_id == evidence_id)
                .order_by(derived_items.c.id)
            ).mappings()
        ]
        item["relations"] = [
            dict(row)
            for row in connection.execute(
                select(evidence_relations)
                .where(
                    or_(
                        evidence_relations.c.evidence_id == evidence_id,
                        evidence_relations.c.related_id == evidence_id,
                    ),
                    evidence_relations.c.deleted_at.is_(None),
                )
                .order_by(evidence_relations.c.id)
            ).mappings()
        ]
        item["history"] = _history(connection, evidence_id)
    return item


def _custody_of(connection, evidence_id: int) -> list[dict]:
    query = (
        select(custody)
        .where(custody.c.object_type == "evidence", custody.c.object_id == evidence_id)
        .order_by(custody.c.id)
    )
    return [dict(row) for row in connection.execute(query).mappings()]


def _history(connection, evidence_id: int) -> list[dict]:
    """Every audit entry about the item: the batch entry that created it, if one did, and
    its own entries."""
    keys = ("seq", "at", "actor", "action", "hash")
    own = (
        select(audit_log)
        .where(audit_log.c.object_type == "evidence", audit_log.c.object_id == str(evidence_id))
        .order_by(audit_log.c.seq)
    )
    # Spans sort as text among ids that begin with '0' (no plain id does): the last one
    # starting at or before this id is the only batch that can hold it.
    batch = (
        select(audit_log)
        .where(
            audit_log.c.object_type == "evidence",
            audit_log.c.object_id >= "0",
            audit_log.c.object_id <= audit.span_upper_bound(evidence_id),
        )
        .order_by(audit_log.c.object_id.desc())
        .limit(1)
    )
    found = [
        row
        for row in connection.execute(batch).mappings()
        if row["action"] == audit.BATCH_ACTION
        and audit.in_batch_span(row["object_id"], evidence_id)
    ]
    found += list(connection.execute(own).mappings())
    return [{key: row[key] for key in keys} for row in sorted(found, key=lambda row: row["seq"])]


def _locator(item: dict) -> str:
    details = json.loads(item["details"]) if item.get("details") else {}
    return details.get("where") or "see its details"


def read_original(case: Case, evidence_id: int) -> bytes:
    """The original bytes, opened with the case key when they are sealed."""
    item = get_evidence(case, evidence_id)
    if item["blob_sha256"] is None:
        raise NotFound(
            f"evidence #{evidence_id} has no original of its own: it lies within the original "
            f"of evidence #{item['within_id']} ({_locator(item)})"
        )
    with case.read() as connection:
        blob = (
            connection.execute(select(blobs).where(blobs.c.id == item["blob_sha256"]))
            .mappings()
            .first()
        )
    stored = case.blobs.read(blob["stored_sha256"])
    if blob["encrypted"]:
        return case.sealer.open(
            stored, blob_context(blob["id"]), purpose=f"evidence #{evidence_id}"
        )
    return stored


# Changing.


@refreshes_findings
def update_evidence(
    case: Case,
    evidence_id: int,
    verification_status: str | None = None,
    credibility: int | None = None,
    verified_location: Location | None = None,
    site_id: int | None = None,
    title: str | None = None,
) -> dict:
    """The assessments that change as verification goes on; the material itself never does.

    The status is not among them: it changes only through the verification workflow, one
    reviewed step at a time (`services.verification.transition`, `siteline review`)."""
    if verification_status is not None:
        raise InvalidInput(
            "verification_status",
            "the verification status changes only through the case's workflow: use "
            "'siteline review ITEM STATUS' (services.verification.transition)",
        )
    changes: dict = {}
    if credibility is not None:
        if not 1 <= credibility <= 6:
            raise InvalidInput("credibility", f"{credibility} is outside 1..6 (Admiralty code)")
        changes["credibility"] = credibility
    if verified_location:
        changes.update(_location_columns("verified", verified_location))
    if title is not None:
        changes["title"] = title
    with case.write() as transaction:
        transaction.require("evidence", evidence_id, field="evidence")
        if site_id is not None:
            transaction.require("site", site_id, field="site")
            changes["site_id"] = site_id
        return transaction.update("evidence", evidence_id, changes)


@refreshes_findings
def delete_evidence(case: Case, evidence_id: int, reason: str) -> dict:
    if not reason or not reason.strip():
        raise InvalidInput(
            "reason", "say why the item is deleted; the reason is kept in the audit chain"
        )
    with case.write() as transaction:
        transaction.require("evidence", evidence_id, field="evidence")
        return transaction.soft_delete("evidence", evidence_id, reason.strip())
