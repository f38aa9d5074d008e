"""The audit chain: every change to a case, each entry hashed with the one before.

An entry names who did what to which object, with the object's whole record before and
after. Its hash covers the digests of those records rather than the records themselves,
so an export may leave out a confidential record (keeping its digest) and the chain
still verifies. The newest entry's hash is also written beside the database, in the case
folder, so that cutting entries off the end of the chain shows too.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from dataclasses import dataclass
from json.encoder import encode_basestring as _quote  # JSON string, non-ASCII kept
from typing import Any

from siteline.store.canonical import canonical_json, compact_json

GENESIS = "0" * 64


def state_digest(state_json: str | None) -> str:
    if state_json is None:
        return NO_STATE_DIGEST  # every creation has no 'before': worked out once
    return hashlib.sha256(state_json.encode()).hexdigest()


NO_STATE_DIGEST = hashlib.sha256(b"null").hexdigest()


# The fields an entry's hash covers, in the sorted order canonical JSON puts them in.
HASHED_FIELDS = (
    "action",
    "actor",
    "after_sha256",
    "at",
    "before_sha256",
    "object_id",
    "object_type",
    "prev_hash",
    "seq",
)

_PREFIXES = [f'"{key}":' for key in HASHED_FIELDS[:-1]]


def entry_hash(entry: dict[str, Any]) -> str:
    """SHA-256 of the canonical JSON of the hashed fields.

    Written out field by field rather than through `canonical_json` of a new dict: every
    change writes an entry, and this is the same text at a third of the cost. The text is
    the canonical form only while every field but `seq` is a string, so anything else
    goes the long way (and hashes as canonical JSON says).
    """
    values = [entry[key] for key in HASHED_FIELDS]
    seq = values[-1]
    try:
        if type(seq) is not int:
            raise TypeError(seq)
        # encode_basestring refuses anything but text, which sends it the long way too.
        parts = [prefix + _quote(value) for prefix, value in zip(_PREFIXES, values, strict=False)]
    except TypeError:
        return hashlib.sha256(
            canonical_json(dict(zip(HASHED_FIELDS, values, strict=True))).encode()
        ).hexdigest()
    text = "{" + ",".join(parts) + f',"seq":{seq}' + "}"
    return hashlib.sha256(text.encode()).hexdigest()


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


# A batch entry records many new records at once: for each, its id and the digest of its
# values. Bulk ingest (a dataset of a million rows) would otherwise write an entry, with a
# second copy of the record, for every row; the digest vouches for the record as well.
BATCH_ACTION = "create_batch"


def record_digest(values: Sequence[Any]) -> str:
    """SHA-256 of a record's values: the compact JSON array of them, in the order of the
    batch's columns (see `canonical.compact_json`)."""
    return hashlib.sha256(compact_json(values).encode()).hexdigest()


def batch_record(columns: Sequence[str], ids: Sequence[int], digests: Sequence[str]) -> dict:
    """What a batch entry records: the columns its digests cover, and each record's digest."""
    return {
        "columns": list(columns),
        "records": [[i, d] for i, d in zip(ids, digests, strict=True)],
    }


# A batch entry's object id names the first and last ids of its records, each with twelve
# digits, so that text order is number order and the index on (object type, object id)
# finds the batch holding an id with one seek (see `batch_holding`).
SPAN_DIGITS = 12


def batch_span(ids: Sequence[int]) -> str:
    return f"{ids[0]:0{SPAN_DIGITS}d}..{ids[-1]:0{SPAN_DIGITS}d}"


def span_upper_bound(wanted: int) -> str:
    """Every batch span whose first id is at most `wanted` sorts at or below this text
    (digits only after the dots: a linguistic collation may pass over punctuation)."""
    return f"{wanted:0{SPAN_DIGITS}d}..{'9' * SPAN_DIGITS}"


def in_batch_span(object_id: str, wanted: int) -> bool:
    first, _, last = object_id.partition("..")
    return first.isdigit() and last.isdigit() and int(first) <= wanted <= int(last)


@dataclass(frozen=True)
class BatchState:
    """A record as a batch entry vouches for it: the digest of its values."""

    seq: int
    digest: str
    columns: tuple[str, ...]

    def matches(self, row: dict[str, Any]) -> bool:
        # Columns the batch did not write (and later migrations' columns) must be empty.
        covered = set(self.columns)
        if any(
            value is not None for key, value in row.items() if key != "id" and key not in covered
        ):
            return False
        return record_digest([row.get(column) for column in self.columns]) == self.digest


def batch_states(entry: dict[str, Any]) -> list[tuple[str, BatchState]]:
    """Each record a batch entry creates, with the state it vouches for.

    Raises ValueError when the entry's record is not the shape a batch entry has."""
    recorded = json.loads(entry["after"])
    columns = recorded["columns"]
    if not (isinstance(columns, list) and all(isinstance(name, str) for name in columns)):
        raise ValueError("its columns are not a list of names")
    shared = tuple(columns)
    states = []
    for pair in recorded["records"]:
        object_id, digest = pair
        if not (isinstance(object_id, int) and isinstance(digest, str)):
            raise ValueError("a record is not an id with its digest")
        states.append((str(object_id), BatchState(entry["seq"], digest, shared)))
    return states


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
    hashes_seen = {entry["hash"]: entry["seq"] for entry in entries}
    linked_to = {entry["prev_hash"] for entry in entries}
    previous = None
    for position, entry in enumerate(entries):
        following = entries[position + 1] if position + 1 < len(entries) else None
        problem = _entry_problem(entry, previous, following, hashes_seen, linked_to)
        if problem:
            return [problem]
        previous = entry
    return []


def _where(entry: dict[str, Any]) -> str:
    return f"audit entry #{entry['seq']} ({entry['action']} {entry['object_type']} {entry['object_id']})"


def _span(first: int, last: int) -> str:
    return f"audit entry #{first}" if first == last else f"audit entries #{first}..#{last}"


def records_problem(entry: dict[str, Any]) -> str | None:
    """Whether the records an entry carries are the ones its digests (and so its hash) vouch for."""
    if entry["redacted"]:
        if entry["before"] is not None or entry["after"] is not None:
            # Redaction only ever removes records; a redacted entry with records was edited.
            return "altered: it is marked redacted yet carries records"
        return None
    if state_digest(entry["before"]) != entry["before_sha256"]:
        return "altered: its 'before' record does not match its digest"
    if state_digest(entry["after"]) != entry["after_sha256"]:
        return "altered: its 'after' record does not match its digest"
    return None


def _entry_problem(entry, previous, following, hashes_seen, linked_to) -> Problem | None:
    # The links are read before the entry's own hash: renumbering an entry (to remove,
    # insert or reorder others) also breaks its hash, and the links say which it was.
    where = _where(entry)
    problem = records_problem(entry)
    if problem:
        return Problem(where, problem)
    expected_seq = previous["seq"] + 1 if previous else 1
    previous_hash = previous["hash"] if previous else GENESIS
    if entry["seq"] < expected_seq:
        return Problem(where, f"out of order: expected #{expected_seq} here")
    if entry["seq"] > expected_seq:
        return Problem(
            _span(expected_seq, entry["seq"] - 1),
            f"removed: the chain goes from #{expected_seq - 1} to #{entry['seq']}",
        )
    if entry["prev_hash"] != previous_hash:
        follows = hashes_seen.get(entry["prev_hash"])
        if follows is not None and follows >= entry["seq"]:
            return Problem(where, f"reordered: it belongs after entry #{follows}")
        if follows is not None:
            return Problem(
                _span(follows + 1, entry["seq"] - 1),
                f"inserted: the entry after, #{entry['seq']}, links back to #{follows}",
            )
        return Problem(
            where,
            "its link to the previous entry is broken: an entry before it was removed, "
            "inserted or replaced",
        )
    if (
        following is not None
        and following["seq"] == entry["seq"] + 1
        and entry["hash"] not in linked_to
    ):
        # No entry links to this one: either the next entry links past it (this one was
        # slipped in), or this one was changed and given a new hash. (A gap in the
        # numbering after it is reported as removed entries, at the next entry.)
        skipped_to = hashes_seen.get(following["prev_hash"])
        if skipped_to is not None and skipped_to < entry["seq"]:
            first = skipped_to + 1
            return Problem(
                where if first == entry["seq"] else _span(first, entry["seq"]),
                f"inserted: entry #{following['seq']} links back to #{skipped_to}, past "
                + ("it" if first == entry["seq"] else "them"),
            )
        return Problem(
            where, f"altered or replaced: entry #{following['seq']} links to a different hash"
        )
    if entry_hash(entry) != entry["hash"]:
        return Problem(where, "altered: its content does not match its hash")
    return None


def check_head(
    entries: list[dict[str, Any]], head: dict[str, Any] | None, head_file: str = "audit head"
) -> list[Problem]:
    """The newest entry must be the one recorded in the case folder's head file."""
    if head is None:
        if not entries:
            return []
        # Every write records the head, so a chain without one has lost its anchor, and
        # entries cut off its end would go unseen.
        return [Problem(f"file {head_file}", "removed: the audit head is missing")]
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
    if entries[-1]["seq"] > head["seq"]:
        # The head is written while the write lock is held, so no writer runs ahead of it.
        return [
            Problem(
                f"audit entry #{head['seq'] + 1}",
                f"inserted: the chain continues past the audit head (#{head['seq']})",
            )
        ]
    return []


def latest_states(entries: list[dict[str, Any]]) -> dict[tuple[str, str], Any]:
    """For each object, the last entry that touched it, or the `BatchState` of the batch
    entry that created it when no entry touched it since."""
    latest: dict[tuple[str, str], Any] = {}
    for entry in entries:
        states = _batch_states_or_none(entry) if entry["action"] == BATCH_ACTION else None
        if states is None:
            latest[(entry["object_type"], entry["object_id"])] = entry
            continue
        for object_id, state in states:
            latest[(entry["object_type"], object_id)] = state
    return latest


def _batch_states_or_none(entry: dict[str, Any]) -> list[tuple[str, BatchState]] | None:
    # A batch entry that is redacted or not of a batch's shape vouches for no record, so
    # the records it names show as added outside Siteline (its hash check says the rest).
    if entry["redacted"] or entry["after"] is None:
        return None
    try:
        return batch_states(entry)
    except (ValueError, KeyError, TypeError):
        return None
