"""Derived items: what was computed from evidence, by which method, version and parameters.

A working copy, a keyframe or a change map never replaces its original: it points to its
parents by hash, so that anyone holding the originals can compute it again and compare.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from siteline.domain.entities import Custody, DerivedItem
from siteline.errors import NotFound
from siteline.services.cases import ensure_key_recorded
from siteline.services.evidence import blob_context, custody_row
from siteline.store.blobs import sha256_hex
from siteline.store.case_folder import Case
from siteline.store.schema import blobs, derived_items


def add_derived(case: Case, item: DerivedItem) -> dict:
    return add_derived_items(case, [item])[0]


def add_derived_items(case: Case, items: list[DerivedItem]) -> list[dict]:
    """Several derived items in one transaction: all of them, or, on any error, none."""
    with case.write() as transaction:
        return [add_in_transaction(case, transaction, item) for item in items]


def add_in_transaction(case: Case, transaction, item: DerivedItem) -> dict:
    """One derived item inside a transaction the caller holds."""
    parents = dict(
        transaction.connection.execute(
            select(blobs.c.id, blobs.c.encrypted).where(blobs.c.id.in_(item.parents))
        ).all()
    )
    missing = [parent for parent in item.parents if parent not in parents]
    if missing:
        raise NotFound(f"parents: no stored original with sha256 {missing[0]}")
    if item.evidence_id is not None:
        transaction.require("evidence", item.evidence_id, field="evidence")
    digest = None
    if item.data is not None:
        # What is computed from sealed material is as confidential as its parent.
        sealed = None
        if any(parents.values()):
            ensure_key_recorded(case, transaction)
            sealed = case.sealer.seal(item.data, blob_context(sha256_hex(item.data)))
        digest = transaction.put_blob(item.data, item.media_type, sealed_data=sealed)
    record = transaction.insert(
        "derived",
        {
            "evidence_id": item.evidence_id,
            "kind": item.kind,
            "blob_sha256": digest,
            "parents": json.dumps(item.parents),
            "method": item.method,
            "method_version": item.method_version,
            "parameters": json.dumps(item.parameters, sort_keys=True, ensure_ascii=False),
        },
    )
    how = Custody(
        method=f"derived by {item.method} {item.method_version}",
        tool=item.method,
        tool_version=item.method_version,
    )
    transaction.insert("custody", custody_row(case, how, "derived", record["id"], digest))
    return record


def get_derived(case: Case, derived_id: int) -> dict:
    with case.read() as connection:
        row = (
            connection.execute(select(derived_items).where(derived_items.c.id == derived_id))
            .mappings()
            .first()
        )
    if row is None:
        raise NotFound(f"derived: no derived item #{derived_id} in this case")
    record = dict(row)
    record["parents"] = json.loads(record["parents"])
    record["parameters"] = json.loads(record["parameters"])
    return record
