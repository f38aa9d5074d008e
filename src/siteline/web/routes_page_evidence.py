"""Evidence pages: the list (filters, full-text search, a page at a time) and an item with
its original, custody, history, verification, links, near-duplicates, and what was
extracted from it. An item the viewer may not see is answered as if it did not exist."""

from __future__ import annotations

import json
from typing import Annotated

from fastapi import APIRouter, Query, Request
from sqlalchemy import select
from starlette.responses import Response

from siteline.domain.roles import Permission
from siteline.domain.vocabularies import EvidenceKind, LinkRole
from siteline.errors import NotFound
from siteline.services import evidence as evidence_service
from siteline.services import incidents, media_match, search, sites, verification
from siteline.services.workflow_setting import workflow_of
from siteline.store.schema import blobs, claims, evidence, evidence_relations
from siteline.web.api_visibility import levels, visible_item
from siteline.web.models import RecordId
from siteline.web.page_views import visible_titles
from siteline.web.pages import form_id
from siteline.web.rendering import NavItem, render
from siteline.web.security import CurrentViewer, Viewer

router = APIRouter(include_in_schema=False)
NAV = [NavItem("Evidence", "/evidence", Permission.READ_PUBLIC, order=20)]

PAGE_SIZE = 50
# Originals a browser may show in the page: pictures and films, never SVG (it can script).
INLINE_TYPES = {
    "image/jpeg",
    "image/png",
    "image/gif",
    "image/webp",
    "video/mp4",
    "video/webm",
}


@router.get("/evidence")
def evidence_list(
    request: Request,
    viewer: CurrentViewer,
    q: Annotated[str | None, Query(max_length=500)] = None,
    kind: Annotated[str | None, Query(max_length=40)] = None,
    site: Annotated[str | None, Query(max_length=12)] = None,
    status: Annotated[str | None, Query(max_length=40)] = None,
    cursor: Annotated[str | None, Query(max_length=400)] = None,
) -> Response:
    filters = {"q": q or "", "kind": kind or "", "site": site or "", "status": status or ""}
    found = search.search_evidence(
        viewer.case,
        (q or "").strip() or None,
        sensitivities=viewer.sensitivities,
        kind=kind or None,
        site_id=form_id(site, "site", required=False),
        status=status or None,
        cursor=cursor or None,
        limit=PAGE_SIZE,
    )
    return render(
        request,
        "evidence_list.html",
        viewer,
        items=found["items"],
        next_cursor=found["next"],
        first_page=cursor is not None,
        filters=filters,
        kinds=[kind.value for kind in EvidenceKind],
        statuses=workflow_of(viewer.case).statuses,
        sites=sites.list_sites(viewer.case),
    )


@router.get("/evidence/{evidence_id}")
def evidence_page(request: Request, viewer: CurrentViewer, evidence_id: RecordId) -> Response:
    visible_item(viewer, evidence_id)
    item = evidence_service.show_evidence(viewer.case, evidence_id, viewer.may_open_sealed)
    workflow = workflow_of(viewer.case)
    status = workflow.status_of(item["verification_status"]) or item["verification_status"]
    reviews = verification.history(viewer.case, evidence_id)
    return render(
        request,
        "evidence_item.html",
        viewer,
        item=item,
        media_type=_media_type(viewer, item),
        inline=_shown_inline(viewer, item),
        status=status,
        next_statuses=workflow.next_statuses(status),
        required_checks={s: workflow.required_checks(s) for s in workflow.statuses},
        reviews=reviews,
        pending=next((r for r in reviews if r["state"] == verification.AWAITING), None),
        related=_related(viewer, item),
        extracted=_extracted(viewer, evidence_id),
        statements=_statements(viewer, evidence_id),
        near=_near_duplicates(viewer, item),
        incidents={row["id"]: row for row in incidents.list_incidents(viewer.case)},
        link_roles=[role.value for role in LinkRole],
        details=json.loads(item["details"]) if item.get("details") else {},
    )


@router.get("/evidence/{evidence_id}/original")
def evidence_original(
    viewer: CurrentViewer, evidence_id: RecordId, inline: bool = False
) -> Response:
    """The original bytes: shown in the page only for a picture or film of a safe type,
    otherwise always a download (an SVG or HTML original never runs in the workbench)."""
    item = visible_item(viewer, evidence_id)
    data = evidence_service.read_original(viewer.case, evidence_id)
    media_type = _media_type(viewer, item) or "application/octet-stream"
    shown = inline and _shown_inline(viewer, item)
    name = _download_name(item)
    disposition = "inline" if shown else f'attachment; filename="{name}"'
    return Response(
        data,
        media_type=media_type if shown else "application/octet-stream",
        headers={"Content-Disposition": disposition},
    )


def _media_type(viewer: Viewer, item: dict) -> str | None:
    if not item.get("blob_sha256"):
        return None
    query = select(blobs.c.media_type).where(blobs.c.id == item["blob_sha256"])
    with viewer.case.read() as connection:
        return connection.execute(query).scalar()


def _shown_inline(viewer: Viewer, item: dict) -> bool:
    if item["kind"] not in (EvidenceKind.PHOTO, EvidenceKind.VIDEO):
        return False
    return (_media_type(viewer, item) or "").lower() in INLINE_TYPES


def _download_name(item: dict) -> str:
    """A file name safe in a header: letters, digits, dot, dash and underscore."""
    given = item.get("original_filename") or f"evidence-{item['id']}"
    cleaned = "".join(c if c.isalnum() or c in "._-" else "_" for c in given)
    return cleaned.strip("._")[:120] or f"evidence-{item['id']}"


def _related(viewer: Viewer, item: dict) -> list[dict]:
    """The item's relations, the other item named only when the viewer may see it."""
    others = {
        (r["related_id"] if r["evidence_id"] == item["id"] else r["evidence_id"])
        for r in item["relations"]
    }
    seen = visible_titles(viewer, others)
    shown = []
    for relation in item["relations"]:
        outgoing = relation["evidence_id"] == item["id"]
        other = relation["related_id"] if outgoing else relation["evidence_id"]
        shown.append(
            {
                "kind": relation["relation"],
                "outgoing": outgoing,
                "other": other,
                "visible": other in seen,
                "title": seen.get(other),
            }
        )
    return shown


def _extracted(viewer: Viewer, evidence_id: int) -> list[dict]:
    """The items found within this one (an article's posts, an export's posts, a
    dataset's rows) and those embedded in it, that the viewer may see."""
    embedded = select(evidence_relations.c.evidence_id).where(
        evidence_relations.c.related_id == evidence_id,
        evidence_relations.c.relation == "embedded_in",
        evidence_relations.c.deleted_at.is_(None),
    )
    query = (
        select(
            evidence.c.id,
            evidence.c.kind,
            evidence.c.title,
            evidence.c.author_handle,
            evidence.c.platform,
            evidence.c.verification_status,
        )
        .where(
            (evidence.c.within_id == evidence_id) | evidence.c.id.in_(embedded),
            evidence.c.sensitivity.in_(sorted(levels(viewer))),
            evidence.c.deleted_at.is_(None),
        )
        .order_by(evidence.c.id)
        .limit(500)
    )
    with viewer.case.read() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def _statements(viewer: Viewer, evidence_id: int) -> list[dict]:
    query = (
        select(claims)
        .where(claims.c.evidence_id == evidence_id, claims.c.deleted_at.is_(None))
        .order_by(claims.c.id)
    )
    with viewer.case.read() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]


def _near_duplicates(viewer: Viewer, item: dict) -> list[dict]:
    if item["kind"] not in (EvidenceKind.PHOTO, EvidenceKind.VIDEO):
        return []
    try:
        found = media_match.near_duplicates(viewer.case, item["id"])["matches"]
    except NotFound:
        return []
    seen = visible_titles(viewer, {match["evidence_id"] for match in found})
    # A match the viewer may not see is left out: even its number would hint at it.
    return [
        {**match, "title": seen[match["evidence_id"]]}
        for match in found
        if match["evidence_id"] in seen
    ]
