"""What of the case one person may see through the API: the items of the sensitivities
their role allows, and nothing else, not even a hint of what the rest holds.

An item the viewer may not see is answered as if it did not exist (404), and where a
visible record points at one (an incident's link, a claim's reasons, a near-duplicate)
it is named only by its number and its sensitivity ("withheld"), never by its title,
text, file name, address or hash. Everything here reads; nothing writes.
"""

from __future__ import annotations

from sqlalchemy import select

from siteline.errors import NotFound
from siteline.services import evidence as evidence_service
from siteline.store.schema import evidence
from siteline.web.security import Viewer

# What an answer may show of an item the viewer sees. Never `sealed` (ciphertext),
# `native` (a source's record, which may name a witness) or `details` (ingest notes).
ITEM_FIELDS = (
    "id",
    "kind",
    "title",
    "text",
    "original_filename",
    "blob_sha256",
    "source_id",
    "site_id",
    "source_url",
    "published_at",
    "published_precision",
    "captured_at",
    "captured_precision",
    "collected_at",
    "collected_precision",
    "claimed_lat",
    "claimed_lon",
    "claimed_precision",
    "verified_lat",
    "verified_lon",
    "verified_precision",
    "credibility",
    "verification_status",
    "sensitivity",
    "graphic",
    "language",
    "within_id",
    "platform",
    "platform_id",
    "author_handle",
    "author_name",
    "created_at",
    "deleted_at",
)


def levels(viewer: Viewer) -> frozenset[str]:
    return frozenset(level.value for level in viewer.sensitivities)


def may_see(viewer: Viewer, item: dict) -> bool:
    return item["sensitivity"] in levels(viewer)


def hidden_items(viewer: Viewer) -> dict[int, str]:
    """Every item the viewer may not see: its number → its sensitivity."""
    query = select(evidence.c.id, evidence.c.sensitivity).where(
        evidence.c.sensitivity.not_in(sorted(levels(viewer)))
    )
    with viewer.case.read() as connection:
        return {row.id: row.sensitivity for row in connection.execute(query)}


def withheld(item_id: int, level: str) -> dict:
    return {"id": item_id, "withheld": True, "sensitivity": level}


def visible_item(viewer: Viewer, item_id: int) -> dict:
    """The item, or NotFound (the same answer as for no item at all) when the viewer may
    not see it. Sealed content is opened only for a role allowed it with the key loaded."""
    try:
        item = evidence_service.get_evidence(viewer.case, item_id, reveal=viewer.may_open_sealed)
    except NotFound:
        raise NotFound(f"evidence: no item #{item_id} in this case") from None
    if not may_see(viewer, item):
        raise NotFound(f"evidence: no item #{item_id} in this case")
    return item


def shown_item(item: dict) -> dict:
    """The fields of an item an answer may carry."""
    return {key: item.get(key) for key in ITEM_FIELDS}
