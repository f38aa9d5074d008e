"""Incidents at sites and the evidence linked to them, each link with its role and why."""

from __future__ import annotations

import json

from sqlalchemy import select

from siteline.domain.entities import EvidenceLink, Incident
from siteline.domain.values import FuzzyTime
from siteline.errors import Duplicate, NotFound
from siteline.services.findings import refreshes_findings
from siteline.store.case_folder import Case
from siteline.store.schema import evidence, evidence_links, incidents, sites
from siteline.store.transaction import Transaction


def time_columns(name: str, value: FuzzyTime | None) -> dict:
    return {
        f"{name}_at": value.stored if value else None,
        f"{name}_precision": value.precision.value if value else None,
    }


@refreshes_findings
def add_incident(case: Case, incident: Incident) -> dict:
    with case.write() as transaction:
        transaction.require("site", incident.site_id, field="site")
        return insert_incident(transaction, incident)


def insert_incident(transaction: Transaction, incident: Incident) -> dict:
    """Writes the incident in a transaction the caller holds (confirming a link proposal
    makes the incident and its links in one)."""
    return transaction.insert(
        "incident",
        {
            "site_id": incident.site_id,
            "title": incident.title,
            **time_columns("window_start", incident.window_start),
            **time_columns("window_end", incident.window_end),
            "type": incident.type.value,
            "weapon": incident.weapon,
            "perpetrator": incident.perpetrator,
            "killed": incident.killed,
            "injured": incident.injured,
            "damage_class": incident.damage_class.value if incident.damage_class else None,
            "certainty": incident.certainty.value,
            "description": incident.description,
            "native": json.dumps(incident.native, ensure_ascii=False, sort_keys=True)
            if incident.native
            else None,
        },
    )


@refreshes_findings
def link_evidence(case: Case, link: EvidenceLink) -> dict:
    with case.write() as transaction:
        transaction.require("incident", link.incident_id, field="incident")
        transaction.require("evidence", link.evidence_id, field="evidence")
        existing = transaction.connection.execute(
            select(evidence_links.c.id).where(
                evidence_links.c.incident_id == link.incident_id,
                evidence_links.c.evidence_id == link.evidence_id,
                evidence_links.c.deleted_at.is_(None),
            )
        ).first()
        if existing:
            raise Duplicate(
                f"evidence #{link.evidence_id} is already linked to incident #{link.incident_id} (link #{existing.id})"
            )
        return transaction.insert(
            "link",
            {
                "incident_id": link.incident_id,
                "evidence_id": link.evidence_id,
                "role": link.role.value,
                "rationale": link.rationale,
                "linked_by": case.actor,
            },
        )


def list_incidents(case: Case, site_id: int | None = None) -> list[dict]:
    query = select(incidents).where(incidents.c.deleted_at.is_(None))
    if site_id is not None:
        query = query.where(incidents.c.site_id == site_id)
    with case.read() as connection:
        return [
            dict(row)
            for row in connection.execute(query.order_by(incidents.c.window_start_at)).mappings()
        ]


def show_incident(case: Case, incident_id: int) -> dict:
    """An incident with its site and every live link, the linked item summarised."""
    with case.read() as connection:
        row = (
            connection.execute(select(incidents).where(incidents.c.id == incident_id))
            .mappings()
            .first()
        )
        if row is None or row["deleted_at"]:
            raise NotFound(f"incident: no incident #{incident_id} in this case")
        incident = dict(row)
        site = (
            connection.execute(select(sites).where(sites.c.id == incident["site_id"]))
            .mappings()
            .first()
        )
        incident["site"] = {"id": site["id"], "name": site["name"]}
        links = connection.execute(
            select(evidence_links, evidence.c.kind, evidence.c.title, evidence.c.published_at)
            .join(evidence, evidence.c.id == evidence_links.c.evidence_id)
            .where(
                evidence_links.c.incident_id == incident_id, evidence_links.c.deleted_at.is_(None)
            )
            .order_by(evidence_links.c.id)
        ).mappings()
        incident["links"] = [dict(link) for link in links]
    return incident
