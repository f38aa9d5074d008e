"""`export bundle`: a whole case as a BagIt package of open formats.

The bundle holds every record as JSON lines, the audit chain, and every original as it
is stored (sealed originals stay sealed). It is read from one consistent snapshot of the
case, written into a hidden sibling folder, bagged (SHA-256 manifests) and only then
renamed into place, so a failed export leaves nothing half-written. The act itself is
then recorded in the case's audit chain. See docs/bundles.md for the format.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import bagit
from sqlalchemy import Connection, select

from siteline import __version__
from siteline.errors import CaseError, InvalidInput
from siteline.store import audit, database
from siteline.store.case_folder import Case
from siteline.store.schema import (
    AUDITED_TABLES,
    audit_log,
    case_info,
    derived_items,
    evidence,
    metadata,
    sources,
)
from siteline.store.transaction import utc_now_stored

FORMAT = "siteline-bundle"
FORMAT_VERSION = 1
PAYLOAD = "data"
CASE_FILE = "case.json"
README_FILE = "README.txt"
RECORDS_FOLDER = "records"
CHAIN_FILE = "audit/chain.jsonl"
LEFT_OUT_FILE = "audit/left_out.jsonl"
BLOB_FOLDER = "blobs/sha256"
CHECKSUM = "sha256"
CONFIDENTIAL_CHOICES = ("omit", "sealed")
# Rows are read from the database, and written to it on import, this many at a time.
CHUNK_ROWS = 2000

# Object types parents first, so that every foreign key finds its row when they are
# inserted in this order (metadata.sorted_tables follows the foreign keys).
_TYPE_OF_TABLE = {table.name: object_type for object_type, table in AUDITED_TABLES.items()}
RECORD_ORDER: tuple[str, ...] = tuple(
    _TYPE_OF_TABLE[table.name] for table in metadata.sorted_tables if table.name in _TYPE_OF_TABLE
)


def records_path(object_type: str) -> str:
    return f"{RECORDS_FOLDER}/{object_type}.jsonl"


def json_line(value: dict[str, Any]) -> str:
    return json.dumps(value, ensure_ascii=False, separators=(",", ":")) + "\n"


def single_line(text: Any) -> str:
    """A bag-info value: one line of text."""
    return " ".join(str(text).split())


@dataclass
class _Omission:
    """What a bundle leaves out: the items chosen, and everything that depends on them."""

    sources: set[int] = field(default_factory=set)
    evidence: set[int] = field(default_factory=set)
    derived: set[int] = field(default_factory=set)
    blobs: set[str] = field(default_factory=set)

    def omits(self, object_type: str, row: dict[str, Any]) -> bool:
        if object_type == "source":
            return row["id"] in self.sources
        if object_type == "evidence":
            return row["id"] in self.evidence
        if object_type == "derived":
            return row["id"] in self.derived
        if object_type == "blob":
            return row["id"] in self.blobs
        if object_type == "custody":
            held = {"evidence": self.evidence, "derived": self.derived, "source": self.sources}
            return row["object_id"] in held.get(row["object_type"], ())
        if object_type in ("link", "claim"):
            return row["evidence_id"] in self.evidence
        if object_type == "relation":
            return row["evidence_id"] in self.evidence or row["related_id"] in self.evidence
        if object_type == "hash":  # a perceptual hash would let a reader find the picture
            return row["evidence_id"] in self.evidence
        if object_type == "review":  # its checks name the item's place, time and grade
            return row["evidence_id"] in self.evidence
        if object_type == "match":
            return row["evidence_id"] in self.evidence or row["matched_id"] in self.evidence
        return False


def _plan_omission(connection: Connection, confidential: str, public: bool) -> _Omission:
    """Chooses what to leave out and closes the choice over everything that refers to it.

    An evidence item left out takes its original (blob) with it; any other item or derived
    item stored under a left-out original goes too, as does every derived item made from
    one (by its evidence or by a parent hash), every item that lies within it, and their
    custody records, incident links, relations, claims and verification reviews. Left-out
    sources (public bundles) take their evidence with them.
    """
    plan = _Omission()
    levels = ({"confidential"} if confidential == "omit" else set()) | (
        {"restricted"} if public else set()
    )
    if public:
        plan.sources = set(
            connection.execute(
                select(sources.c.id).where(sources.c.identity_sealed.is_not(None))
            ).scalars()
        )
    if not levels and not plan.sources:
        return plan
    items = connection.execute(
        select(
            evidence.c.id,
            evidence.c.sensitivity,
            evidence.c.source_id,
            evidence.c.blob_sha256,
            evidence.c.within_id,
        )
    ).all()
    plan.evidence = {
        row.id for row in items if row.sensitivity in levels or row.source_id in plan.sources
    }
    derived = [
        (row.id, row.evidence_id, row.blob_sha256, tuple(json.loads(row.parents)))
        for row in connection.execute(
            select(
                derived_items.c.id,
                derived_items.c.evidence_id,
                derived_items.c.blob_sha256,
                derived_items.c.parents,
            )
        )
    ]
    changed = True
    while changed:
        before = (len(plan.evidence), len(plan.derived), len(plan.blobs))
        for row in items:
            if row.id in plan.evidence:
                if row.blob_sha256:
                    plan.blobs.add(row.blob_sha256)
            elif row.blob_sha256 in plan.blobs or row.within_id in plan.evidence:
                # What lies within a left-out original (a row of its file, a post of its
                # article) is part of it, and goes with it.
                plan.evidence.add(row.id)
        for derived_id, evidence_id, blob_sha256, parents in derived:
            if derived_id not in plan.derived and (
                evidence_id in plan.evidence
                or blob_sha256 in plan.blobs
                or not plan.blobs.isdisjoint(parents)
            ):
                plan.derived.add(derived_id)
            if derived_id in plan.derived and blob_sha256:
                plan.blobs.add(blob_sha256)
        changed = before != (len(plan.evidence), len(plan.derived), len(plan.blobs))
    return plan


def export_bundle(
    case: Case, destination: Path, confidential: str = "omit", public: bool = False
) -> dict:
    """Writes the case as a BagIt bundle at `destination`; returns what it holds."""
    destination = Path(destination)
    if confidential not in CONFIDENTIAL_CHOICES:
        raise InvalidInput(
            "confidential", f"{confidential!r} is not one of: {', '.join(CONFIDENTIAL_CHOICES)}"
        )
    if public and confidential != "omit":
        raise InvalidInput(
            "confidential",
            "a public bundle never carries confidential material, not even sealed: use 'omit'",
        )
    if destination.exists() or destination.is_symlink():
        raise InvalidInput(
            str(destination), "already exists; a bundle is written to a new path, never over one"
        )
    destination.parent.mkdir(parents=True, exist_ok=True)
    revision = database.current_revision(case.engine)
    working = Path(
        tempfile.mkdtemp(prefix=f".{destination.name}.", suffix=".part", dir=destination.parent)
    )
    try:
        summary = _write_payload(case, working, confidential, public, revision)
        bag = bagit.make_bag(str(working), _bag_info(case, summary), checksums=[CHECKSUM])
        _check_blob_names(case, bag)
        summary["tagmanifest_sha256"] = _file_sha256(working / f"tagmanifest-{CHECKSUM}.txt")
        if destination.exists():
            raise InvalidInput(str(destination), "appeared while the bundle was being written")
        os.rename(working, destination)
    except BaseException:
        shutil.rmtree(working, ignore_errors=True)
        raise
    try:
        with case.write() as transaction:
            transaction.record_event("export", "bundle", destination.name, _event_detail(summary))
    except BaseException:
        shutil.rmtree(destination, ignore_errors=True)  # an export the chain does not record
        raise
    return _result(summary, destination)


def _write_payload(
    case: Case, folder: Path, confidential: str, public: bool, revision: str | None
) -> dict:
    summary: dict[str, Any] = {
        "confidential": confidential,
        "public": public,
        "schema_revision": revision,
        "records": {},
        "omitted": {},
        "blobs": 0,
        "blob_bytes": 0,
    }
    (folder / RECORDS_FOLDER).mkdir()
    (folder / CHAIN_FILE).parent.mkdir(parents=True)
    (folder / BLOB_FOLDER).mkdir(parents=True)
    with case.read() as connection:
        if case.backend == "postgresql":
            # One snapshot for every table and the chain; SQLite's read transaction is one.
            connection.execution_options(
                isolation_level="REPEATABLE READ", postgresql_readonly=True
            )
        plan = _plan_omission(connection, confidential, public)
        omitted_keys: set[tuple[str, str]] = set()
        for object_type in RECORD_ORDER:
            _write_records(case, connection, folder, object_type, plan, omitted_keys, summary)
        summary["case"] = dict(connection.execute(select(case_info)).mappings().first() or {})
        summary["audit"] = _write_chain(connection, folder, omitted_keys)
    _write_left_out(folder, omitted_keys)
    (folder / CASE_FILE).write_text(
        json.dumps(_description(case, summary), indent=2, ensure_ascii=False) + "\n",
        encoding="utf-8",
    )
    (folder / README_FILE).write_text(_readme(summary), encoding="utf-8")
    return summary


def _stream(connection: Connection, query):
    return connection.execute(query.execution_options(yield_per=CHUNK_ROWS)).mappings()


def _write_records(case, connection, folder, object_type, plan, omitted_keys, summary) -> None:
    table = AUDITED_TABLES[object_type]
    kept = omitted = 0
    with open(folder / records_path(object_type), "w", encoding="utf-8") as out:
        for mapping in _stream(connection, select(table).order_by(table.c.id)):
            row = dict(mapping)
            if plan.omits(object_type, row):
                omitted_keys.add((object_type, str(row["id"])))
                omitted += 1
                continue
            out.write(json_line(row))
            kept += 1
            if object_type == "blob":
                summary["blob_bytes"] += _copy_blob(case, folder, row)
                summary["blobs"] += 1
    summary["records"][object_type] = kept
    summary["omitted"][object_type] = omitted


def _copy_blob(case: Case, folder: Path, row: dict) -> int:
    stored = row["stored_sha256"]
    source = case.blobs.path_for(stored)
    if not source.is_file():
        raise CaseError(
            f"file {source.relative_to(case.folder)}: the original of blob {row['id'][:12]}… is "
            "missing, so the case cannot be exported whole; run 'siteline audit verify'"
        )
    target = folder / BLOB_FOLDER / stored
    if not target.exists():
        shutil.copyfile(source, target)  # streamed by the kernel, never held in memory
    return target.stat().st_size


def _write_left_out(folder: Path, omitted_keys: set) -> None:
    """Names every record left out. Entries of its own are redacted, but a batch entry
    (dataset rows) vouches for many records and stays whole, so the importer needs to be
    told which of its records are absent on purpose."""
    with open(folder / LEFT_OUT_FILE, "w", encoding="utf-8") as out:
        for object_type, object_id in sorted(omitted_keys):
            out.write(json_line({"object_type": object_type, "id": object_id}))


def _write_chain(connection: Connection, folder: Path, omitted_keys: set) -> dict:
    """Every entry in order; those of records left out keep only their digests."""
    entries = redacted = 0
    head_seq, head_hash = 0, audit.GENESIS
    with open(folder / CHAIN_FILE, "w", encoding="utf-8") as out:
        for mapping in _stream(connection, select(audit_log).order_by(audit_log.c.seq)):
            entry = dict(mapping)
            if (entry["object_type"], entry["object_id"]) in omitted_keys:
                entry = audit.redact(entry)
            redacted += bool(entry["redacted"])
            entries += 1
            head_seq, head_hash = entry["seq"], entry["hash"]
            out.write(json_line(entry))
    return {"entries": entries, "redacted": redacted, "head_seq": head_seq, "head_hash": head_hash}


def _description(case: Case, summary: dict) -> dict:
    record = summary["case"]
    return {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "siteline_version": __version__,
        "schema_revision": summary["schema_revision"],
        "case": {
            "case_uid": record.get("case_uid"),
            "name": record.get("name"),
            "description": record.get("description"),
        },
        "exported_at": utc_now_stored(),
        "exported_by": case.actor,
        "options": {"confidential": summary["confidential"], "public": summary["public"]},
        "records": summary["records"],
        "omitted": summary["omitted"],
        "blobs": {"files": summary["blobs"], "bytes": summary["blob_bytes"]},
        "audit": summary["audit"],
    }


def _bag_info(case: Case, summary: dict) -> dict[str, str]:
    record = summary["case"]
    kind = "public bundle (for publication)" if summary["public"] else "case bundle"
    return {
        "External-Description": single_line(f"Siteline {kind} of the case {record.get('name')}"),
        "External-Identifier": f"urn:uuid:{record.get('case_uid')}",
        "Contact-Name": single_line(case.actor),
        "Bag-Software-Agent": f"siteline {__version__} with bagit.py {bagit.VERSION}",
        "Siteline-Bundle-Format": f"{FORMAT} {FORMAT_VERSION}",
        "Siteline-Case-UID": str(record.get("case_uid")),
        "Siteline-Case-Name": single_line(record.get("name")),
        "Siteline-Schema-Revision": str(summary["schema_revision"]),
        "Siteline-Confidential": summary["confidential"],
        "Siteline-Public": "yes" if summary["public"] else "no",
        "Siteline-Audit-Head": f"{summary['audit']['head_seq']} {summary['audit']['head_hash']}",
    }


def _readme(summary: dict) -> str:
    if summary["public"]:
        left_out = (
            "This is a PUBLIC bundle, made for publication: confidential and restricted items, "
            "sources whose identity is sealed, and everything that depends on them are left "
            "out. It cannot be restored as a case."
        )
    elif summary["confidential"] == "omit":
        left_out = (
            "Confidential items and everything that depends on them are left out. Witness "
            "identities stay sealed (encrypted with the case key)."
        )
    else:
        left_out = (
            "Confidential items are carried as stored: sealed (AES-256-GCM) with the case key, "
            "which is not in the bundle."
        )
    return f"""Siteline case bundle ({FORMAT} {FORMAT_VERSION}, Siteline {__version__})

A BagIt package: manifest-{CHECKSUM}.txt lists every file under data/ with its SHA-256.

data/case.json                 the case, the Siteline version and schema revision that wrote
                               this bundle, the export options and what the bundle holds
data/records/<type>.jsonl      every record of the case, one JSON object per line, exactly as
                               stored (types: {", ".join(RECORD_ORDER)});
                               custody records are in custody.jsonl
data/audit/chain.jsonl         the audit chain, one entry per line in order; each entry's hash
                               covers the one before it. Entries of records left out are
                               redacted: their digests stay, so the chain still verifies
data/blobs/sha256/<sha256>     the originals, named by the SHA-256 of the file as stored; a
                               blob record with "encrypted": true is sealed with the case key

{left_out}
"""


def _check_blob_names(case: Case, bag: bagit.Bag) -> None:
    """Each original was hashed as it was bagged: it must still match the name it has."""
    prefix = f"{PAYLOAD}/{BLOB_FOLDER}/"
    for path, hashes in bag.entries.items():
        if path.startswith(prefix):
            name, found = path[len(prefix) :], hashes[CHECKSUM]
            if found != name:
                stored = case.blobs.path_for(name).relative_to(case.folder)
                raise CaseError(
                    f"file {stored}: altered: its content hashes to {found[:12]}…; the case "
                    "cannot be exported whole; run 'siteline audit verify'"
                )


def _file_sha256(path: Path) -> str:
    with open(path, "rb") as handle:
        return hashlib.file_digest(handle, "sha256").hexdigest()


def _event_detail(summary: dict) -> dict:
    return {
        "confidential": summary["confidential"],
        "public": summary["public"],
        "schema_revision": summary["schema_revision"],
        "records": summary["records"],
        "omitted": summary["omitted"],
        "blobs": summary["blobs"],
        "blob_bytes": summary["blob_bytes"],
        "audit_entries": summary["audit"]["entries"],
        "redacted_entries": summary["audit"]["redacted"],
        "audit_head": {"seq": summary["audit"]["head_seq"], "hash": summary["audit"]["head_hash"]},
        "tagmanifest_sha256": summary["tagmanifest_sha256"],
    }


def _result(summary: dict, destination: Path) -> dict:
    return {
        "path": str(destination),
        "records_total": sum(summary["records"].values()),
        "omitted_total": sum(summary["omitted"].values()),
        **_event_detail(summary),
    }
