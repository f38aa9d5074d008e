"""Evidence through the API: a page of items (filtered, or searched in full text), an
item with everything known of it, its original bytes, and uploads.

Only items of the sensitivities the viewer's role allows are ever listed or shown; any
other answers 404, as if it did not exist. Where a shown item points at one the viewer
may not see, that one is named only by number and sensitivity. Original bytes are always
sent as an attachment with a media type that no browser renders as a page or a script.
"""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query
from sqlalchemy import select
from starlette.responses import Response

from siteline.domain.roles import Permission
from siteline.errors import NotFound
from siteline.services import evidence as evidence_service
from siteline.services import media_match, search, verification
from siteline.store.schema import blobs, claims, evidence
from siteline.web import api_visibility
from siteline.web.models import ERROR_RESPONSES, MAX_ID, RecordId
from siteline.web.models_api import EvidencePage, Note, ReviewStep
from siteline.web.security import Viewer, allowed

router = APIRouter(prefix="/api/evidence", tags=["evidence"], responses=ERROR_RESPONSES)
Reader = allowed(Permission.READ_PUBLIC)
Reviewer = allowed(Permission.REVIEW)
SignsOff = allowed(Permission.SIGN_OFF)

Record = dict[str, Any]
# Media types an original is sent with as they are; anything else (HTML, SVG, scripts…)
# goes as application/octet-stream, so that no browser runs it.
SAFE_TYPES = frozenset(
    {
        "image/jpeg",
        "image/png",
        "image/gif",
        "image/webp",
        "image/tiff",
        "video/mp4",
        "video/webm",
        "video/quicktime",
        "audio/mpeg",
        "application/pdf",
        "application/json",
        "text/plain",
        "text/csv",
    }
)
RecordFilter = Annotated[int | None, Query(ge=1, le=MAX_ID)]
Short = Annotated[str | None, Query(max_length=200)]


@router.get("", response_model=EvidencePage)
def list_evidence(
    viewer: Reader,
    q: Annotated[str | None, Query(max_length=1000, description="Full-text search.")] = None,
    kind: Short = None,
    site: RecordFilter = None,
    source: RecordFilter = None,
    status: Short = None,
    since: Annotated[str | None, Query(max_length=40, description="Published from.")] = None,
    until: Annotated[str | None, Query(max_length=40, description="Published to.")] = None,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
    limit: Annotated[int, Query(ge=1, le=search.MAX_LIMIT)] = search.DEFAULT_LIMIT,
) -> dict:
    """A page of the items the viewer may see, matching every filter (and `q`, words,
    "phrases" and prefix*), with `next`, the cursor of the following page."""
    found = search.search_evidence(
        viewer.case,
        q if q and q.strip() else None,
        sensitivities=viewer.sensitivities,
        kind=kind or None,
        site_id=site,
        source_id=source,
        status=status or None,
        published_since=since or None,
        published_until=until or None,
        cursor=cursor or None,
        limit=limit,
    )
    return {"items": found["items"], "next": found["next"], "order": found["order"]}


@router.get("/{evidence_id}", response_model=Record)
def show_evidence(evidence_id: RecordId, viewer: Reader) -> dict:
    """An item with its custody, audit history, verification steps, incident links,
    derived items, relations, near-duplicates, the posts and statements found in it, and
    its Admiralty grade."""
    api_visibility.visible_item(viewer, evidence_id)
    item = evidence_service.show_evidence(viewer.case, evidence_id, viewer.may_open_sealed)
    hidden = api_visibility.hidden_items(viewer)
    shown = api_visibility.shown_item(item)
    shown["grade"] = item["grade"]
    shown["custody"] = item["custody"]
    shown["history"] = item["history"]
    shown["links"] = item["links"]
    shown["derived"] = [_derived(entry) for entry in item["derived"]]
    shown["relations"] = [_relation(entry, evidence_id, hidden) for entry in item["relations"]]
    shown["near_duplicates"] = _near_duplicates(viewer, evidence_id, hidden)
    shown["verification"] = verification.history(viewer.case, evidence_id)
    shown["contains"], shown["statements"] = _found_within(viewer, evidence_id)
    return shown


@router.get(
    "/{evidence_id}/original",
    response_class=Response,
    responses={200: {"content": {"application/octet-stream": {}}, "description": "The bytes."}},
)
def original(evidence_id: RecordId, viewer: Reader) -> Response:
    """The original bytes, as an attachment (never shown inline)."""
    item = api_visibility.visible_item(viewer, evidence_id)
    data = evidence_service.read_original(viewer.case, evidence_id)
    media_type = _media_type(viewer, item)
    return Response(
        data,
        media_type=media_type if media_type in SAFE_TYPES else "application/octet-stream",
        headers={
            "Content-Disposition": f'attachment; filename="evidence-{evidence_id}"',
            "X-Content-Type-Options": "nosniff",
        },
    )


@router.post("/{evidence_id}/review", response_model=Record)
def review(evidence_id: RecordId, body: ReviewStep, viewer: Reviewer) -> dict:
    """A step of the verification workflow; some steps then await a second person's
    sign-off."""
    api_visibility.visible_item(viewer, evidence_id)
    return verification.transition(
        viewer.case, evidence_id, body.status, checks=body.checks, note=body.note
    )


@router.post("/{evidence_id}/sign-off", response_model=Record)
def sign_off(evidence_id: RecordId, body: Note, viewer: SignsOff) -> dict:
    """A second person's sign-off of the step the item awaits."""
    api_visibility.visible_item(viewer, evidence_id)
    return verification.sign_off(viewer.case, evidence_id, body.note)


@router.post("/{evidence_id}/withdraw", response_model=Record)
def withdraw(evidence_id: RecordId, body: Note, viewer: Reviewer) -> dict:
    """Withdraws the step the item awaits a sign-off of."""
    api_visibility.visible_item(viewer, evidence_id)
    return verification.withdraw(viewer.case, evidence_id, body.note)


def _media_type(viewer: Viewer, item: dict) -> str:
    with viewer.case.read() as connection:
        found = connection.execute(
            select(blobs.c.media_type).where(blobs.c.id == item["blob_sha256"])
        ).scalar()
    return (found or "").split(";")[0].strip().lower()


def _derived(entry: dict) -> dict:
    # `parents` are the hashes of the scenes compared, some perhaps withheld: left out.
    keys = ("id", "kind", "evidence_id", "method", "method_version", "created_at")
    return {key: entry.get(key) for key in keys}


def _relation(entry: dict, evidence_id: int, hidden: dict[int, str]) -> dict:
    other = entry["related_id"] if entry["evidence_id"] == evidence_id else entry["evidence_id"]
    if other in hidden:
        return {"id": entry["id"], "relation": entry["relation"], "other": "withheld",
                "withheld": api_visibility.withheld(other, hidden[other])}  # fmt: skip
    keys = ("id", "evidence_id", "relation", "related_id", "created_at")
    return {key: entry.get(key) for key in keys}


def _near_duplicates(viewer: Viewer, evidence_id: int, hidden: dict[int, str]) -> list[dict]:
    try:
        found = media_match.near_duplicates(viewer.case, evidence_id)
    except NotFound:  # not a photo or video
        return []
    return [
        api_visibility.withheld(match["evidence_id"], hidden[match["evidence_id"]])
        if match["evidence_id"] in hidden
        else match
        for match in found["matches"]
    ]


def _found_within(viewer: Viewer, evidence_id: int) -> tuple[list[dict], list[dict]]:
    """The items found inside this one (posts of an article, rows of a dataset) that the
    viewer may see, and the statements (claims) it holds."""
    levels = sorted(api_visibility.levels(viewer))
    inside = select(evidence.c.id, evidence.c.kind, evidence.c.title).where(
        evidence.c.within_id == evidence_id,
        evidence.c.sensitivity.in_(levels),
        evidence.c.deleted_at.is_(None),
    )
    said = select(
        claims.c.id, claims.c.speaker, claims.c.quote, claims.c.status, claims.c.verdict
    ).where(claims.c.evidence_id == evidence_id, claims.c.deleted_at.is_(None))
    with viewer.case.read() as connection:
        contains = [
            dict(row) for row in connection.execute(inside.order_by(evidence.c.id)).mappings()
        ]
        statements = [
            dict(row) for row in connection.execute(said.order_by(claims.c.id)).mappings()
        ]
    return contains, statements
