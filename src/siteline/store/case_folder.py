"""A case is a folder: its description, its database (or the PostgreSQL schema it uses),
its blob store, and the head of its audit chain.

    CASE/
      case.json          what the case is and where its records live
      case.db            the SQLite database (absent when the case lives in PostgreSQL)
      blobs/sha256/...   original bytes, by their SHA-256
      audit-head.json    the newest audit entry's number and hash
"""

from __future__ import annotations

import getpass
import json
import os
import shutil
import uuid
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from sqlalchemy import Engine

from siteline.errors import CaseError
from siteline.keys import Sealer
from siteline.store import database
from siteline.store.blobs import BlobStore
from siteline.store.transaction import Transaction

CASE_FILE = "case.json"
SQLITE_FILE = "case.db"
HEAD_FILE = "audit-head.json"
BLOB_FOLDER = "blobs"
FORMAT = "siteline-case"
FORMAT_VERSION = 1
DATABASE_URL_ENV = "SITELINE_DATABASE_URL"
ACTOR_ENV = "SITELINE_ACTOR"


def default_actor() -> str:
    return os.environ.get(ACTOR_ENV) or getpass.getuser()


@dataclass
class Case:
    """An open case. Services receive one and do all their work through it."""

    folder: Path
    description: dict[str, Any]
    engine: Engine
    blobs: BlobStore
    sealer: Sealer
    actor: str = field(default_factory=default_actor)

    @property
    def uid(self) -> str:
        return self.description["case_uid"]

    @property
    def backend(self) -> str:
        return self.engine.dialect.name

    @contextmanager
    def write(self):
        """A transaction holding the case's write lock; commits on success, else undoes all."""
        transaction = None
        start, head_written = None, False
        try:
            with database.write_connection(self.engine, self.uid) as connection:
                transaction = Transaction(connection, self.blobs, self.actor)
                start = (transaction.head_seq, transaction.head_hash)
                yield transaction
                transaction.flush()
                if transaction.new_blob_files:
                    self.blobs.sync()  # the originals are durable before anyone relies on them
                # The head is written before the commit, while the write lock is held, so
                # that of two writers the later one always leaves its head last (`audit
                # verify` flags a chain that runs past its head); taken back below if the
                # commit fails. A write that added no entry leaves the head alone.
                if transaction.head_seq != start[0]:
                    write_head(self.folder, transaction.head_seq, transaction.head_hash)
                    head_written = True
        except BaseException:
            if transaction is not None:
                for digest in transaction.new_blob_files:
                    self.blobs.remove_new(digest)
            if head_written:
                write_head(self.folder, *start)
            raise

    @contextmanager
    def read(self):
        with self.engine.connect() as connection:
            yield connection

    def close(self) -> None:
        self.engine.dispose()


def write_head(folder: Path, seq: int, digest: str) -> None:
    temporary = folder / f"{HEAD_FILE}.part"
    temporary.write_text(json.dumps({"seq": seq, "hash": digest}) + "\n")
    os.replace(temporary, folder / HEAD_FILE)


def read_head(folder: Path) -> dict[str, Any] | None:
    path = folder / HEAD_FILE
    if not path.exists():
        return None
    return json.loads(path.read_text())


def create_case_folder(
    folder: Path, name: str, database_url: str | None, case_uid: str | None = None
) -> dict:
    """Makes the folder and its empty database; returns the case description."""
    folder = Path(folder)
    if folder.exists() and any(folder.iterdir()):
        raise CaseError(f"{folder}: the folder exists and is not empty; a case needs a new folder")
    case_uid = case_uid or str(uuid.uuid4())
    description: dict[str, Any] = {
        "format": FORMAT,
        "format_version": FORMAT_VERSION,
        "case_uid": case_uid,
        "name": name,
    }
    if database_url:
        description["database"] = {
            "backend": "postgresql",
            "schema": f"case_{uuid.UUID(case_uid).hex}",
        }
    else:
        description["database"] = {"backend": "sqlite", "file": SQLITE_FILE}
    folder.mkdir(parents=True, exist_ok=True)
    try:
        BlobStore(folder / BLOB_FOLDER).create()
        if database_url:
            database.create_postgres_schema(database_url, description["database"]["schema"])
        (folder / CASE_FILE).write_text(json.dumps(description, indent=2) + "\n")
        engine = _engine_for(folder, description)
        try:
            database.migrate(engine)
        finally:
            engine.dispose()
    except BaseException:
        remove_case_folder(folder, description)
        raise
    return description


def remove_case_folder(folder: Path, description: dict) -> None:
    """Undoes a case creation that failed part way (an import that did not complete)."""
    if description["database"]["backend"] == "postgresql":
        url = os.environ.get(DATABASE_URL_ENV)
        if url:
            database.drop_postgres_schema(url, description["database"]["schema"])
    shutil.rmtree(folder, ignore_errors=True)


def open_case(folder: Path, sealer: Sealer, actor: str | None = None) -> Case:
    folder = Path(folder)
    description = read_description(folder)
    engine = _engine_for(folder, description)
    database.migrate(engine)
    return Case(
        folder,
        description,
        engine,
        BlobStore(folder / BLOB_FOLDER),
        sealer,
        actor or default_actor(),
    )


def read_description(folder: Path) -> dict[str, Any]:
    path = folder / CASE_FILE
    if not path.is_file():
        raise CaseError(
            f"{folder}: not a Siteline case (no {CASE_FILE}); create one with 'siteline init'"
        )
    try:
        description = json.loads(path.read_text())
    except (OSError, json.JSONDecodeError) as error:
        raise CaseError(f"{path}: cannot be read ({error})") from None
    if description.get("format") != FORMAT:
        raise CaseError(f"{path}: not a Siteline case description")
    if description.get("format_version", 0) > FORMAT_VERSION:
        raise CaseError(
            f"{path}: made by a newer Siteline (format {description['format_version']})"
        )
    return description


def _engine_for(folder: Path, description: dict) -> Engine:
    where = description["database"]
    if where["backend"] == "sqlite":
        return database.sqlite_engine(folder / where["file"])
    url = os.environ.get(DATABASE_URL_ENV)
    if not url:
        raise CaseError(
            f"{folder}: this case lives in PostgreSQL (schema {where['schema']}); "
            f"set {DATABASE_URL_ENV} to the server's URL"
        )
    return database.postgres_engine(url, where["schema"])
