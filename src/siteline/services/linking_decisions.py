"""A person's decisions on link proposals: confirm (the incident and its links), reject,
merge several into one or into an incident already entered, split one in two.

Each decision is one audited transaction: it records who decided (`decided_by`, the
case's actor) and why, and either all of it is written or none. Only an open proposal
(status "proposed") can be decided; a decided one stays as it was decided.
"""

from __future__ import annotations

import json

from sqlalchemy import select

from siteline.analysis.linking import Member, Proposal, summarise
from siteline.analysis.linking_time import bounds
from siteline.domain.entities import Incident
from siteline.errors import InvalidInput
from siteline.services.findings import refresh_noting_failure
from siteline.services.incidents import insert_incident
from siteline.services.linking import present, proposal_values
from siteline.services.linking_reads import incident_window, members_of
from siteline.store.case_folder import Case
from siteline.store.schema import evidence_links
from siteline.store.transaction import Transaction

# What a person may tell about a new incident when confirming it, beside its title and type.
INCIDENT_DETAILS = {"weapon", "perpetrator", "killed", "injured", "damage_class", "description"}


def confirm_proposal(
    case: Case,
    proposal_id: int,
    without: list[int] | tuple[int, ...] = (),
    title: str | None = None,
    incident_type: str | None = None,
    details: dict | None = None,
) -> dict:
    """Makes the proposal an incident (or adds it to the incident it names) and links its
    items, all but those `without`, with role "supports" ("context" for satellite scenes)
    and their reasons as the rationale. `details`: more of the new incident's fields
    (weapon, perpetrator, killed, injured, damage_class, description)."""
    details = {key: value for key, value in (details or {}).items() if value is not None}
    unknown = sorted(set(details) - INCIDENT_DETAILS)
    if unknown:
        raise InvalidInput(unknown[0], f"not a field an incident takes at confirmation: {unknown}")
    with case.write() as transaction:
        row = _open(transaction, proposal_id)
        members = members_of(row)
        left_out = _named_members(without, members, proposal_id, "--without")
        kept = [m for m in members if m.evidence_id not in left_out]
        if not kept:
            raise InvalidInput(
                "--without", f"leaves no item of proposal #{proposal_id}: reject it instead"
            )
        _require_live(transaction, kept, proposal_id)
        site = transaction.require("site", row["site_id"], field="site")
        if row["incident_id"] is not None:
            if title or incident_type or details:
                raise InvalidInput(
                    "--title"
                    if title
                    else "--type"
                    if incident_type
                    else f"--{next(iter(details))}",
                    f"proposal #{proposal_id} adds to incident #{row['incident_id']}, which "
                    "keeps its own title and type",
                )
            incident = transaction.require("incident", row["incident_id"], field="incident")
        else:
            incident = _new_incident(
                transaction, site, kept, proposal_id, title, incident_type, details
            )
        links = _link(transaction, case, incident["id"], kept, proposal_id)
        stored = [{**m.as_json(), **({"left_out": True} if m.evidence_id in left_out else {})}
                  for m in members]  # fmt: skip
        note = f"without {_items(left_out)}" if left_out else None
        decided = transaction.update(
            "proposal",
            proposal_id,
            {
                "status": "confirmed",
                "incident_id": incident["id"],
                "decided_by": case.actor,
                "decision_note": note,
                "members": json.dumps(stored, ensure_ascii=False),
            },
        )
        result = {"proposal": _shown(transaction, decided), "incident": incident, "links": links}
    return refresh_noting_failure(case, result)


def reject_proposal(case: Case, proposal_id: int, reason: str) -> dict:
    if not (reason or "").strip():
        raise InvalidInput("--reason", "say why the proposal is rejected; the reason is kept")
    with case.write() as transaction:
        _open(transaction, proposal_id)
        decided = transaction.update(
            "proposal",
            proposal_id,
            {"status": "rejected", "decided_by": case.actor, "decision_note": reason.strip()},
        )
        return {"proposal": _shown(transaction, decided)}


def merge_proposals(case: Case, proposal_ids: list[int], into_incident: int | None = None) -> dict:
    """Several proposals for one site become one proposal; or, `into_incident`, their
    items are linked to that incident."""
    if len(set(proposal_ids)) != len(proposal_ids):
        raise InvalidInput("proposals", "a proposal is named twice")
    if into_incident is None and len(proposal_ids) < 2:
        raise InvalidInput("proposals", "name at least two proposals, or --into-incident")
    with case.write() as transaction:
        rows = [_open(transaction, proposal_id) for proposal_id in proposal_ids]
        _one_site(rows)
        members = _union(rows)
        if into_incident is not None:
            result = _merge_into(case, transaction, rows, members, into_incident)
        else:
            result = _merge(case, transaction, rows, members)
    return refresh_noting_failure(case, result) if into_incident is not None else result


def split_proposal(case: Case, proposal_id: int, items: list[int]) -> dict:
    """The items named become a proposal of their own (for a new incident); the rest stay
    in this one. Both are then the person's: `link` does not regroup them."""
    with case.write() as transaction:
        row = _open(transaction, proposal_id)
        members = members_of(row)
        named = _named_members(items, members, proposal_id, "--items")
        if not named:
            raise InvalidInput("--items", "name the items that become a proposal of their own")
        if len(named) == len(members):
            raise InvalidInput(
                "--items", f"names every item of proposal #{proposal_id}: nothing would stay"
            )
        site = transaction.require("site", row["site_id"], field="site")
        moved = [m for m in members if m.evidence_id in named]
        kept = [m for m in members if m.evidence_id not in named]
        new_row = _insert_shaped(
            case, transaction, site, moved, None, f"split from proposal #{proposal_id}"
        )
        note = f"split: {_items(named)} moved to proposal #{new_row['id']}"
        values = _shaped_values(transaction, site, kept, row["incident_id"], note)
        stayed = transaction.update(
            "proposal", proposal_id, {**values, "decided_by": case.actor, "decision_note": note}
        )
        return {"proposal": _shown(transaction, stayed), "new": _shown(transaction, new_row)}


# Shared steps.


def _shown(transaction: Transaction, row: dict) -> dict:
    site = transaction.get("site", row["site_id"])
    return present(row, {row["site_id"]: site["name"] if site else None})


def _open(transaction: Transaction, proposal_id: int) -> dict:
    row = transaction.require("proposal", proposal_id, field="proposal")
    if row["status"] != "proposed":
        incident = f" (incident #{row['incident_id']})" if row["incident_id"] else ""
        raise InvalidInput(
            "proposal",
            f"proposal #{proposal_id} is already {row['status']}{incident} by "
            f"{row['decided_by']}; only an open proposal can be decided",
        )
    return row


def _named_members(ids, members: list[Member], proposal_id: int, field: str) -> set[int]:
    present_ids = {m.evidence_id for m in members}
    for evidence_id in ids:
        if evidence_id not in present_ids:
            raise InvalidInput(
                field,
                f"item #{evidence_id} is not in proposal #{proposal_id} "
                f"(its items: {_ids(present_ids)})",
            )
    return set(ids)


def _ids(ids) -> str:
    return ", ".join(f"#{i}" for i in sorted(ids))


def _items(ids) -> str:
    return ("item " if len(ids) == 1 else "items ") + _ids(ids)


def _require_live(transaction: Transaction, members: list[Member], proposal_id: int) -> None:
    for member in members:
        item = transaction.get("evidence", member.evidence_id)
        if item is None or item["deleted_at"]:
            raise InvalidInput(
                "proposal",
                f"item #{member.evidence_id} of proposal #{proposal_id} has been deleted: "
                f"leave it out (--without {member.evidence_id})",
            )


def _new_incident(
    transaction, site, members, proposal_id, title, incident_type, details: dict
) -> dict:
    window, _, _ = summarise(site["name"], members)
    if window is None:
        raise InvalidInput(
            "proposal",
            f"no item of proposal #{proposal_id} has a time, so an incident would have no "
            "window: add the incident by hand ('siteline incident add')",
        )
    start, end = bounds(window)
    incident = Incident(
        site_id=site["id"],
        window_start=start,
        window_end=end,
        type=incident_type or "other",
        title=title or f"{site['name']}, {window}",
        **details,
    )
    return insert_incident(transaction, incident)


def _link(transaction, case, incident_id: int, members: list[Member], proposal_id: int):
    """Links each item not linked to the incident already; a link made before stays."""
    linked = {
        row.evidence_id
        for row in transaction.connection.execute(
            select(evidence_links.c.evidence_id).where(
                evidence_links.c.incident_id == incident_id,
                evidence_links.c.deleted_at.is_(None),
            )
        )
    }
    rows = [
        {
            "incident_id": incident_id,
            "evidence_id": m.evidence_id,
            "role": m.role,
            "rationale": f"proposed by siteline link (proposal #{proposal_id}, score "
            f"{m.score:.2f}): " + "; ".join(m.reasons),
            "linked_by": case.actor,
            "proposal_id": proposal_id,
        }
        for m in members
        if m.evidence_id not in linked
    ]
    return transaction.insert_many("link", rows)


def _one_site(rows: list[dict]) -> None:
    sites = sorted({row["site_id"] for row in rows})
    if len(sites) > 1:
        listed = ", ".join(f"#{row['id']} (site #{row['site_id']})" for row in rows)
        raise InvalidInput(
            "proposals", f"{listed} are for different sites: only one site's proposals merge"
        )


def _union(rows: list[dict]) -> list[Member]:
    """Every item of the proposals once, with its best score and its reasons."""
    best: dict[int, Member] = {}
    for row in rows:
        for member in members_of(row):
            if member.evidence_id not in best or member.score > best[member.evidence_id].score:
                best[member.evidence_id] = member
    return [best[evidence_id] for evidence_id in sorted(best)]


def _merge(case, transaction, rows, members) -> dict:
    incidents = {row["incident_id"] for row in rows if row["incident_id"] is not None}
    if len(incidents) > 1:
        raise InvalidInput(
            "proposals", f"they add to different incidents ({_ids(incidents)}): merge each alone"
        )
    site = transaction.require("site", rows[0]["site_id"], field="site")
    names = _ids(row["id"] for row in rows)
    merged = _insert_shaped(
        case, transaction, site, members, next(iter(incidents), None), f"merged from {names}"
    )
    for row in rows:
        transaction.update(
            "proposal",
            row["id"],
            {
                "status": "merged",
                "decided_by": case.actor,
                "decision_note": f"merged into proposal #{merged['id']}",
            },
        )
    return {"proposal": _shown(transaction, merged), "merged": [row["id"] for row in rows]}


def _merge_into(case, transaction, rows, members, incident_id: int) -> dict:
    incident = transaction.require("incident", incident_id, field="--into-incident")
    for row in rows:
        if row["site_id"] != incident["site_id"]:
            raise InvalidInput(
                "--into-incident",
                f"incident #{incident_id} is at site #{incident['site_id']}, proposal "
                f"#{row['id']} at site #{row['site_id']}",
            )
        if row["incident_id"] not in (None, incident_id):
            raise InvalidInput(
                "--into-incident",
                f"proposal #{row['id']} adds to incident #{row['incident_id']}, not #{incident_id}",
            )
    _require_live(transaction, members, rows[0]["id"])
    links = []
    for row in rows:
        own = [m for m in members if m.evidence_id in {x.evidence_id for x in members_of(row)}]
        links += _link(transaction, case, incident_id, own, row["id"])
        transaction.update(
            "proposal",
            row["id"],
            {
                "status": "merged",
                "incident_id": incident_id,
                "decided_by": case.actor,
                "decision_note": f"added to incident #{incident_id}",
            },
        )
    return {"incident": incident, "links": links, "merged": [row["id"] for row in rows]}


def _shaped_values(transaction, site, members, incident_id, note: str) -> dict:
    window = None
    if incident_id is not None:
        window = incident_window(transaction.require("incident", incident_id, field="incident"))
    found, score, reasons = summarise(site["name"], members, incident_id, window)
    proposal = Proposal(site["id"], incident_id, found, score, [note, *reasons], members)
    return proposal_values(proposal)


def _insert_shaped(case, transaction, site, members, incident_id, note: str) -> dict:
    values = _shaped_values(transaction, site, members, incident_id, note)
    return transaction.insert(
        "proposal",
        {**values, "status": "proposed", "decided_by": case.actor, "decision_note": note},
    )
