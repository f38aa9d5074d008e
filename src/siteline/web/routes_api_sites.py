"""Sites and sources through the API. A site's page gives its incidents in the order of
their time windows and the change analyses made of its imagery (those of scenes the
viewer may see). A source's sealed witness identity never leaves: an answer says only
that there is one."""

from __future__ import annotations

from typing import Any

from fastapi import APIRouter
from sqlalchemy import select

from siteline.domain.entities import Site, Source
from siteline.domain.roles import Permission
from siteline.errors import NotFound
from siteline.services import incidents, sites, sources
from siteline.store.schema import derived_items, evidence
from siteline.web import api_visibility
from siteline.web.models import ERROR_RESPONSES, RecordId
from siteline.web.models_api import SiteIn, SourceIn
from siteline.web.security import Viewer, allowed

router = APIRouter(prefix="/api", tags=["sites"], responses=ERROR_RESPONSES)
Reader = allowed(Permission.READ_PUBLIC)
Editor = allowed(Permission.EDIT)

Record = dict[str, Any]
SOURCE_FIELDS = ("id", "name", "kind", "reliability", "url", "notes", "created_at")


@router.get("/sites", response_model=list[Record])
def list_sites(viewer: Reader) -> list[dict]:
    """Every site: name, aliases, kind, operator, place and outline."""
    return [_site(site) for site in sites.list_sites(viewer.case)]


@router.post("/sites", response_model=Record, status_code=201)
def add_site(body: SiteIn, viewer: Editor) -> dict:
    """Adds a site; a name or alias another site uses is refused (409)."""
    return _site(sites.add_site(viewer.case, Site(**body.model_dump())))


@router.get("/sites/{site_id}", response_model=Record)
def show_site(site_id: RecordId, viewer: Reader) -> dict:
    """A site with its incidents (in window order) and its change analyses."""
    found = [site for site in sites.list_sites(viewer.case) if site["id"] == site_id]
    if not found:
        raise NotFound(f"site: no site #{site_id} in this case")
    site = _site(found[0])
    site["incidents"] = incidents.list_incidents(viewer.case, site_id=site_id)
    site["change_analyses"] = _change_analyses(viewer, site_id)
    return site


@router.get("/sources", response_model=list[Record])
def list_sources(viewer: Reader) -> list[dict]:
    """Every source with its reliability grade (A–F); a witness's identity stays sealed."""
    return [_source(source) for source in sources.list_sources(viewer.case)]


@router.post("/sources", response_model=Record, status_code=201)
def add_source(body: SourceIn, viewer: Editor) -> dict:
    """Adds a source; a witness's identity is sealed with the case key at once."""
    return _source(sources.add_source(viewer.case, Source(**body.model_dump())))


def _site(site: dict) -> dict:
    return {key: value for key, value in site.items() if key not in ("deleted_reason",)}


def _source(source: dict) -> dict:
    shown = {key: source.get(key) for key in SOURCE_FIELDS}
    shown["identity_sealed"] = bool(source.get("identity_sealed"))
    return shown


def _change_analyses(viewer: Viewer, site_id: int) -> list[dict]:
    """The change analyses, maps and figures made of the site's scenes, newest last, of
    scenes the viewer may see."""
    query = (
        select(
            derived_items.c.id,
            derived_items.c.kind,
            derived_items.c.evidence_id,
            derived_items.c.method,
            derived_items.c.method_version,
            derived_items.c.created_at,
        )
        .join(evidence, evidence.c.id == derived_items.c.evidence_id)
        .where(
            evidence.c.site_id == site_id,
            evidence.c.sensitivity.in_(sorted(api_visibility.levels(viewer))),
            derived_items.c.kind.like("change_%"),
            derived_items.c.deleted_at.is_(None),
        )
        .order_by(derived_items.c.id)
    )
    with viewer.case.read() as connection:
        return [dict(row) for row in connection.execute(query).mappings()]
