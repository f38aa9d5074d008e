"""The audit chain: every change to a case, each entry hashed with the one before.

An entry names who did what to which object, with the object's whole record before and
after. Its hash covers the digests of those records rather than the records themselves,
so an export may leave out a confidential record (keeping its digest) and the chain
still verifies. The newest entry's hash is also written beside the database, in the case
folder, so that cutting entries off the end of the chain shows too.
"""

from __future__ import annotations

import hashlib
from dataclasses import dataclass
from typing import Any

from siteline.store.canonical import canonical_json

GENESIS = "0" * 64


def state_digest(state_json: str | None) -> str:
    return hashlib.sha256((state_json if state_json is not None else "null").encode()).hexdigest()


def entry_hash(entry: dict[str, Any]) -> str:
    covered = {
        key: entry[key]
        for key in (
            "seq",
            "at",
            "actor",
            "action",
            "object_type",
            "object_id",
            "before_sha256",
            "after_sha256",
            "prev_hash",
        )
    }
    return hashlib.sha256(canonical_json(covered).encode()).hexdigest()


def make_entry(
    seq: int,
    prev_hash: str,
    at: str,
    actor: str,
    action: str,
    object_type: str,
    object_id: str,
    before: dict | None,
    after: dict | None,
) -> dict[str, Any]:
    before_json = canonical_json(before) if before is not None else None
    after_json = canonical_json(after) if after is not None else None
    entry = {
        "seq": seq,
        "at": at,
        "actor": actor,
        "action": action,
        "object_type": object_type,
        "object_id": str(object_id),
        "before": before_json,
        "after": after_json,
        "before_sha256": state_digest(before_json),
        "after_sha256": state_digest(after_json),
        "redacted": False,
        "prev_hash": prev_hash,
    }
    entry["hash"] = entry_hash(entry)
    return entry


def redact(entry: dict[str, Any]) -> dict[str, Any]:
    """The same entry with its records left out and their digests kept."""
    return {**entry, "before": None, "after": None, "redacted": True}


@dataclass(frozen=True)
class Problem:
    """One thing `audit verify` found wrong, and where."""

    where: str
    what: str

    def __str__(self) -> str:
        return f"{self.where}: {self.what}"


def check_chain(entries: list[dict[str, Any]]) -> list[Problem]:
    """Checks order, links and hashes; names the first entry that breaks the chain."""
    problems: list[Problem] = []
    hashes_seen = {entry["hash"]: entry["seq"] for entry in entries}
    previous_hash, expected_seq = GENESIS, 1
    for entry in entries:
        where = f"audit entry #{entry['seq']} ({entry['action']} {entry['object_type']} {entry['object_id']})"
        problem = _entry_problem(entry, previous_hash, expected_seq, hashes_seen)
        if problem:
            problems.append(Problem(where, problem))
            break
        previous_hash, expected_seq = entry["hash"], entry["seq"] + 1
    return problems


def _entry_problem(entry, previous_hash, expected_seq, hashes_seen) -> str | None:
    if not entry["redacted"]:
        if state_digest(entry["before"]) != entry["before_sha256"]:
            return "altered: its 'before' record does not match its digest"
        if state_digest(entry["after"]) != entry["after_sha256"]:
            return "altered: its 'after' record does not match its digest"
    if entry_hash(entry) != entry["hash"]:
        return "altered: its content does not match its hash"
    if entry["seq"] != expected_seq:
        if entry["seq"] > expected_seq:
            return f"entries #{expected_seq}..#{entry['seq'] - 1} before it were removed"
        return f"out of order: expected #{expected_seq} here"
    if entry["prev_hash"] != previous_hash:
        linked_to = hashes_seen.get(entry["prev_hash"])
        if linked_to is not None:
            return f"reordered: it follows entry #{linked_to}, not the entry before it"
        return "an entry before it was removed, inserted or replaced: its link to the previous entry is broken"
    return None


def check_head(entries: list[dict[str, Any]], head: dict[str, Any] | None) -> list[Problem]:
    """The newest entry must be the one recorded in the case folder's head file."""
    if head is None:
        return []
    by_seq = {entry["seq"]: entry for entry in entries}
    anchored = by_seq.get(head["seq"])
    if anchored is None:
        return [
            Problem(
                f"audit entry #{head['seq']}",
                "removed: the case folder's audit head names it but the chain ends at "
                f"#{entries[-1]['seq'] if entries else 0}",
            )
        ]
    if anchored["hash"] != head["hash"]:
        return [
            Problem(
                f"audit entry #{head['seq']}",
                "altered or replaced: its hash differs from the audit head",
            )
        ]
    return []


def latest_states(entries: list[dict[str, Any]]) -> dict[tuple[str, str], dict[str, Any]]:
    """For each object, the last entry that touched it."""
    latest: dict[tuple[str, str], dict[str, Any]] = {}
    for entry in entries:
        latest[(entry["object_type"], entry["object_id"])] = entry
    return latest
