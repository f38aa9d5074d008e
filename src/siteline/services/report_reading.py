"""Everything a case report shows, read from one snapshot of the case as plain rows.

The rows are what is stored; deciding what a report may show of them is
`report.redaction`'s work. Two things are never read here: a witness's sealed identity
(only whether a source has one), and the sealed text of a confidential item unless the
report was asked to include confidential material (then it is opened with the case key).
"""

from __future__ import annotations

import json

from sqlalchemy import func, select

from siteline import __version__
from siteline.errors import CaseError
from siteline.report.chain import chain_references
from siteline.services.sealing import blob_context, sealed_context
from siteline.store.blobs import sha256_hex
from siteline.store.case_folder import Case
from siteline.store.schema import (
    audit_log,
    blobs,
    case_info,
    claims,
    custody,
    derived_items,
    evidence,
    evidence_links,
    incidents,
    sites,
    sources,
)

ANALYSIS_KINDS = ("change_analysis", "change_figure")
CANDIDATE = "candidate"  # a claim found by ingest that no person has confirmed


def _rows(connection, query) -> list[dict]:
    return [dict(row) for row in connection.execute(query).mappings()]


def _live(table):
    return table.c.deleted_at.is_(None)


def read_snapshot(case: Case, open_sealed: bool) -> dict:
    """The case as the report needs it, every list in a fixed order."""
    with case.read() as connection:
        if case.backend == "postgresql":
            connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        snapshot = {
            "case": _rows(connection, select(case_info))[0],
            "incidents": _rows(
                connection,
                select(incidents)
                .where(_live(incidents))
                .order_by(incidents.c.window_start_at, incidents.c.id),
            ),
            "claims": _rows(
                connection,
                select(claims)
                .where(_live(claims), func.coalesce(claims.c.status, "") != CANDIDATE)
                .order_by(claims.c.stated_at, claims.c.id),
            ),
            "candidate_claims": connection.execute(
                select(func.count())
                .select_from(claims)
                .where(_live(claims), claims.c.status == CANDIDATE)
            ).scalar(),
            "audit": _audit(connection),
            "siteline_version": __version__,
        }
        snapshot["sites"] = _sites(connection, snapshot["incidents"], snapshot["claims"])
        incident_ids = [row["id"] for row in snapshot["incidents"]]
        snapshot["links"] = _rows(
            connection,
            select(evidence_links)
            .where(_live(evidence_links), evidence_links.c.incident_id.in_(incident_ids))
            .order_by(evidence_links.c.incident_id, evidence_links.c.id),
        )
        snapshot["derived"] = _derived(connection, snapshot["claims"])
        cited = _cited(snapshot)
        snapshot["evidence"] = _evidence(connection, cited, snapshot["derived"])
        snapshot["sources"] = _sources(connection, snapshot["evidence"])
        snapshot["custody"] = _custody(connection, snapshot["evidence"])
        snapshot["blobs"] = _blob_contents(case, connection, snapshot["derived"], open_sealed)
    if open_sealed:
        _open_sealed_texts(case, snapshot["evidence"])
    for item in snapshot["evidence"]:
        item.pop("sealed", None)  # ciphertext: nothing a report shows
    snapshot["cited"] = sorted(cited)
    return snapshot


def _sites(connection, incident_rows: list[dict], claim_rows: list[dict]) -> list[dict]:
    """Every live site, and any deleted one that a live incident or claim still names."""
    named = {row["site_id"] for row in incident_rows + claim_rows if row["site_id"] is not None}
    query = select(sites).where(_live(sites) | sites.c.id.in_(sorted(named)))
    found = _rows(connection, query.order_by(sites.c.id))
    for site in found:
        site["aliases"] = json.loads(site["aliases"])
    return found


def _audit(connection) -> dict:
    head = connection.execute(
        select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
    ).first()
    return {"entries": head.seq if head else 0, "head_hash": head.hash if head else None}


def _derived(connection, claim_rows: list[dict]) -> list[dict]:
    """Every live change analysis and figure, and whatever a verdict chain names."""
    named = set().union(*(chain_references(row["verdict_chain"])[1] for row in claim_rows))
    query = (
        select(derived_items)
        .where(_live(derived_items))
        .where(derived_items.c.kind.in_(ANALYSIS_KINDS) | derived_items.c.id.in_(sorted(named)))
        .order_by(derived_items.c.id)
    )
    found = _rows(connection, query)
    for row in found:
        row["parents"] = json.loads(row["parents"])
        row["parameters"] = json.loads(row["parameters"])
    return found


def _cited(snapshot: dict) -> set[int]:
    """The evidence items the report names: linked to an incident, where a claim appeared,
    named by a verdict chain, or the item a derived item belongs to."""
    cited = {row["evidence_id"] for row in snapshot["links"]}
    for claim in snapshot["claims"]:
        if claim["evidence_id"] is not None:
            cited.add(claim["evidence_id"])
        cited |= chain_references(claim["verdict_chain"])[0]
    cited |= {row["evidence_id"] for row in snapshot["derived"] if row["evidence_id"] is not None}
    return cited


def _evidence(connection, cited: set[int], derived: list[dict]) -> list[dict]:
    """The cited items, the items holding the originals derived items were made from, and
    every item they lie within, so that a withheld container withholds what it holds."""
    parents = sorted({parent for row in derived for parent in row["parents"]})
    found: dict[int, dict] = {}
    wanted = set(cited)
    if parents:
        query = select(evidence).where(evidence.c.blob_sha256.in_(parents), _live(evidence))
        found.update({row["id"]: row for row in _rows(connection, query)})
    while wanted - set(found):
        query = select(evidence).where(evidence.c.id.in_(sorted(wanted - set(found))))
        rows = _rows(connection, query)
        found.update({row["id"]: row for row in rows})
        wanted = {row["within_id"] for row in found.values() if row["within_id"] is not None}
        if not rows:
            break
    return [found[number] for number in sorted(found)]


def _sources(connection, items: list[dict]) -> list[dict]:
    """The sources of the items, never with a witness's identity: only whether one is sealed."""
    wanted = sorted({row["source_id"] for row in items if row["source_id"] is not None})
    query = select(
        sources.c.id,
        sources.c.name,
        sources.c.kind,
        sources.c.reliability,
        sources.c.url,
        sources.c.identity_sealed.is_not(None).label("identity_is_sealed"),
    ).where(sources.c.id.in_(wanted))
    return _rows(connection, query.order_by(sources.c.id))


def _custody(connection, items: list[dict]) -> list[dict]:
    wanted = sorted({row["id"] for row in items})
    query = (
        select(custody)
        .where(custody.c.object_type == "evidence", custody.c.object_id.in_(wanted), _live(custody))
        .order_by(custody.c.object_id, custody.c.id)
    )
    return _rows(connection, query)


def _blob_contents(case: Case, connection, derived: list[dict], open_sealed: bool) -> dict:
    """The bytes of each change analysis and figure, opened when sealed and allowed; a sealed
    one that may not be opened is left out (its derived item is withheld anyway)."""
    digests = sorted({row["blob_sha256"] for row in derived if row["blob_sha256"]})
    stored = _rows(connection, select(blobs).where(blobs.c.id.in_(digests)).order_by(blobs.c.id))
    contents = {}
    for blob in stored:
        if blob["encrypted"] and not open_sealed:
            continue
        data = case.blobs.read(blob["stored_sha256"])
        if blob["encrypted"]:
            data = case.sealer.open(data, blob_context(blob["id"]), purpose="the report")
        if sha256_hex(data) != blob["id"]:
            raise CaseError(
                f"blob {blob['id'][:12]}…: its file no longer matches its hash, so the report "
                "cannot show it; run 'siteline audit verify'"
            )
        contents[blob["id"]] = data
    return contents


def _open_sealed_texts(case: Case, items: list[dict]) -> None:
    for item in items:
        if item["sealed"]:
            secret = json.loads(case.sealer.open_text(item["sealed"], sealed_context(item["id"])))
            item.update(secret)
