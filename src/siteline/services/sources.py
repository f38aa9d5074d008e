"""Sources of material, graded A–F. A witness is known by a pseudonym; their identity is
sealed with the case key and shown only to whoever holds it."""

from __future__ import annotations

import json

from sqlalchemy import select

from siteline.domain.entities import Source
from siteline.errors import NotFound
from siteline.services.cases import ensure_key_recorded
from siteline.store.case_folder import Case
from siteline.store.schema import sources


def add_source(case: Case, source: Source) -> dict:
    with case.write() as transaction:
        source_id = transaction.next_id("source")
        identity_sealed = None
        if source.identity:
            ensure_key_recorded(case, transaction)
            identity_sealed = case.sealer.seal_text(source.identity, identity_context(source_id))
        return transaction.insert(
            "source",
            {
                "id": source_id,
                "name": source.name,
                "kind": source.kind.value,
                "reliability": source.reliability.value,
                "url": source.url,
                "identity_sealed": identity_sealed,
                "native": json.dumps(source.native, ensure_ascii=False) if source.native else None,
                "notes": source.notes,
            },
        )


def identity_context(source_id: int) -> str:
    return f"source:{source_id}:identity"


def list_sources(case: Case) -> list[dict]:
    with case.read() as connection:
        rows = connection.execute(
            select(sources).where(sources.c.deleted_at.is_(None)).order_by(sources.c.id)
        )
        return [dict(row) for row in rows.mappings()]


def get_source(case: Case, source_id: int, reveal_identity: bool = False) -> dict:
    with case.read() as connection:
        row = (
            connection.execute(select(sources).where(sources.c.id == source_id)).mappings().first()
        )
    if row is None or row["deleted_at"]:
        raise NotFound(f"source: no source #{source_id} in this case")
    source = dict(row)
    if reveal_identity and source["identity_sealed"]:
        source["identity"] = case.sealer.open_text(
            source["identity_sealed"], identity_context(source_id)
        )
    return source


def find_source(case: Case, reference: str | int) -> dict:
    """A source by number or exact name."""
    wanted = str(reference).strip()
    for source in list_sources(case):
        if wanted == str(source["id"]) or wanted.casefold() == source["name"].casefold():
            return source
    raise NotFound(f"source: no source {wanted!r} in this case (see 'siteline source list')")
