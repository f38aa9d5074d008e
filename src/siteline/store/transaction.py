"""One change to a case: rows written, blobs stored, and the audit entries that record them.

Everything a service changes goes through a `Transaction`, which is why nothing can
change without an audit entry. It holds the case's write lock from the first read of
the chain head to the commit. If anything fails, the database rolls back and the blob
files this transaction wrote are taken back, so a failed change leaves the case exactly
as it was.
"""

from __future__ import annotations

from collections.abc import Callable
from datetime import UTC, datetime
from operator import itemgetter
from typing import Any

from sqlalchemy import Boolean, Connection, Float, Integer, Table, func, select, update

from siteline.domain.values import STORED_FORMAT
from siteline.errors import NotFound
from siteline.store import audit
from siteline.store.blobs import BlobStore, sha256_hex
from siteline.store.schema import AUDITED_TABLES, audit_log


def utc_now_stored() -> str:
    return datetime.now(UTC).strftime(STORED_FORMAT)


def utc_now_precise() -> str:
    # 'YYYY-MM-DDTHH:MM:SS.ffffffZ'; isoformat is twice as quick as strftime, once an entry.
    return datetime.now(UTC).isoformat(timespec="microseconds")[:-6] + "Z"


def coerce_row(table: Table, values: dict[str, Any]) -> dict[str, Any]:
    """The whole record as the database will give it back: every column, typed alike.

    The audit chain stores this record, and `audit verify` compares it with what the
    database returns, so an integer latitude must already be the float it will become.
    """
    names, converters = _converters(table)
    if not names.issuperset(values):
        # An empty value for a column the table lacks loses nothing (a case at an older
        # schema, in the migration tests); any other value would be lost, so it is a bug.
        unknown = sorted(key for key in set(values) - names if values[key] is not None)
        if unknown:
            raise ValueError(f"{table.name} has no columns {unknown}")
    get = values.get
    return {
        key: None if (value := get(key)) is None else convert(value) for key, convert in converters
    }


# Per table: its column names, and for each column the type its values are made into.
# Worked out once, because bulk adds coerce every row of every record they write.
_CONVERTERS: dict[Table, tuple[frozenset[str], list[tuple[str, Callable[[Any], Any]]]]] = {}


def _converters(table: Table) -> tuple[frozenset[str], list[tuple[str, Callable[[Any], Any]]]]:
    found = _CONVERTERS.get(table)
    if found is None:
        converters = []
        for column in table.c:
            if isinstance(column.type, Boolean):
                convert = bool
            elif isinstance(column.type, Float):
                convert = float
            elif isinstance(column.type, Integer):
                convert = int
            else:
                convert = str
            converters.append((column.key, convert))
        found = _CONVERTERS[table] = (frozenset(table.c.keys()), converters)
    return found


# Per dialect, table and columns: the INSERT statement, written once.
_INSERTS: dict[tuple[str, Table, tuple[str, ...]], str] = {}


def _insert_sql(dialect, table: Table, columns: tuple[str, ...]) -> str:
    """INSERT of `columns` in that order: '?' marks for SQLite, named ones for psycopg."""
    found = _INSERTS.get((dialect.name, table, columns))
    if found is None:
        quote = dialect.identifier_preparer.quote
        names = ", ".join(quote(column) for column in columns)
        if dialect.paramstyle == "qmark":
            marks = ", ".join("?" * len(columns))
        else:
            marks = ", ".join(f"%({column})s" for column in columns)
        found = f"INSERT INTO {quote(table.name)} ({names}) VALUES ({marks})"
        _INSERTS[(dialect.name, table, columns)] = found
    return found


def bulk_insert(connection: Connection, table: Table, rows: list[dict[str, Any]]) -> None:
    """Inserts whole records (every column present) with one driver-level executemany.

    SQLAlchemy's own executemany processes every parameter of every row in Python; for
    plain columns that is pure cost, and bulk adds write tens of thousands of rows.
    """
    keys = tuple(key for key, _ in _converters(table)[1])
    sql = _insert_sql(connection.dialect, table, keys)
    if connection.dialect.paramstyle == "qmark":
        as_tuple = itemgetter(*keys)
        connection.exec_driver_sql(sql, [as_tuple(row) for row in rows])
    else:
        connection.exec_driver_sql(sql, rows)


def _insert_values(
    connection: Connection, table: Table, columns: tuple[str, ...], rows: list[tuple]
) -> None:
    """Inserts rows given as values of `columns`, in that order, with one executemany."""
    sql = _insert_sql(connection.dialect, table, columns)
    if connection.dialect.paramstyle != "qmark":
        rows = [dict(zip(columns, values, strict=True)) for values in rows]
    connection.exec_driver_sql(sql, rows)


# A batch entry names at most this many records, so that no entry grows without bound.
BATCH_RECORDS = 2_000

# Audit entries wait in memory at most this many at a time before going to the database
# (inside the same transaction, so a failure still takes them all back).
FLUSH_EVERY = 5_000


class Transaction:
    def __init__(self, connection: Connection, blob_store: BlobStore, actor: str):
        self.connection = connection
        self.blob_store = blob_store
        self.actor = actor
        head = connection.execute(
            select(audit_log.c.seq, audit_log.c.hash).order_by(audit_log.c.seq.desc()).limit(1)
        ).first()
        self.head_seq, self.head_hash = (head.seq, head.hash) if head else (0, audit.GENESIS)
        self._entries: list[dict[str, Any]] = []
        self._next_ids: dict[str, int] = {}
        self.new_blob_files: list[str] = []
        self._blobs_known: set[str] = set()

    # Reading, inside the lock.

    def get(self, object_type: str, object_id: Any) -> dict[str, Any] | None:
        table = AUDITED_TABLES[object_type]
        row = (
            self.connection.execute(select(table).where(table.c.id == object_id)).mappings().first()
        )
        return dict(row) if row else None

    def require(self, object_type: str, object_id: Any, field: str | None = None) -> dict[str, Any]:
        row = self.get(object_type, object_id)
        if row is None or row.get("deleted_at"):
            raise NotFound(f"{field or object_type}: no {object_type} #{object_id} in this case")
        return row

    # Writing.

    def next_id(self, object_type: str) -> int:
        if object_type not in self._next_ids:
            table = AUDITED_TABLES[object_type]
            highest = self.connection.execute(select(func.max(table.c.id))).scalar()
            self._next_ids[object_type] = (highest or 0) + 1
        allocated = self._next_ids[object_type]
        self._next_ids[object_type] += 1
        return allocated

    def insert(self, object_type: str, values: dict[str, Any]) -> dict[str, Any]:
        return self.insert_many(object_type, [values])[0]

    def insert_many(self, object_type: str, rows: list[dict[str, Any]]) -> list[dict[str, Any]]:
        """Inserts records; those without an id get the next ones. Returns whole records."""
        table = AUDITED_TABLES[object_type]
        complete = []
        now = utc_now_stored()
        for values in rows:
            values = {"created_at": now, **values}
            if values.get("id") is None:
                values["id"] = self.next_id(object_type)
            complete.append(coerce_row(table, values))
        if complete:
            bulk_insert(self.connection, table, complete)
        at = utc_now_precise()  # one moment for the records one call creates together
        for row in complete:
            self._record("create", object_type, row["id"], None, row, at)
        return complete

    def insert_batch(
        self,
        object_type: str,
        columns: tuple[str, ...],
        rows: list[tuple],
    ) -> list[int]:
        """Inserts new records given as values in the order of `columns` (all but the id,
        each already of its column's type), and records them in batch entries, each naming
        every record's id and the digest of its values. Returns the ids given them.

        For bulk ingest only: a record written this way has no copy in the chain, only
        its digest; `audit verify` checks it against that digest.
        """
        if not rows:
            return []
        digests = [audit.record_digest(values) for values in rows]
        table = AUDITED_TABLES[object_type]
        first = self.next_id(object_type)
        self._next_ids[object_type] = first + len(rows)
        ids = list(range(first, first + len(rows)))
        _insert_values(
            self.connection,
            table,
            ("id", *columns),
            [(object_id, *values) for object_id, values in zip(ids, rows, strict=True)],
        )
        at = utc_now_precise()
        for start in range(0, len(ids), BATCH_RECORDS):
            part = ids[start : start + BATCH_RECORDS]
            recorded = audit.batch_record(columns, part, digests[start : start + BATCH_RECORDS])
            self._record(
                audit.BATCH_ACTION, object_type, audit.batch_span(part), None, recorded, at
            )
        return ids

    def update(
        self, object_type: str, object_id: Any, changes: dict[str, Any], action: str = "update"
    ) -> dict[str, Any]:
        table = AUDITED_TABLES[object_type]
        before = self.require(object_type, object_id)
        after = coerce_row(table, {**before, **changes})
        if after == before:
            return before
        self.connection.execute(update(table).where(table.c.id == object_id).values(**changes))
        self._record(action, object_type, object_id, before, after)
        return after

    def soft_delete(self, object_type: str, object_id: Any, reason: str) -> dict[str, Any]:
        """Marks a record deleted; nothing is ever erased."""
        return self.update(
            object_type,
            object_id,
            {"deleted_at": utc_now_stored(), "deleted_reason": reason},
            action="delete",
        )

    def put_blob(
        self, data: bytes, media_type: str | None, sealed_data: bytes | None = None
    ) -> str:
        """Stores original bytes once; `sealed_data` is what goes to disk for confidential bytes.

        Returns the SHA-256 of the original bytes, which names the blob in the case.
        """
        digest = sha256_hex(data)
        if digest in self._blobs_known or self.get("blob", digest) is not None:
            self._blobs_known.add(digest)
            return digest
        on_disk = sealed_data if sealed_data is not None else data
        stored_digest, written = self.blob_store.put(on_disk)
        if written:
            self.new_blob_files.append(stored_digest)
        self.insert(
            "blob",
            {
                "id": digest,
                "size": len(data),
                "media_type": media_type,
                "encrypted": sealed_data is not None,
                "stored_sha256": stored_digest,
            },
        )
        self._blobs_known.add(digest)
        return digest

    def write_new_blobs(self, files: list[tuple[bytes, str]]) -> None:
        """Writes files for blobs the case does not hold yet (the bytes as stored, and their
        digest); taken back if the change fails."""
        for data, digest in files:
            self.new_blob_files.append(self.blob_store.put_absent(data, digest))

    def record_left_out(self, object_type: str, object_id: Any) -> None:
        """An entry saying a record the chain vouches for is not in this case, because the
        bundle it came from left it out: its state after is none."""
        self._record("left_out", object_type, object_id, None, None)

    def record_event(
        self, action: str, object_type: str, object_id: Any, detail: dict[str, Any]
    ) -> None:
        """An audit entry for an act that changes no record (an import, an export)."""
        self._record(action, object_type, object_id, None, detail)

    def _record(self, action, object_type, object_id, before, after, at=None) -> None:
        self.head_seq += 1
        entry = audit.make_entry(
            self.head_seq,
            self.head_hash,
            at or utc_now_precise(),
            self.actor,
            action,
            object_type,
            str(object_id),
            before,
            after,
        )
        self.head_hash = entry["hash"]
        self._entries.append(entry)
        if len(self._entries) >= FLUSH_EVERY:
            self.flush()  # a large import must not hold every entry in memory until commit

    def append_verbatim(self, entries: list[dict[str, Any]]) -> None:
        """Continues the chain with entries made elsewhere (an imported bundle's chain)."""
        for entry in entries:
            self._entries.append(entry)
            self.head_seq, self.head_hash = entry["seq"], entry["hash"]

    def flush(self) -> None:
        if self._entries:
            bulk_insert(self.connection, audit_log, self._entries)
            self._entries = []
