"""Incident pages: the incidents of the case, one incident with the evidence linked to it
(items the viewer may not see named only as withheld), and the forms that link an item to
an incident (services.incidents.link_evidence, the same as `siteline incident link`)."""

from __future__ import annotations

from typing import Annotated

from fastapi import APIRouter, Form, Request
from starlette.responses import Response

from siteline.domain.entities import EvidenceLink
from siteline.domain.roles import Permission
from siteline.domain.vocabularies import LinkRole
from siteline.services import incidents, sites
from siteline.web.api_visibility import hidden_items, visible_item
from siteline.web.models import RecordId
from siteline.web.page_views import visible_titles
from siteline.web.pages import form_id, form_text, see_other
from siteline.web.rendering import NavItem, render
from siteline.web.security import CurrentViewer, Viewer, allowed

router = APIRouter(include_in_schema=False)
NAV = [NavItem("Incidents", "/incidents", Permission.READ_PUBLIC, order=30)]

Linker = allowed(Permission.LINK)
Text = Annotated[str, Form(max_length=20_000)]


@router.get("/incidents")
def incident_list(request: Request, viewer: CurrentViewer) -> Response:
    names = {site["id"]: site["name"] for site in sites.list_sites(viewer.case)}
    return render(
        request,
        "incidents.html",
        viewer,
        incidents=incidents.list_incidents(viewer.case),
        site_names=names,
    )


@router.get("/incidents/{incident_id}")
def incident_page(request: Request, viewer: CurrentViewer, incident_id: RecordId) -> Response:
    incident = incidents.show_incident(viewer.case, incident_id)
    return render(
        request,
        "incident.html",
        viewer,
        incident=incident,
        links=shown_links(viewer, incident["links"]),
        link_roles=[role.value for role in LinkRole],
    )


def shown_links(viewer: Viewer, links: list[dict]) -> list[dict]:
    """An incident's links as a page shows them: an item the viewer may not see by its
    sensitivity only, without its title or the link's rationale (which may name it)."""
    titles = visible_titles(viewer, {link["evidence_id"] for link in links})
    hidden = hidden_items(viewer) if len(titles) < len(links) else {}
    shown = []
    for link in links:
        if link["evidence_id"] in titles:
            shown.append({**link, "title": titles[link["evidence_id"]], "visible": True})
        else:
            level = hidden.get(link["evidence_id"], "withheld")
            shown.append({"id": link["id"], "role": link["role"], "visible": False, "level": level})
    return shown


@router.post("/incidents/{incident_id}/links")
def link_from_incident(
    viewer: Linker,
    incident_id: RecordId,
    evidence_id: Annotated[str, Form(max_length=20)],
    role: Annotated[str, Form(max_length=40)],
    rationale: Text,
) -> Response:
    item_id = form_id(evidence_id, "evidence")
    _link(viewer, incident_id, item_id, role, rationale)
    return see_other(f"/incidents/{incident_id}", done=f"Linked evidence #{item_id}")


@router.post("/evidence/{evidence_id}/links")
def link_from_item(
    viewer: Linker,
    evidence_id: RecordId,
    incident_id: Annotated[str, Form(max_length=20)],
    role: Annotated[str, Form(max_length=40)],
    rationale: Text,
) -> Response:
    number = form_id(incident_id, "incident")
    _link(viewer, number, evidence_id, role, rationale)
    return see_other(f"/evidence/{evidence_id}", done=f"Linked to incident #{number}")


def _link(viewer: Viewer, incident_id: int, evidence_id: int, role: str, rationale: str) -> None:
    visible_item(viewer, evidence_id)  # an item one may not see cannot be linked either
    incidents.link_evidence(
        viewer.case,
        EvidenceLink(
            incident_id=incident_id,
            evidence_id=evidence_id,
            role=role,
            rationale=form_text(rationale, "rationale", required=True),
        ),
    )
