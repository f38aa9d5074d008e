"""Uploads: a file (a photo, a video, a document...) as one evidence item, or an article
whose embedded posts and quoted statements are extracted (services.ingest_articles, the
same as `siteline ingest articles`). Each is one audited transaction under the uploader's
name, with a custody record saying it came through the workbench."""

from __future__ import annotations

import tempfile
from pathlib import Path, PurePath
from typing import Annotated

from fastapi import APIRouter, File, Form, Request, UploadFile
from starlette.responses import Response

from siteline.domain.entities import Custody, EvidenceItem
from siteline.domain.roles import Permission
from siteline.domain.values import FuzzyTime
from siteline.domain.vocabularies import EvidenceKind, Sensitivity, parse_term
from siteline.errors import InvalidInput
from siteline.services import evidence, sites
from siteline.services.ingest_articles import ingest_articles
from siteline.web.pages import form_id, form_text, see_other
from siteline.web.rendering import NavItem, render
from siteline.web.security import Viewer, allowed

router = APIRouter(include_in_schema=False)
NAV = [NavItem("Upload", "/upload", Permission.ADD_EVIDENCE, order=50)]

Adder = allowed(Permission.ADD_EVIDENCE)
MAX_UPLOAD_BYTES = 512 * 1024 * 1024
ARTICLE_SUFFIXES = (".txt", ".html", ".htm")
# Kinds a single uploaded file may be; articles and exports have their own ingest.
FILE_KINDS = ("photo", "video", "document", "satellite_scene", "testimony", "statement")
UPLOAD_METHOD = "uploaded through the web workbench"
Text = Annotated[str | None, Form(max_length=20_000)]


@router.get("/upload")
def upload_page(request: Request, viewer: Adder) -> Response:
    return render(
        request,
        "upload.html",
        viewer,
        kinds=FILE_KINDS,
        sensitivities=[s.value for s in Sensitivity if s in viewer.sensitivities],
        sites=sites.list_sites(viewer.case),
    )


@router.post("/upload/file")
def upload_file(
    viewer: Adder,
    file: Annotated[UploadFile, File()],
    kind: Annotated[str, Form(max_length=40)],
    title: Text = None,
    sensitivity: Annotated[str, Form(max_length=20)] = "public",
    graphic: Annotated[str | None, Form(max_length=10)] = None,
    site: Annotated[str | None, Form(max_length=20)] = None,
    source_url: Text = None,
    published: Annotated[str | None, Form(max_length=60)] = None,
) -> Response:
    level = _allowed_sensitivity(viewer, sensitivity)
    data = _read(file)
    if kind not in FILE_KINDS:
        raise InvalidInput("kind", f"{kind!r} is not one of: {', '.join(FILE_KINDS)}")
    name = _plain_name(file.filename)
    item = EvidenceItem(
        kind=parse_term(EvidenceKind, kind, "kind"),
        title=form_text(title, "title") or name,
        data=data,
        original_filename=name,
        media_type=file.content_type or None,
        site_id=form_id(site, "site", required=False),
        source_url=form_text(source_url, "source_url"),
        published=_time(published, "published"),
        sensitivity=level,
        graphic=bool(graphic),
    )
    how = Custody(method=UPLOAD_METHOD, collector=viewer.name, tool="siteline serve")
    added = evidence.add_evidence(viewer.case, item, how)
    return see_other(f"/evidence/{added['id']}", done=f"Added evidence #{added['id']}")


@router.post("/upload/article")
def upload_article(
    viewer: Adder,
    file: Annotated[UploadFile, File()],
    article_date: Annotated[str | None, Form(max_length=60)] = None,
) -> Response:
    data = _read(file)
    name = _plain_name(file.filename)
    if PurePath(name).suffix.lower() not in ARTICLE_SUFFIXES:
        raise InvalidInput("file", f"an article is a {', '.join(ARTICLE_SUFFIXES)} file")
    with tempfile.TemporaryDirectory(prefix="siteline-upload-") as folder:
        path = Path(folder) / name
        path.write_bytes(data)
        report = ingest_articles(viewer.case, [path], _time(article_date, "article_date"))
    if not report.item_ids:
        why = report.problems[0].message if report.problems else "no article was found in it"
        raise InvalidInput("file", f"{name}: {why}")
    article = report.item_ids[0]
    done = f"Article #{article}: {report.added} items added, {report.claims} statements"
    if report.problems:
        done += f"; {len(report.problems)} parts could not be read ({report.problems[0].message})"
    return see_other(f"/evidence/{article}", done=done)


def _allowed_sensitivity(viewer: Viewer, value: str) -> Sensitivity:
    """One may add only material of a sensitivity one may see."""
    level = parse_term(Sensitivity, value, "sensitivity")
    if level not in viewer.sensitivities:
        raise InvalidInput("sensitivity", f"a {viewer.role} may not add {level} material")
    return level


def _time(value: str | None, field: str) -> FuzzyTime | None:
    text = form_text(value, field)
    return FuzzyTime.parse(text, field) if text else None


def _read(file: UploadFile) -> bytes:
    data = file.file.read(MAX_UPLOAD_BYTES + 1)
    if len(data) > MAX_UPLOAD_BYTES:
        raise InvalidInput("file", f"larger than {MAX_UPLOAD_BYTES // 2**20} MiB")
    if not data:
        raise InvalidInput("file", "the file is empty")
    return data


def _plain_name(given: str | None) -> str:
    """The file's own name, without any folder a browser sent, safe as a file name."""
    name = PurePath((given or "").replace("\\", "/")).name.strip()
    cleaned = "".join(c if c.isalnum() or c in "._- " else "_" for c in name).strip(" .")
    return cleaned[:150] or "upload"
