"""What a ClaimReview export needs from a case: its claims with where each appeared, when
each verdict was reached (from the audit chain, so that the same case always gives the
same document), and which items a public output must not name.
"""

from __future__ import annotations

import json

from sqlalchemy import or_, select

from siteline.services.cases import case_record
from siteline.store.case_folder import Case
from siteline.store.schema import audit_log, claims, evidence, sources

# A claim found by ingest that no person has taken up yet is not reviewed.
CANDIDATE = "candidate"


def review_input(case: Case) -> dict:
    """The case's name, its reviewed claims (each with its appearance and verdict dates),
    and `hidden`: every item a public output names only as confidential or restricted."""
    record = case_record(case)
    with case.read() as connection:
        rows = [
            dict(row)
            for row in connection.execute(
                select(claims).where(claims.c.deleted_at.is_(None)).order_by(claims.c.id)
            ).mappings()
            if row["status"] != CANDIDATE
        ]
        appearances = _appearances(connection, {row["evidence_id"] for row in rows} - {None})
        hidden = _hidden(connection)
        dates = _verdict_dates(connection)
    for row in rows:
        row["appearance"] = appearances.get(row["evidence_id"])
        row["verdict_dates"] = dates.get(str(row["id"]), {})
    case_names = {"name": record["name"], "uid": record["case_uid"]}
    return {"case": case_names, "claims": rows, "hidden": hidden}


def _appearances(connection, evidence_ids: set[int]) -> dict[int, dict]:
    if not evidence_ids:
        return {}
    query = select(
        evidence.c.id,
        evidence.c.kind,
        evidence.c.title,
        evidence.c.source_url,
        evidence.c.published_at,
        evidence.c.published_precision,
        evidence.c.sensitivity,
        evidence.c.deleted_at,
    ).where(evidence.c.id.in_(sorted(evidence_ids)))
    return {row["id"]: dict(row) for row in connection.execute(query).mappings()}


def _hidden(connection) -> dict[int, str]:
    """Items that are restricted or confidential, and every item of a source whose identity
    is sealed (a witness): evidence id → 'restricted' or 'confidential'."""
    sealed_sources = select(sources.c.id).where(sources.c.identity_sealed.is_not(None))
    query = select(evidence.c.id, evidence.c.sensitivity, evidence.c.source_id).where(
        or_(evidence.c.sensitivity != "public", evidence.c.source_id.in_(sealed_sources))
    )
    return {
        row.id: "restricted" if row.sensitivity == "restricted" else "confidential"
        for row in connection.execute(query)
    }


def _verdict_dates(connection) -> dict[str, dict]:
    """By claim: when its present verdict was reached ('published') and when its verdict or
    reasons last changed ('modified'), as the audit chain records them."""
    query = (
        select(audit_log.c.object_id, audit_log.c.at, audit_log.c.before, audit_log.c.after)
        .where(audit_log.c.object_type == "claim")
        .order_by(audit_log.c.seq)
    )
    dates: dict[str, dict] = {}
    for row in connection.execute(query):
        before = json.loads(row.before) if row.before else {}
        after = json.loads(row.after) if row.after else None
        if not isinstance(after, dict) or "verdict" not in after:
            continue  # a batch entry or a record left out: no verdict to read
        found = dates.setdefault(row.object_id, {})
        if before.get("verdict") != after.get("verdict"):
            found["published"] = row.at
        if any(before.get(key) != after.get(key) for key in ("verdict", "verdict_reasons")):
            found["modified"] = row.at
    return dates


def record_export(case: Case, destination: str, detail: dict) -> None:
    """An audit entry saying the claims left the case, and in which form."""
    with case.write() as transaction:
        transaction.record_event("export", "claimreview", destination, detail)
