"""Creating, opening and summarising cases."""

from __future__ import annotations

import os
from pathlib import Path

from sqlalchemy import func, select

from siteline.errors import CaseError
from siteline.keys import Sealer, load_key
from siteline.store import case_folder
from siteline.store.case_folder import DATABASE_URL_ENV, Case
from siteline.store.schema import AUDITED_TABLES, audit_log, case_info
from siteline.store.transaction import Transaction


def init_case(
    folder: Path,
    name: str | None = None,
    description: str | None = None,
    database_url: str | None = None,
    key_file: Path | None = None,
    actor: str | None = None,
) -> Case:
    """Makes a new case folder. PostgreSQL is used when a URL is given or set in the
    environment; otherwise the case's database is SQLite inside the folder."""
    folder = Path(folder)
    database_url = database_url or os.environ.get(DATABASE_URL_ENV)
    sealer = Sealer(load_key(key_file))
    made = case_folder.create_case_folder(folder, name or folder.name, database_url)
    try:
        case = case_folder.open_case(folder, sealer, actor)
        with case.write() as transaction:
            transaction.insert(
                "case",
                {
                    "id": 1,
                    "case_uid": made["case_uid"],
                    "name": made["name"],
                    "description": description,
                    "key_fingerprint": sealer.fingerprint,
                },
            )
    except BaseException:
        case_folder.remove_case_folder(folder, made)
        raise
    return case


def open_case(folder: Path, key_file: Path | None = None, actor: str | None = None) -> Case:
    """Opens a case, upgrading its schema if an older Siteline made it."""
    sealer = Sealer(load_key(key_file))
    case = case_folder.open_case(Path(folder), sealer, actor)
    recorded = case_record(case).get("key_fingerprint")
    if sealer.has_key and recorded and recorded != sealer.fingerprint:
        case.close()
        raise CaseError(f"{folder}: the key given is not this case's key (fingerprint {recorded})")
    return case


def case_record(case: Case) -> dict:
    with case.read() as connection:
        row = connection.execute(select(case_info)).mappings().first()
    if row is None:
        raise CaseError(f"{case.folder}: the case record is missing from the database")
    return dict(row)


def ensure_key_recorded(case: Case, transaction: Transaction) -> None:
    """Binds the case to the first key that seals anything in it."""
    case.sealer.require_key("sealing confidential material")
    record = transaction.require("case", 1)
    if record["key_fingerprint"] is None:
        transaction.update("case", 1, {"key_fingerprint": case.sealer.fingerprint})
    elif record["key_fingerprint"] != case.sealer.fingerprint:
        raise CaseError("the key given is not this case's key")


def summary(case: Case) -> dict:
    """What the case holds: live records of each kind and the length of its audit chain."""
    counts = {}
    with case.read() as connection:
        for object_type, table in AUDITED_TABLES.items():
            if object_type == "case":
                continue
            query = select(func.count()).select_from(table)
            if "deleted_at" in table.c:
                query = query.where(table.c.deleted_at.is_(None))
            counts[object_type] = connection.execute(query).scalar()
        counts["audit_entries"] = connection.execute(
            select(func.count()).select_from(audit_log)
        ).scalar()
    return {
        "case": case_record(case)["name"],
        "backend": case.backend,
        "folder": str(case.folder),
        **counts,
    }
