"""`siteline link`: proposals of incidents from the case's evidence, kept in
`link_proposals` until a person confirms, rejects, merges or splits them
(services/linking_decisions.py).

A run reads every live item, site, incident and near-duplicate cluster, lets
analysis/linking.py propose, and stores only what is new. A proposal is known by a digest
of its site, its incident and its items (its key), so a run never makes again a proposal
made, confirmed or rejected before. A still-open proposal the machine made is updated
when new evidence changes its group; one a person shaped (by merge or split: it names who
in `decided_by`) keeps its items; confirmed links are never touched.
"""

from __future__ import annotations

import json
from collections import defaultdict

from sqlalchemy import select

from siteline.analysis.linking import LinkRules, Proposal, propose, summarise
from siteline.analysis.linking_time import bounds
from siteline.domain.values import FuzzyTime
from siteline.errors import InvalidInput, NotFound
from siteline.services import media_match
from siteline.services.incidents import time_columns
from siteline.services.linking_reads import (
    members_of,
    read_incidents,
    read_items,
    read_proposals,
    read_sites,
)
from siteline.services.sites import find_site
from siteline.store.case_folder import Case
from siteline.store.schema import evidence, link_proposals

STATUSES = ("proposed", "confirmed", "rejected", "merged", "split")


def propose_links(
    case: Case, site: str | int | None = None, min_score: float | None = None
) -> dict:
    """Proposes incidents from the evidence and stores the new and changed proposals.

    Returns what was created, updated and left unchanged, and every open proposal (for
    the site asked about, at least `min_score`)."""
    rules = LinkRules() if min_score is None else LinkRules(min_score=_score(min_score))
    site_ids = [find_site(case, site, "--site")["id"]] if site is not None else None
    with case.read() as connection:
        site_infos, names = read_sites(connection)
        items = read_items(connection)
        anchors = read_incidents(connection)
        held, left_out = _decided(read_proposals(connection))
    clusters = [[row["evidence_id"] for row in c["items"]] for c in media_match.clusters(case)]
    computed = propose(items, site_infos, anchors, clusters, held, site_ids, rules)
    kept = (_drop_left_out(p, left_out, names, anchors) for p in computed)
    computed = [p for p in kept if p is not None and p.score >= rules.min_score]
    with case.write() as transaction:
        existing = read_proposals(transaction.connection)
        created, updated, unchanged = _store(transaction, computed, existing)
    open_ones = list_proposals(case, status="proposed", site=site_ids[0] if site_ids else None)
    return {
        "created": [row["id"] for row in created],
        "updated": [row["id"] for row in updated],
        "unchanged": unchanged,
        "proposals": [p for p in open_ones if p["score"] >= rules.min_score],
    }


def _score(value: float) -> float:
    if not 0.0 <= float(value) <= 1.0:
        raise InvalidInput("--min-score", f"{value} is outside 0..1")
    return float(value)


def _decided(rows: list[dict]) -> tuple[dict[int, set[int]], dict[int, set[int]]]:
    """Items a person placed in open proposals of their shaping (per site), and items a
    person left out when confirming a proposal (per incident): neither is proposed again."""
    held: dict[int, set[int]] = defaultdict(set)
    left_out: dict[int, set[int]] = defaultdict(set)
    for row in rows:
        if row["status"] == "proposed" and row["decided_by"] is not None:
            held[row["site_id"]].update(m.evidence_id for m in members_of(row))
        if row["status"] == "confirmed":
            for value in json.loads(row["members"]):
                if value.get("left_out"):
                    left_out[row["incident_id"]].add(int(value["evidence_id"]))
    return held, left_out


def _drop_left_out(proposal: Proposal, left_out, names, anchors) -> Proposal | None:
    gone = left_out.get(proposal.incident_id, set()) if proposal.incident_id else set()
    if not gone & {m.evidence_id for m in proposal.members}:
        return proposal
    members = [m for m in proposal.members if m.evidence_id not in gone]
    if not members:
        return None
    window = next(a.window for a in anchors if a.id == proposal.incident_id)
    _, score, reasons = summarise(names[proposal.site_id], members, proposal.incident_id, window)
    return Proposal(proposal.site_id, proposal.incident_id, window, score, reasons, members)


# Storing a run's proposals.


def proposal_values(proposal: Proposal) -> dict:
    start, end = bounds(proposal.window) if proposal.window else (None, None)
    return {
        "key": proposal.key,
        "site_id": proposal.site_id,
        **time_columns("window_start", start),
        **time_columns("window_end", end),
        "score": proposal.score,
        "reasons": json.dumps(proposal.reasons, ensure_ascii=False),
        "members": json.dumps([m.as_json() for m in proposal.members], ensure_ascii=False),
        "incident_id": proposal.incident_id,
    }


def _store(transaction, computed: list[Proposal], existing: list[dict]):
    """Inserts new proposals and updates open ones the machine made; a proposal whose key
    a decided one (or one a person shaped) already has is left alone."""
    by_key: dict[str, dict] = {}
    by_site: dict[int, list[dict]] = defaultdict(list)
    for row in existing:
        by_key.setdefault(row["key"], row)
        by_site[row["site_id"]].append(row)
    items_of = {row["id"]: {m.evidence_id for m in members_of(row)} for row in existing}
    targets: list[dict | None] = [by_key.get(p.key) for p in computed]
    used = {row["id"] for row in targets if row is not None}
    for index, proposal in enumerate(computed):
        if targets[index] is None:
            targets[index] = _nearest_open(proposal, by_site[proposal.site_id], items_of, used)
    created, updated, unchanged = [], [], 0
    for proposal, row in zip(computed, targets, strict=True):
        if row is not None and not _machine_open(row):
            unchanged += 1  # decided, or shaped by a person: left as it is
            continue
        _note_rejections(proposal, by_site[proposal.site_id], items_of)
        values = proposal_values(proposal)
        if row is None:
            created.append(transaction.insert("proposal", {**values, "status": "proposed"}))
        elif all(row[name] == value for name, value in values.items()):
            unchanged += 1
        else:
            updated.append(transaction.update("proposal", row["id"], values))
    return created, updated, unchanged


def _machine_open(row: dict) -> bool:
    return row["status"] == "proposed" and row["decided_by"] is None


def _nearest_open(proposal: Proposal, rows: list[dict], items_of, used: set[int]):
    """The open proposal the machine made for the same site and incident that shares the
    most items with a new group: new evidence changed that group."""
    ids = {m.evidence_id for m in proposal.members}
    best, shared_most = None, 0
    for row in rows:
        if row["id"] in used or not _machine_open(row):
            continue
        if row["incident_id"] != proposal.incident_id:
            continue
        shared = len(ids & items_of[row["id"]])
        if shared > shared_most:
            best, shared_most = row, shared
    if best is not None:
        used.add(best["id"])
    return best


def _note_rejections(proposal: Proposal, rows: list[dict], items_of) -> None:
    ids = {m.evidence_id for m in proposal.members}
    for row in rows:
        again = sorted(ids & items_of[row["id"]]) if row["status"] == "rejected" else []
        if again:
            listed = ", ".join(f"#{i}" for i in again)
            which = f"item {listed} was" if len(again) == 1 else f"items {listed} were"
            proposal.reasons.append(
                f"{which} in proposal #{row['id']}, rejected by "
                f"{row['decided_by']}: {row['decision_note']}"
            )


# Reading proposals back.


def present(row: dict, names: dict[int, str] | None = None) -> dict:
    record = dict(row)
    record["reasons"] = json.loads(row["reasons"])
    record["members"] = json.loads(row["members"])
    start = FuzzyTime.from_stored(row["window_start_at"], row["window_start_precision"])
    end = FuzzyTime.from_stored(row["window_end_at"], row["window_end_precision"])
    record["window"] = None if start is None else str(start) + (f" to {end}" if end else "")
    if names is not None:
        record["site"] = names.get(row["site_id"])
    return record


def list_proposals(case: Case, status: str | None = None, site: str | int | None = None) -> list:
    if status is not None and status not in STATUSES:
        raise InvalidInput("--status", f"{status!r} is not one of: {', '.join(STATUSES)}")
    site_id = find_site(case, site, "--site")["id"] if site is not None else None
    with case.read() as connection:
        _, names = read_sites(connection)
        rows = read_proposals(connection)
    return [
        present(row, names)
        for row in rows
        if (status is None or row["status"] == status)
        and (site_id is None or row["site_id"] == site_id)
    ]


def show_proposal(case: Case, proposal_id: int) -> dict:
    """A proposal with its site, its incident if any, and each member item summarised."""
    with case.read() as connection:
        row = (
            connection.execute(select(link_proposals).where(link_proposals.c.id == proposal_id))
            .mappings()
            .first()
        )
        if row is None or row["deleted_at"]:
            raise NotFound(f"proposal: no proposal #{proposal_id} in this case")
        _, names = read_sites(connection)
        record = present(dict(row), names)
        ids = [m["evidence_id"] for m in record["members"]]
        found = {
            item["id"]: item
            for item in connection.execute(
                select(evidence.c.id, evidence.c.kind, evidence.c.title, evidence.c.deleted_at)
                .where(evidence.c.id.in_(ids))
            ).mappings()
        }  # fmt: skip
    for member in record["members"]:
        item = found.get(member["evidence_id"], {})
        member["kind"] = item.get("kind")
        member["title"] = item.get("title")
        member["deleted"] = bool(item.get("deleted_at"))
    return record
