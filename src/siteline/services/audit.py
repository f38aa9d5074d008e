"""`audit verify`: the chain, the records it accounts for, and every stored file.

Four checks, each naming the first thing it finds wrong:
1. the chain itself: numbering, links and hashes (altered, removed, inserted, reordered);
2. the chain's head against the copy kept in the case folder (entries cut off the end);
3. every record against the last entry that wrote it (records altered, removed or
   inserted behind Siteline's back);
4. every blob file against its hash, and no file the case does not account for.
Sealed material is checked as stored, so verification never needs the key.
"""

from __future__ import annotations

import json
from dataclasses import dataclass, field

from sqlalchemy import select

from siteline.store import audit
from siteline.store.audit import Problem
from siteline.store.canonical import canonical_json
from siteline.store.case_folder import HEAD_FILE, Case, read_head
from siteline.store.schema import AUDITED_TABLES, audit_log, blobs


@dataclass
class VerifyReport:
    entries: int = 0
    records: int = 0
    blobs: int = 0
    problems: list[Problem] = field(default_factory=list)

    @property
    def ok(self) -> bool:
        return not self.problems


def load_chain(case: Case) -> list[dict]:
    with case.read() as connection:
        return [
            dict(row)
            for row in connection.execute(select(audit_log).order_by(audit_log.c.seq)).mappings()
        ]


def verify(case: Case) -> VerifyReport:
    entries = load_chain(case)
    report = VerifyReport(entries=len(entries))
    report.problems += audit.check_chain(entries)
    report.problems += audit.check_head(entries, read_head(case.folder), HEAD_FILE)
    report.problems += _check_records(case, entries, report)
    report.problems += _check_blobs(case, report)
    return report


def _check_records(case: Case, entries: list[dict], report: VerifyReport) -> list[Problem]:
    latest = audit.latest_states(entries)
    problems: list[Problem] = []
    with case.read() as connection:
        for object_type, table in AUDITED_TABLES.items():
            seen = set()
            # In order of id, so that the first problem named is the same on every back end.
            for row in connection.execute(select(table).order_by(table.c.id)).mappings():
                report.records += 1
                object_id = str(row["id"])
                seen.add(object_id)
                problem = _record_problem(dict(row), latest.get((object_type, object_id)))
                if problem:
                    problems.append(Problem(f"{object_type} {object_id}", problem))
            for (entry_type, object_id), entry in latest.items():
                if entry_type == object_type and object_id not in seen and _expected(entry):
                    problems.append(
                        Problem(
                            f"{object_type} {object_id}",
                            f"removed from the database (audit entry #{_seq(entry)} records it)",
                        )
                    )
    return problems


def _expected(state: dict | audit.BatchState) -> bool:
    """Whether the record must be in the database (a redacted entry may stand for one
    left out of a bundle)."""
    if isinstance(state, audit.BatchState):
        return True
    # An entry with no record after it says the record is not here (left out of a bundle).
    return not state["redacted"] and state["after"] is not None


def _seq(state: dict | audit.BatchState) -> int:
    return state.seq if isinstance(state, audit.BatchState) else state["seq"]


def _record_problem(row: dict, entry: dict | audit.BatchState | None) -> str | None:
    if entry is None:
        return "inserted outside Siteline: no audit entry records it"
    if isinstance(entry, audit.BatchState):
        return None if entry.matches(row) else _altered_in(entry.seq)
    if entry["redacted"]:
        recorded_digest = entry["after_sha256"]
        return (
            None if audit.state_digest(canonical_json(row)) == recorded_digest else _altered(entry)
        )
    recorded = json.loads(entry["after"]) if entry["after"] is not None else None
    if recorded is None:
        return f"present, but audit entry #{entry['seq']} records it as gone"
    # Columns added by later migrations are not in older entries; they must still be empty.
    projected = {key: row.get(key) for key in recorded}
    added_later = {
        key: value for key, value in row.items() if key not in recorded and value is not None
    }
    if projected != recorded or added_later:
        return _altered(entry)
    return None


def _altered(entry: dict) -> str:
    return _altered_in(entry["seq"])


def _altered_in(seq: int) -> str:
    return f"altered: differs from its record in audit entry #{seq}"


def _check_blobs(case: Case, report: VerifyReport) -> list[Problem]:
    problems: list[Problem] = []
    with case.read() as connection:
        rows = list(
            connection.execute(
                select(blobs.c.id, blobs.c.stored_sha256).order_by(blobs.c.stored_sha256)
            ).mappings()
        )
    expected = {row["stored_sha256"]: row["id"] for row in rows}
    for row in rows:
        report.blobs += 1
        found = case.blobs.digest_of_file(row["stored_sha256"])
        where = f"file {case.blobs.path_for(row['stored_sha256']).relative_to(case.folder)}"
        if found is None:
            problems.append(
                Problem(where, f"removed: the original of blob {row['id'][:12]}… is missing")
            )
        elif found != row["stored_sha256"] and found in expected:
            problems.append(
                Problem(
                    where,
                    f"altered: it holds the content of file {found[:12]}… (files swapped or copied)",
                )
            )
        elif found != row["stored_sha256"]:
            problems.append(Problem(where, f"altered: its content hashes to {found[:12]}…"))
    for name, path in case.blobs.stored_names():
        if name not in expected:
            problems.append(
                Problem(
                    f"file {path.relative_to(case.folder)}",
                    "inserted: no record in the case accounts for it",
                )
            )
    return problems
