"""Site pages: the sites on a list and a map, and one site's timeline (its incidents with
their evidence, and its other items by date) and its change analyses: the before and
after scenes on the analysis's grid, with a slider and the change overlay.

The map markers travel in data-* attributes read by static/map.js (no inline script); the
pictures come from routes here that check the viewer may see every scene they show."""

from __future__ import annotations

from fastapi import APIRouter, Request
from starlette.responses import Response

from siteline.domain.roles import Permission
from siteline.errors import KeyRequired, NotFound
from siteline.services import incidents, quicklook, search, sites
from siteline.web.models import RecordId
from siteline.web.page_views import visible_titles
from siteline.web.pages import leaflet_present
from siteline.web.rendering import NavItem, render
from siteline.web.routes_page_incidents import shown_links
from siteline.web.security import CurrentViewer, Viewer

router = APIRouter(include_in_schema=False)
NAV = [NavItem("Sites", "/sites", Permission.READ_PUBLIC, order=10)]

TIMELINE_ITEMS = 200


@router.get("/sites")
def site_list(request: Request, viewer: CurrentViewer) -> Response:
    found = sites.list_sites(viewer.case)
    counts: dict[int, int] = {}
    for incident in incidents.list_incidents(viewer.case):
        counts[incident["site_id"]] = counts.get(incident["site_id"], 0) + 1
    return render(
        request,
        "sites.html",
        viewer,
        sites=found,
        places=[
            _place(site) for site in found if site["lat"] is not None and site["lon"] is not None
        ],
        incident_counts=counts,
        leaflet=leaflet_present(),
    )


@router.get("/sites/{site_id}")
def site_page(request: Request, viewer: CurrentViewer, site_id: RecordId) -> Response:
    site = sites.find_site(viewer.case, site_id)
    if site["id"] != site_id:  # find_site also reads names; a number must be the id
        raise NotFound(f"site: no site #{site_id} in this case")
    found = incidents.list_incidents(viewer.case, site_id)
    timeline = []
    for incident in found:
        shown = incidents.show_incident(viewer.case, incident["id"])
        timeline.append({**incident, "links": shown_links(viewer, shown["links"])})
    items = search.search_evidence(
        viewer.case, None, sensitivities=viewer.sensitivities, site_id=site_id,
        limit=TIMELINE_ITEMS,
    )["items"]  # fmt: skip
    items.sort(key=lambda item: (item["published_at"] or "9999", item["id"]))
    return render(
        request,
        "site.html",
        viewer,
        site=site,
        timeline=timeline,
        items=items,
        analyses=_visible_analyses(viewer, site_id),
        leaflet=leaflet_present(),
    )


def _place(site: dict) -> dict:
    return {
        "lat": site["lat"],
        "lon": site["lon"],
        "label": site["name"],
        "href": f"/sites/{site['id']}",
        "kind": "site",
    }


def _visible_analyses(viewer: Viewer, site_id: int) -> list[dict]:
    """The site's change analyses whose every scene the viewer may see (and may open)."""
    try:
        analyses = quicklook.site_change_analyses(viewer.case, site_id)
    except KeyRequired:  # analyses of sealed scenes, and no key loaded: none to show
        analyses = []
    shown = []
    for analysis in analyses:
        scenes = set(analysis["before"]) | set(analysis["after"])
        if scenes and len(visible_titles(viewer, scenes)) == len(scenes):
            shown.append(analysis)
    return shown


def _analysis_for(viewer: Viewer, site_id: int, analysis_id: int) -> dict:
    for analysis in _visible_analyses(viewer, site_id):
        if analysis["id"] == analysis_id:
            return analysis
    raise NotFound(f"analysis: no change analysis #{analysis_id} at site #{site_id}")


@router.get("/sites/{site_id}/analyses/{analysis_id}/scenes/{scene_id}.png")
def scene_picture(
    viewer: CurrentViewer, site_id: RecordId, analysis_id: RecordId, scene_id: RecordId
) -> Response:
    analysis = _analysis_for(viewer, site_id, analysis_id)
    if scene_id not in analysis["before"] + analysis["after"]:
        raise NotFound(f"scene: evidence #{scene_id} is not a scene of analysis #{analysis_id}")
    data = quicklook.scene_on_grid(viewer.case, scene_id, analysis_id)
    return Response(data, media_type="image/png")


@router.get("/sites/{site_id}/analyses/{analysis_id}/overlay.png")
def change_overlay(viewer: CurrentViewer, site_id: RecordId, analysis_id: RecordId) -> Response:
    analysis = _analysis_for(viewer, site_id, analysis_id)
    if analysis["map_id"] is None:
        raise NotFound(f"analysis #{analysis_id} has no change map")
    data = quicklook.change_overlay(viewer.case, analysis_id, analysis["map_id"])
    return Response(data, media_type="image/png")


@router.get("/sites/{site_id}/analyses/{analysis_id}/figure.png")
def change_figure(viewer: CurrentViewer, site_id: RecordId, analysis_id: RecordId) -> Response:
    analysis = _analysis_for(viewer, site_id, analysis_id)
    if analysis["figure_id"] is None:
        raise NotFound(f"analysis #{analysis_id} has no figure")
    return Response(
        quicklook.derived_bytes(viewer.case, analysis["figure_id"]), media_type="image/png"
    )
