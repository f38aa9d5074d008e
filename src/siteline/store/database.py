"""Engines for the two back ends, schema migrations, and the write lock.

SQLite lives in the case folder (WAL, foreign keys on). PostgreSQL holds each case in a
schema of its own, so one server can hold many cases; connections set `search_path` to
it. Every write takes one lock for the whole case first, because the audit chain is a
single sequence: two writers must never both append after the same entry.
"""

from __future__ import annotations

import hashlib
from contextlib import contextmanager
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import ArgumentError

from siteline.errors import CaseError, InvalidInput

MIGRATIONS = Path(__file__).parent / "migrations"


def normalise_postgres_url(url: str) -> str:
    """Accepts the URL forms people paste and names the psycopg 3 driver."""
    try:
        parsed = make_url(url)
    except ArgumentError:
        raise InvalidInput("SITELINE_DATABASE_URL", f"{url!r} is not a database URL") from None
    if parsed.get_backend_name() not in ("postgresql", "postgres"):
        raise InvalidInput(
            "SITELINE_DATABASE_URL",
            f"only postgresql:// URLs are supported, not {parsed.drivername}",
        )
    return parsed.set(drivername="postgresql+psycopg").render_as_string(hide_password=False)


def sqlite_engine(path: Path) -> Engine:
    engine = create_engine(f"sqlite:///{path}")

    @event.listens_for(engine, "connect")
    def _configure(dbapi_connection, _record):
        # Python's sqlite3 would open transactions on its own; Siteline opens them below.
        dbapi_connection.isolation_level = None
        cursor = dbapi_connection.cursor()
        # 16 KiB pages (the default is 4) for a new database, before anything is written
        # (an existing one keeps its own): a dataset row with its native record runs to a
        # few KiB, and bulk ingest went a fifth faster with fewer, larger pages to write.
        cursor.execute("PRAGMA page_size=16384")
        cursor.execute("PRAGMA journal_mode=WAL")
        cursor.execute("PRAGMA foreign_keys=ON")
        cursor.execute("PRAGMA synchronous=NORMAL")
        cursor.execute("PRAGMA busy_timeout=30000")
        # 64 MiB of page cache (the default is 2): the blob and audit indexes take keys in
        # random order, and a large case's index pages should stay in memory while a bulk
        # import walks them.
        cursor.execute("PRAGMA cache_size=-65536")
        # Checkpoint the WAL every 64 MiB (4,096 pages of 16 KiB) rather than every 4: a
        # bulk import of a thousand items writes several MiB, and each checkpoint waits for
        # the disk.
        cursor.execute("PRAGMA wal_autocheckpoint=4096")
        cursor.close()

    @event.listens_for(engine, "begin")
    def _begin(connection):
        # A writer takes the database lock at once, so that it reads the chain head it
        # will append to; readers do not block one another.
        immediate = connection.get_execution_options().get("siteline_write", False)
        connection.exec_driver_sql("BEGIN IMMEDIATE" if immediate else "BEGIN")

    return engine


def postgres_engine(url: str, schema: str) -> Engine:
    return create_engine(
        normalise_postgres_url(url),
        connect_args={"options": f"-c search_path={schema}"},
        pool_pre_ping=True,
    )


def create_postgres_schema(url: str, schema: str) -> None:
    engine = create_engine(normalise_postgres_url(url))
    try:
        with engine.begin() as connection:
            connection.execute(text(f'CREATE SCHEMA "{schema}"'))
    finally:
        engine.dispose()


def drop_postgres_schema(url: str, schema: str) -> None:
    engine = create_engine(normalise_postgres_url(url))
    try:
        with engine.begin() as connection:
            connection.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
    finally:
        engine.dispose()


def _alembic_config(connection: Connection) -> Config:
    config = Config()
    config.set_main_option("script_location", str(MIGRATIONS))
    config.attributes["connection"] = connection
    return config


def head_revision() -> str:
    return ScriptDirectory(str(MIGRATIONS)).get_current_head()


def current_revision(engine: Engine) -> str | None:
    with engine.connect() as connection:
        return MigrationContext.configure(connection).get_current_revision()


def migrate(engine: Engine, revision: str = "head") -> None:
    """Brings the case's schema to `revision` (the newest by default)."""
    known = {script.revision for script in ScriptDirectory(str(MIGRATIONS)).walk_revisions()}
    found = current_revision(engine)
    if found is not None and found not in known:
        raise CaseError(
            f"the case's schema is at revision {found}, which this version of Siteline does "
            "not know: it was made by a newer Siteline; upgrade Siteline to open it"
        )
    with engine.begin() as connection:
        command.upgrade(_alembic_config(connection), revision)


def lock_key(name: str) -> int:
    return int.from_bytes(hashlib.sha256(name.encode()).digest()[:8], "big", signed=True)


@contextmanager
def write_connection(engine: Engine, lock_name: str):
    """A connection in a transaction that holds the case's write lock until it ends."""
    with (
        engine.connect().execution_options(siteline_write=True) as connection,
        connection.begin(),
    ):
        if engine.dialect.name == "postgresql":
            connection.execute(
                text("SELECT pg_advisory_xact_lock(:key)"), {"key": lock_key(lock_name)}
            )
        yield connection
