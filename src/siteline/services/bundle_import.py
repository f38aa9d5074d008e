"""`import bundle`: a bundle restored as a new case, after every check it can be given.

Before anything is written: the bag's checksums (naming the first bad or missing file),
the bundle's description (a Siteline bundle, a schema revision this Siteline knows, not a
public bundle) and the key. Then, in one transaction of the new case: the audit chain,
entry by entry (order, links, hashes); every record against the last entry that wrote it;
every original against its name. Files are read line by line and originals copied in
chunks, so a large case never has to fit in memory. If anything fails, the new case folder
(and its PostgreSQL schema) is removed: an import either completes or leaves nothing.
"""

from __future__ import annotations

import hashlib
import json
import os
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import bagit
from alembic.script import ScriptDirectory
from sqlalchemy import Table, insert
from sqlalchemy.exc import DataError, IntegrityError

from siteline import __version__
from siteline.errors import BundleError, CaseError
from siteline.keys import Sealer, load_key
from siteline.services.bundle_export import (
    BLOB_FOLDER,
    CASE_FILE,
    CHAIN_FILE,
    CHECKSUM,
    CHUNK_ROWS,
    FORMAT,
    FORMAT_VERSION,
    LEFT_OUT_FILE,
    PAYLOAD,
    RECORD_ORDER,
    records_path,
)
from siteline.store import audit, case_folder, database
from siteline.store.canonical import canonical_json
from siteline.store.case_folder import DATABASE_URL_ENV, Case
from siteline.store.schema import AUDITED_TABLES, audit_log
from siteline.store.transaction import Transaction, coerce_row

_DIGEST = re.compile(r"^[0-9a-f]{64}$")
# Marks a record already restored, in the map of the chain's latest states.
_RESTORED = object()


def import_bundle(
    bundle: Path, folder: Path, key_file: Path | None = None, actor: str | None = None
) -> Case:
    """Restores a bundle into a new case in `folder` and returns the case, open."""
    bundle, folder = Path(bundle), Path(folder)
    existed = folder.exists()
    if existed and (not folder.is_dir() or any(folder.iterdir())):
        raise BundleError(
            f"{folder}: the folder exists and is not empty; a bundle is restored into a new "
            "folder (nothing was changed)"
        )
    sealer = Sealer(load_key(key_file))
    bag = _validated_bag(bundle)
    description = _read_description(bundle, bag)
    record = _case_record(bundle)
    recorded_key = record.get("key_fingerprint")
    if sealer.has_key and recorded_key and recorded_key != sealer.fingerprint:
        raise CaseError(
            f"{bundle}: the key given is not the key of the case in this bundle "
            f"(fingerprint {recorded_key})"
        )
    made = case_folder.create_case_folder(
        folder, str(record.get("name") or folder.name), os.environ.get(DATABASE_URL_ENV) or None
    )
    case = None
    try:
        case = case_folder.open_case(folder, sealer, actor)
        with case.write() as transaction:
            restored = _restore(transaction, case, bundle, description)
            transaction.record_event(
                "import", "bundle", bundle.name, _event_detail(bundle, description, restored)
            )
    except BaseException:
        if case is not None:
            case.close()
        case_folder.remove_case_folder(folder, made)
        if existed:
            folder.mkdir(exist_ok=True)  # the empty folder the person made stays theirs
        raise
    return case


# Checks before anything is written.


def _validated_bag(bundle: Path) -> bagit.Bag:
    if not bundle.is_dir():
        raise BundleError(f"{bundle}: not a bundle: no such folder")
    if not (bundle / "bagit.txt").is_file():
        raise BundleError(f"{bundle}: not a BagIt bundle (it has no bagit.txt)")
    try:
        bag = bagit.Bag(str(bundle))
    except bagit.BagError as error:
        raise BundleError(f"{bundle}: not a readable BagIt bundle ({error})") from None
    try:
        bag.validate()
    except bagit.BagValidationError as error:
        raise BundleError(_invalid(bundle, bag, error)) from None
    except bagit.BagError as error:
        raise BundleError(f"{bundle}: the BagIt bundle is not valid ({error})") from None
    return bag


def _invalid(bundle: Path, bag: bagit.Bag, error: bagit.BagValidationError) -> str:
    """Names the first bad file. The Payload-Oxum count fails first and names none, so the
    manifests, which name each file, are checked again without it."""
    if not error.details and bag.info.get("Payload-Oxum"):
        del bag.info["Payload-Oxum"]
        try:
            bag.validate()
        except bagit.BagValidationError as detailed:
            error = detailed if detailed.details else error
        except bagit.BagError:
            pass
    if not error.details:
        return f"{bundle}/bag-info.txt: {error.message}"
    first = error.details[0]
    if isinstance(first, bagit.ChecksumMismatch):
        problem = "checksum does not match: the file was altered or damaged after export"
    elif isinstance(first, bagit.FileMissing):
        problem = "missing: the bundle's manifest lists it"
    elif isinstance(first, bagit.UnexpectedFile):
        problem = "not in the bundle's manifest: it was added after export"
    else:
        problem = str(first)
    more = len(error.details) - 1
    also = f" ({more} more problem{'s' if more > 1 else ''})" if more else ""
    return f"{first.path}: {problem}, in bundle {bundle}{also}"


def _known_revisions() -> set[str]:
    scripts = ScriptDirectory(str(database.MIGRATIONS))
    return {script.revision for script in scripts.walk_revisions()}


def _read_description(bundle: Path, bag: bagit.Bag) -> dict[str, Any]:
    where = f"{PAYLOAD}/{CASE_FILE}"
    path = bundle / PAYLOAD / CASE_FILE
    if not path.is_file():
        raise BundleError(f"{where}: missing: {bundle} is a BagIt bag but not a Siteline bundle")
    try:
        description = json.loads(path.read_text(encoding="utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise BundleError(f"{where}: not valid JSON ({error})") from None
    if not isinstance(description, dict) or description.get("format") != FORMAT:
        raise BundleError(f"{where}: not a Siteline bundle description (no format {FORMAT!r})")
    if not isinstance(description.get("format_version"), int):
        raise BundleError(f"{where}: the bundle format version is missing")
    if description["format_version"] > FORMAT_VERSION:
        raise BundleError(
            f"{where}: bundle format {description['format_version']} was made by a newer "
            f"Siteline ({description.get('siteline_version')}); upgrade Siteline to import it"
        )
    options = description.get("options") or {}
    if options.get("public") or str(bag.info.get("Siteline-Public", "")).lower() == "yes":
        raise BundleError(
            f"{bundle}: a public bundle is made for publication: it leaves out restricted and "
            "confidential material and witness identities, and cannot be restored as a case; "
            "restore from a bundle exported without --public"
        )
    revision = description.get("schema_revision")
    if revision not in _known_revisions():
        raise BundleError(
            f"{where}: schema revision {revision!r} is not one this Siteline ({__version__}) "
            "knows: the bundle was made by a newer Siteline; upgrade Siteline to import it"
        )
    return description


def _case_record(bundle: Path) -> dict[str, Any]:
    for _where, row in _lines(bundle, records_path("case")):
        return row
    raise BundleError(f"{PAYLOAD}/{records_path('case')}: holds no case record")


def _lines(bundle: Path, relative: str) -> Iterator[tuple[str, dict[str, Any]]]:
    """Each JSON object of a JSON-lines file, with where it is ('FILE line N')."""
    name = f"{PAYLOAD}/{relative}"
    path = bundle / PAYLOAD / relative
    if not path.is_file():
        raise BundleError(f"{name}: missing")
    with open(path, "rb") as handle:
        for number, raw in enumerate(handle, start=1):
            where = f"{name} line {number}"
            if not raw.strip():
                continue
            try:
                value = json.loads(raw.decode("utf-8"))
            except UnicodeDecodeError:
                raise BundleError(f"{where}: not UTF-8 text") from None
            except json.JSONDecodeError as error:
                raise BundleError(
                    f"{where}: not valid JSON ({error.msg} at column {error.colno})"
                ) from None
            if not isinstance(value, dict):
                raise BundleError(f"{where}: not a JSON object")
            yield where, value


def _coerce(table: Table, value: dict[str, Any], where: str) -> dict[str, Any]:
    try:
        return coerce_row(table, value)
    except (ValueError, TypeError) as error:
        raise BundleError(f"{where}: not a {table.name} row ({error})") from None


# The restoration itself, inside one transaction of the new case.


def _restore(transaction: Transaction, case: Case, bundle: Path, description: dict) -> dict:
    latest, entries = _restore_chain(transaction, bundle, description)
    listed = description.get("records") or {}
    counts: dict[str, int] = {}
    blob_files: set[str] = set()
    for object_type in RECORD_ORDER:
        if (
            object_type not in listed
            and not (bundle / PAYLOAD / records_path(object_type)).exists()
        ):
            counts[object_type] = 0  # a type this bundle's Siteline did not have
            continue
        counts[object_type] = _restore_records(
            transaction, case, bundle, object_type, latest, blob_files
        )
    for object_type, object_id in _refuse_missing_records(latest, _left_out(bundle)):
        # The bundle's chain vouches for a record it does not carry: the restored chain
        # says so, or the restored case would not verify.
        transaction.record_left_out(object_type, object_id)
    _refuse_unclaimed_files(bundle, blob_files)
    return {"records": counts, "blobs": len(blob_files), "audit_entries": entries}


def _restore_chain(transaction: Transaction, bundle: Path, description: dict):
    """Checks the chain as it is read and appends it verbatim, a chunk at a time.

    Returns, for each record the chain accounts for, what its last entry says of it.
    """
    latest: dict[tuple[str, str], Any] = {}
    shapes: dict[tuple, tuple] = {}
    previous_hash, expected_seq, entries = audit.GENESIS, 1, 0
    chunk: list[dict[str, Any]] = []
    for where, value in _lines(bundle, CHAIN_FILE):
        entry = _coerce(audit_log, value, where)
        missing = [
            column.key
            for column in audit_log.c
            if not column.nullable and entry[column.key] is None
        ]
        if missing:
            raise BundleError(f"{where}: the audit entry has no {', '.join(missing)}")
        problem = _entry_problem(entry, previous_hash, expected_seq)
        if problem:
            raise BundleError(
                f"{where}: audit entry #{entry['seq']} ({entry['action']} {entry['object_type']} "
                f"{entry['object_id']}): {problem}; the audit chain does not verify"
            )
        previous_hash, expected_seq = entry["hash"], entry["seq"] + 1
        entries += 1
        if entry["object_type"] in AUDITED_TABLES:
            if entry["action"] == audit.BATCH_ACTION and entry["after"] is not None:
                for object_id, state in _batch_states(entry, where):
                    latest[(entry["object_type"], object_id)] = state
            else:
                latest[(entry["object_type"], entry["object_id"])] = _state(entry, where, shapes)
        chunk.append(entry)
        if len(chunk) >= CHUNK_ROWS:
            transaction.append_verbatim(chunk)
            transaction.flush()
            chunk = []
    transaction.append_verbatim(chunk)
    transaction.flush()
    _check_head(description.get("audit") or {}, expected_seq - 1, previous_hash)
    return latest, entries


def _check_head(stated: dict, last_seq: int, last_hash: str) -> None:
    """The chain must end at the entry the bundle's description names, as a case's chain
    must end at its audit head: entries cut off the end leave no other trace."""
    head_seq, head_hash = stated.get("head_seq"), stated.get("head_hash")
    if head_seq is None:
        return
    where = f"{PAYLOAD}/{CHAIN_FILE}: ends at entry #{last_seq}, but {PAYLOAD}/{CASE_FILE}"
    if head_seq > last_seq:
        raise BundleError(f"{where} names #{head_seq} as its last: entries were cut off")
    if head_seq < last_seq:
        raise BundleError(f"{where} names #{head_seq} as its last: entries were added after it")
    if head_hash is not None and head_hash != last_hash:
        raise BundleError(f"{where} names a different hash for it: the entry was replaced")


def _entry_problem(entry: dict, previous_hash: str, expected_seq: int) -> str | None:
    """The checks of `store.audit.check_chain`, one entry at a time, so that the chain
    never has to be held in memory whole: a chain they accept, it accepts too."""
    problem = audit.records_problem(entry)
    if problem:
        return problem
    if audit.entry_hash(entry) != entry["hash"]:
        return "altered: its content does not match its hash"
    if entry["seq"] > expected_seq:
        return f"entries #{expected_seq}..#{entry['seq'] - 1} before it were removed"
    if entry["seq"] < expected_seq:
        return f"out of order: expected #{expected_seq} here"
    if entry["prev_hash"] != previous_hash:
        return (
            "its link to the entry before it is broken: an entry was removed, inserted or replaced"
        )
    return None


def _batch_states(entry: dict, where: str) -> list:
    try:
        return audit.batch_states(entry)
    except (ValueError, KeyError, TypeError):
        raise BundleError(
            f"{where}: the batch entry's record is not a list of ids and digests"
        ) from None


def _state(entry: dict, where: str, shapes: dict) -> tuple:
    """(seq, digest of the record, redacted, the record's columns or None when it is gone).

    Only the columns are kept, not the record: the digest decides, and the columns let a
    record written before a migration added columns still match (they must be empty).
    """
    columns = None
    if not entry["redacted"] and entry["after"] is not None:
        try:
            recorded = json.loads(entry["after"])
        except json.JSONDecodeError:
            raise BundleError(f"{where}: the entry's record is not valid JSON") from None
        if not isinstance(recorded, dict):
            raise BundleError(f"{where}: the entry's record is not a JSON object")
        shape = tuple(recorded)
        columns = shapes.setdefault(shape, shape)
    return entry["seq"], entry["after_sha256"], bool(entry["redacted"]), columns


def _restore_records(
    transaction: Transaction,
    case: Case,
    bundle: Path,
    object_type: str,
    latest: dict,
    blob_files: set[str],
) -> int:
    table = AUDITED_TABLES[object_type]
    rows: list[dict[str, Any]] = []
    count = 0
    for where, value in _lines(bundle, records_path(object_type)):
        row = _coerce(table, value, where)
        _check_record(object_type, row, latest, where)
        if object_type == "blob":
            _restore_blob(transaction, case, bundle, row, where)
            blob_files.add(row["stored_sha256"])
        rows.append(row)
        count += 1
        if len(rows) >= CHUNK_ROWS:
            _insert(transaction, table, object_type, rows)
            rows = []
    _insert(transaction, table, object_type, rows)
    return count


def _check_record(object_type: str, row: dict, latest: dict, where: str) -> None:
    key = (object_type, str(row["id"]))
    state = latest.get(key)
    if state is _RESTORED:
        raise BundleError(f"{where}: {object_type} {row['id']} appears twice")
    if state is None:
        raise BundleError(
            f"{where}: {object_type} {row['id']} has no audit entry: it was added outside Siteline"
        )
    if isinstance(state, audit.BatchState):
        if not state.matches(row):
            raise BundleError(
                f"{where}: {object_type} {row['id']} differs from its digest in audit entry "
                f"#{state.seq}: it was altered"
            )
        latest[key] = _RESTORED
        return
    seq, digest, redacted, columns = state
    if not redacted and columns is None:
        raise BundleError(
            f"{where}: {object_type} {row['id']} is present, but audit entry #{seq} records it as gone"
        )
    if audit.state_digest(canonical_json(row)) != digest and (
        redacted or not _matches_older_record(row, columns, digest)
    ):
        raise BundleError(
            f"{where}: {object_type} {row['id']} differs from its record in audit entry #{seq}: "
            "it was altered"
        )
    latest[key] = _RESTORED


def _matches_older_record(row: dict, columns: tuple, digest: str) -> bool:
    """A record written before later migrations added columns: those must be empty."""
    if any(value is not None for key, value in row.items() if key not in columns):
        return False
    projected = {key: row.get(key) for key in columns}
    return audit.state_digest(canonical_json(projected)) == digest


def _restore_blob(
    transaction: Transaction, case: Case, bundle: Path, row: dict, where: str
) -> None:
    """Copies one original into the case, in chunks, checking it against its name."""
    stored = row["stored_sha256"]
    if not (isinstance(stored, str) and _DIGEST.match(stored) and _DIGEST.match(str(row["id"]))):
        raise BundleError(f"{where}: blob {row['id']!r} is not named by a SHA-256 in lowercase hex")
    relative = f"{PAYLOAD}/{BLOB_FOLDER}/{stored}"
    source = bundle / relative
    if not source.is_file():
        raise BundleError(f"{relative}: missing (the original of blob {row['id'][:12]}…)")
    target = case.blobs.path_for(stored)
    if target.exists():
        return
    target.parent.mkdir(parents=True, exist_ok=True)
    temporary = case.blobs.root / "incoming" / f"{stored}.{os.getpid()}.part"
    hasher = hashlib.sha256()
    try:
        with open(source, "rb") as reading, open(temporary, "wb") as writing:
            while block := reading.read(1 << 20):
                hasher.update(block)
                writing.write(block)
        if hasher.hexdigest() != stored:
            raise BundleError(
                f"{relative}: its content hashes to {hasher.hexdigest()[:12]}…, not to its name"
            )
        os.chmod(temporary, 0o444)
        os.replace(temporary, target)
    finally:
        temporary.unlink(missing_ok=True)
    transaction.new_blob_files.append(stored)


def _insert(transaction: Transaction, table: Table, object_type: str, rows: list) -> None:
    if not rows:
        return
    try:
        transaction.connection.execute(insert(table), rows)
    except (IntegrityError, DataError) as error:
        reason = str(error.orig).strip().splitlines()[0] if error.orig else str(error)
        raise BundleError(
            f"{PAYLOAD}/{records_path(object_type)}: the records cannot be stored ({reason})"
        ) from None


def _left_out(bundle: Path) -> set[tuple[str, str]]:
    """The records the bundle says it left out (a bundle written before it said so, none)."""
    if not (bundle / PAYLOAD / LEFT_OUT_FILE).exists():
        return set()
    found = set()
    for where, value in _lines(bundle, LEFT_OUT_FILE):
        if not (isinstance(value.get("object_type"), str) and isinstance(value.get("id"), str)):
            raise BundleError(f"{where}: not an object type with an id")
        found.add((value["object_type"], value["id"]))
    return found


def _refuse_missing_records(latest: dict, left_out: set) -> list[tuple[str, str]]:
    """Refuses a bundle missing a record its chain accounts for, unless the record's entry
    is redacted or the bundle names it as left out; returns the batch-recorded records
    that were left out."""
    absent = []
    for (object_type, object_id), state in latest.items():
        if state is _RESTORED:
            continue
        if isinstance(state, audit.BatchState):
            if (object_type, object_id) in left_out:
                absent.append((object_type, object_id))
                continue
            seq = state.seq
        else:
            seq, _digest, redacted, columns = state
            if redacted or columns is None:  # redacted, or recorded as gone
                continue
        raise BundleError(
            f"{PAYLOAD}/{records_path(object_type)}: {object_type} {object_id} is missing, "
            f"though audit entry #{seq} records it"
        )
    return absent


def _refuse_unclaimed_files(bundle: Path, blob_files: set[str]) -> None:
    folder = bundle / PAYLOAD / BLOB_FOLDER
    if not folder.is_dir():
        return
    for path in folder.iterdir():
        if path.name not in blob_files:
            raise BundleError(
                f"{PAYLOAD}/{BLOB_FOLDER}/{path.name}: no blob record in the bundle accounts for it"
            )


def _event_detail(bundle: Path, description: dict, restored: dict) -> dict:
    tagmanifest = bundle / f"tagmanifest-{CHECKSUM}.txt"
    digest = None
    if tagmanifest.is_file():
        with open(tagmanifest, "rb") as handle:
            digest = hashlib.file_digest(handle, "sha256").hexdigest()
    return {
        "source_case_uid": (description.get("case") or {}).get("case_uid"),
        "exported_at": description.get("exported_at"),
        "exported_by": description.get("exported_by"),
        "siteline_version": description.get("siteline_version"),
        "schema_revision": description.get("schema_revision"),
        "confidential": (description.get("options") or {}).get("confidential"),
        "tagmanifest_sha256": digest,
        **restored,
    }
