"""Uploading evidence through the API: one file per request, multipart.

A public photo or video goes through media ingest (hashed for near-duplicates); a public
article (.txt, .html) through article ingest (its posts and statements found); anything
else, and any upload marked restricted or confidential, is added as one item with its
bytes, as `siteline evidence add` does. The file's name is kept as its original name;
the bytes are written to a private temporary folder only for the ingest to read them.
"""

from __future__ import annotations

import re
import tempfile
from pathlib import Path
from typing import Annotated, Any

from fastapi import APIRouter, File, Form, UploadFile

from siteline.domain.entities import Custody, EvidenceItem
from siteline.domain.roles import Permission
from siteline.domain.vocabularies import EvidenceKind, Sensitivity, parse_term
from siteline.errors import InvalidInput
from siteline.media.reading import MEDIA_EXTENSIONS, VIDEO_EXTENSIONS
from siteline.services import evidence as evidence_service
from siteline.services.ingest_articles import ingest_articles
from siteline.services.media_ingest import ingest_media
from siteline.web.models import ERROR_RESPONSES, MAX_ID
from siteline.web.security import Viewer, allowed

router = APIRouter(prefix="/api/evidence", tags=["evidence"], responses=ERROR_RESPONSES)
Adder = allowed(Permission.ADD_EVIDENCE)

MAX_UPLOAD = 512 * 1024 * 1024
ARTICLE_SUFFIXES = frozenset({".txt", ".html", ".htm"})
_UNSAFE_NAME = re.compile(r"[^A-Za-z0-9._-]+")
Record = dict[str, Any]


@router.post("", response_model=Record, status_code=201)
def upload(
    viewer: Adder,
    file: Annotated[UploadFile, File(description="The file.")],
    kind: Annotated[str | None, Form(max_length=40)] = None,
    title: Annotated[str | None, Form(max_length=500)] = None,
    sensitivity: Annotated[str, Form(max_length=40)] = "public",
    graphic: Annotated[bool, Form()] = False,
    site_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
    source_id: Annotated[int | None, Form(ge=1, le=MAX_ID)] = None,
    source_url: Annotated[str | None, Form(max_length=2000)] = None,
) -> dict:
    """Adds one file; `kind` (photo, video, article, document…) is taken from the file's
    name when not given. Returns how it went in and the new items' numbers."""
    name = _safe_name(file.filename)
    data = file.file.read(MAX_UPLOAD + 1)
    if len(data) > MAX_UPLOAD:
        raise InvalidInput("file", f"larger than {MAX_UPLOAD // 2**20} MiB")
    if not data:
        raise InvalidInput("file", "is empty")
    level = parse_term(Sensitivity, sensitivity, "sensitivity")
    chosen = parse_term(EvidenceKind, kind, "kind") if kind else _kind_of(name)
    public_plain = level is Sensitivity.PUBLIC and not (title or site_id or source_id)
    if public_plain and not graphic and chosen in (EvidenceKind.PHOTO, EvidenceKind.VIDEO):
        return _ingested("media", _through(ingest_media, viewer, name, data, workers=1))
    if public_plain and chosen is EvidenceKind.ARTICLE and Path(name).suffix in ARTICLE_SUFFIXES:
        return _ingested("article", _through(ingest_articles, viewer, name, data))
    item = EvidenceItem(
        kind=chosen,
        title=title,
        data=data,
        original_filename=name,
        media_type=file.content_type if file.content_type else None,
        sensitivity=level,
        graphic=graphic,
        site_id=site_id,
        source_id=source_id,
        source_url=source_url,
    )
    how = Custody(method="web upload", collector=viewer.name, source_url=source_url)
    added = evidence_service.add_evidence(viewer.case, item, how)
    return {"via": "evidence", "item_ids": [added["id"]], "files": 1, "added": 1}


def _safe_name(given: str | None) -> str:
    base = Path((given or "").replace("\\", "/")).name
    cleaned = _UNSAFE_NAME.sub("_", base).strip("._")[:200]
    return cleaned or "upload"


def _kind_of(name: str) -> EvidenceKind:
    suffix = Path(name).suffix.lower()
    if suffix in VIDEO_EXTENSIONS:
        return EvidenceKind.VIDEO
    if suffix in MEDIA_EXTENSIONS:
        return EvidenceKind.PHOTO
    if suffix in ARTICLE_SUFFIXES:
        return EvidenceKind.ARTICLE
    return EvidenceKind.DOCUMENT


def _through(ingest, viewer: Viewer, name: str, data: bytes, **options):
    with tempfile.TemporaryDirectory(prefix="siteline-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        return ingest(viewer.case, [path], **options)


def _ingested(via: str, report) -> dict:
    found = report.as_dict()
    found["item_ids"] = list(report.item_ids)
    return {"via": via, **found}
