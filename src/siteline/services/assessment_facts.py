"""What the assessment rules need from a case, read in one pass: live incidents and their
links, the linked items with their grades, the sites, and the change analyses of sites.

Read on the connection the caller holds (inside `refresh`'s write transaction, so that
what is computed is what is written).
"""

from __future__ import annotations

import json
from collections import defaultdict
from dataclasses import dataclass, field

from sqlalchemy import Connection, select

from siteline.analysis.facts import ChangeAnalysis, Item, Link, Scene, Span, read_change_analysis
from siteline.domain.values import FuzzyTime
from siteline.domain.workflow import Workflow
from siteline.services.sealing import blob_context
from siteline.services.workflow_setting import workflow_in
from siteline.store.case_folder import Case
from siteline.store.schema import (
    blobs,
    claims,
    derived_items,
    evidence,
    evidence_links,
    incidents,
    sites,
    sources,
)

CHANGE_ANALYSIS = "change_analysis"


@dataclass
class CaseFacts:
    incidents: dict[int, dict] = field(default_factory=dict)
    links: dict[int, list[Link]] = field(default_factory=lambda: defaultdict(list))
    sites: dict[int, dict] = field(default_factory=dict)
    analyses: dict[int, list[ChangeAnalysis]] = field(default_factory=lambda: defaultdict(list))
    sealed_sites: dict[int, int] = field(default_factory=dict)  # site → an unopened analysis

    def window(self, incident_id: int) -> Span:
        row = self.incidents[incident_id]
        start = FuzzyTime.from_stored(row["window_start_at"], row["window_start_precision"])
        end = FuzzyTime.from_stored(row["window_end_at"], row["window_end_precision"])
        return Span.of(start, end)

    def site_geometry(self, site_id: int) -> str | None:
        site = self.sites.get(site_id) or {}
        if site.get("geometry_wkt"):
            return site["geometry_wkt"]
        if site.get("lat") is not None:
            return f"POINT ({site['lon']} {site['lat']})"
        return None


def gather(case: Case, connection: Connection) -> CaseFacts:
    """The facts of the whole case, statuses read through its verification workflow (so
    that a legacy name such as "rejected" counts as discarded)."""
    facts = CaseFacts()
    workflow = workflow_in(connection)
    facts.sites = {row["id"]: dict(row) for row in connection.execute(select(sites)).mappings()}
    facts.incidents = {
        row["id"]: dict(row)
        for row in connection.execute(
            select(incidents).where(incidents.c.deleted_at.is_(None)).order_by(incidents.c.id)
        ).mappings()
    }
    items = _items(connection, workflow)
    for row in connection.execute(
        select(evidence_links)
        .where(evidence_links.c.deleted_at.is_(None))
        .order_by(evidence_links.c.id)
    ).mappings():
        if row["incident_id"] in facts.incidents and row["evidence_id"] in items:
            facts.links[row["incident_id"]].append(Link(items[row["evidence_id"]], row["role"]))
    scenes = _scenes(connection, workflow)
    _read_analyses(case, connection, scenes, facts)
    return facts


def _items(connection: Connection, workflow: Workflow) -> dict[int, Item]:
    """Every linked item (a deleted one as discarded: it counts for nothing, but is named)."""
    linked = select(evidence_links.c.evidence_id).where(evidence_links.c.deleted_at.is_(None))
    query = (
        select(
            evidence,
            sources.c.reliability.label("source_reliability"),
            sources.c.kind.label("source_kind"),
        )
        .outerjoin(sources, sources.c.id == evidence.c.source_id)
        .where(evidence.c.id.in_(linked))
    )
    found = {}
    for row in connection.execute(query).mappings():
        status = "deleted" if row["deleted_at"] else _status(workflow, row)
        graded = _dataset_grade(row)
        found[row["id"]] = Item(
            evidence_id=row["id"],
            kind=row["kind"],
            credibility=row["credibility"],
            reliability=row["source_reliability"],
            source_id=row["source_id"],
            source_kind=row["source_kind"],
            status=status,
            verified=status == workflow.verified_status,
            discarded=status in (workflow.discarded_status, "deleted"),
            sha256=row["blob_sha256"],
            sensitivity=row["sensitivity"],
            dataset_certainty=graded.get("certainty"),
            native_certainty=graded.get("native_certainty"),
        )
    return found


def _dataset_grade(row) -> dict:
    if row["kind"] != "dataset_row" or not row["details"]:
        return {}
    return json.loads(row["details"]).get("candidate_incident") or {}


def _scenes(connection: Connection, workflow: Workflow) -> dict[int, Scene]:
    query = select(evidence).where(
        evidence.c.kind == "satellite_scene", evidence.c.deleted_at.is_(None)
    )
    return {
        row["id"]: Scene(
            evidence_id=row["id"],
            sha256=row["blob_sha256"],
            captured=FuzzyTime.from_stored(row["captured_at"], row["captured_precision"]),
            status=_status(workflow, row),
            verified=_status(workflow, row) == workflow.verified_status,
            discarded=_status(workflow, row) == workflow.discarded_status,
            sensitivity=row["sensitivity"],
        )
        for row in connection.execute(query).mappings()
    }


def _read_analyses(
    case: Case, connection: Connection, scenes: dict[int, Scene], facts: CaseFacts
) -> None:
    """Each live change analysis, by its site. One sealed with a key this session lacks
    marks its site, so that nothing there is recomputed without it."""
    query = (
        select(derived_items, blobs.c.encrypted, blobs.c.stored_sha256)
        .join(blobs, blobs.c.id == derived_items.c.blob_sha256)
        .where(derived_items.c.kind == CHANGE_ANALYSIS, derived_items.c.deleted_at.is_(None))
        .order_by(derived_items.c.id)
    )
    for row in connection.execute(query).mappings():
        if row["encrypted"] and not case.sealer.has_key:
            site_id = json.loads(row["parameters"]).get("site", {}).get("id")
            facts.sealed_sites.setdefault(site_id, row["id"])
            continue
        data = case.blobs.read(row["stored_sha256"])
        if row["encrypted"]:
            data = case.sealer.open(data, blob_context(row["blob_sha256"]), purpose="assessment")
        analysis = read_change_analysis(row["id"], row["blob_sha256"], json.loads(data), scenes)
        facts.analyses[analysis.site_id].append(analysis)


def live_claims(connection: Connection) -> list[dict]:
    query = select(claims).where(claims.c.deleted_at.is_(None)).order_by(claims.c.id)
    return [dict(row) for row in connection.execute(query).mappings()]


def _status(workflow: Workflow, row) -> str:
    """The item's status as the workflow reads it; a name it does not know, as stored."""
    stored = row["verification_status"]
    return workflow.status_of(stored) or stored
