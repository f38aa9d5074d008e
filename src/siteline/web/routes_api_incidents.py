"""Incidents through the API: listed, added, shown with their links, and linked to items.
A link to an item the viewer may not see is shown as withheld: its number and
sensitivity, never its title or the rationale written about it."""

from __future__ import annotations

from typing import Annotated, Any

from fastapi import APIRouter, Query

from siteline.domain.entities import EvidenceLink, Incident
from siteline.domain.roles import Permission
from siteline.domain.values import FuzzyTime
from siteline.services import incidents
from siteline.web import api_visibility
from siteline.web.models import ERROR_RESPONSES, MAX_ID, RecordId
from siteline.web.models_api import IncidentIn, LinkIn
from siteline.web.security import allowed

router = APIRouter(prefix="/api/incidents", tags=["incidents"], responses=ERROR_RESPONSES)
Reader = allowed(Permission.READ_PUBLIC)
Editor = allowed(Permission.EDIT)
Linker = allowed(Permission.LINK)
Record = dict[str, Any]


@router.get("", response_model=list[Record])
def list_incidents(
    viewer: Reader, site: Annotated[int | None, Query(ge=1, le=MAX_ID)] = None
) -> list[dict]:
    """Every incident (at one site with `site`), in the order of their time windows."""
    return incidents.list_incidents(viewer.case, site_id=site)


@router.post("", response_model=Record, status_code=201)
def add_incident(body: IncidentIn, viewer: Editor) -> dict:
    """Adds an incident at a site; times are YYYY[-MM[-DD[Thh:mm[:ss]]]]."""
    values = body.model_dump()
    values["window_start"] = FuzzyTime.parse(body.window_start, "window_start")
    if body.window_end:
        values["window_end"] = FuzzyTime.parse(body.window_end, "window_end")
    return incidents.add_incident(viewer.case, Incident(**values))


@router.get("/{incident_id}", response_model=Record)
def show_incident(incident_id: RecordId, viewer: Reader) -> dict:
    """An incident with its site and its links (withheld where the item is not for the
    viewer)."""
    incident = incidents.show_incident(viewer.case, incident_id)
    hidden = api_visibility.hidden_items(viewer)
    incident["links"] = [
        {"id": link["id"], "role": link["role"],
         "evidence": api_visibility.withheld(link["evidence_id"], hidden[link["evidence_id"]])}
        if link["evidence_id"] in hidden else link
        for link in incident["links"]
    ]  # fmt: skip
    return incident


@router.post("/{incident_id}/links", response_model=Record, status_code=201)
def link_item(incident_id: RecordId, body: LinkIn, viewer: Linker) -> dict:
    """Links an item the viewer may see to the incident, with its role and rationale."""
    api_visibility.visible_item(viewer, body.evidence_id)
    link = EvidenceLink(incident_id, body.evidence_id, body.role, body.rationale)
    return incidents.link_evidence(viewer.case, link)
