"""Full-text search of evidence, kept by the database itself so that every writer (bulk
ingest, bundle import, a tool of the future) keeps it current without code of its own.

SQLite: an FTS5 table `evidence_search` holding no text of its own (contentless), each
row's id the evidence item's, over the fields investigators search: title, text, file
name, author handle and name, platform and address. Triggers on `evidence` index a new
item, follow a change of those fields, and take out an item deleted (soft or hard). The
tokenizer is unicode61 without Latin diacritics; Arabic is folded before it (harakat and
tatweel removed, alef forms, alef maqsura and teh marbuta as their plain letters).

PostgreSQL: a stored generated column `search_document` (a tsvector of the 'simple'
configuration: the case mixes languages, so no stemming and no stop words), with the
fields weighted, and a GIN index over the items not deleted. Stored rather than an index
on an expression because a search ranks its matches, and ranking from an expression
index would parse every matched item's text again.

Confidential items keep their text sealed (`sealed`), so only their fields in the clear
are indexed. Existing items are indexed here. `services.search` reads both.

Revision ID: 0007
Revises: 0006
"""

from alembic import op

revision = "0007"
down_revision = "0006"
branch_labels = None
depends_on = None

COLUMNS = (
    "title",
    "text",
    "original_filename",
    "author_handle",
    "author_name",
    "platform",
    "source_url",
)
# bm25 weights, by column: a word in the title or naming the author counts most.
WEIGHTS = (3.0, 1.0, 2.0, 2.0, 2.0, 1.0, 1.0)
TOKENIZER = "unicode61 remove_diacritics 2 categories 'L* N* Co M*'"

# Frozen here as they were when this revision was written: changing what the index folds
# needs a new revision that rebuilds it (the query side is `analysis.search_text`, and
# tests/test_search.py checks the two agree).
ARABIC_REMOVED = (0x0640, *range(0x064B, 0x0656), 0x0670)
ARABIC_LETTERS = {
    0x0622: 0x0627,
    0x0623: 0x0627,
    0x0625: 0x0627,
    0x0671: 0x0627,
    0x0649: 0x064A,
    0x0629: 0x0647,
}

# PostgreSQL: marks removed after decomposition (Latin accents, Arabic harakat and
# tatweel), and punctuation read as a space, so that 'al-Sakhour', 'twitter.com/x' and
# 'a@b.org' are words as on SQLite rather than one compound token.
PG_MARKS = r"[\u0300-\u036f\u0640\u064b-\u065f\u0670]"
PG_PUNCTUATION = (
    r"[\u0021-\u002f\u003a-\u0040\u005b-\u0060\u007b-\u007e\u00a0-\u00a9\u00ab-\u00b1"
    r"\u00b4\u00b6-\u00b8\u00bb\u00bf\u00d7\u00f7\u060c\u061b\u061f\u066a-\u066d\u06d4"
    r"\u2010-\u205e\u3000-\u303f]"
)
# A text longer than this is searched in its beginning only on PostgreSQL (a tsvector
# holds at most 1 MB).
PG_TEXT_CHARS = 200_000


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        _upgrade_postgres()
    else:
        _upgrade_sqlite()


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP INDEX ix_evidence_search")
        op.execute("ALTER TABLE evidence DROP COLUMN search_document")
        op.execute("DROP FUNCTION siteline_search_fold(text)")
    else:
        for trigger in ("audit", "sync", "update", "delete"):
            op.execute(f"DROP TRIGGER evidence_search_{trigger}")
        op.execute("DROP TABLE evidence_search_queue")
        op.execute("DROP TABLE evidence_search_done")
        op.execute("DROP TABLE evidence_search")


# SQLite.


def _folded(column: str) -> str:
    """`column` with its Arabic folded, in SQL; a text without those letters (most are)
    is left as it is rather than read through once for each."""
    folded = column
    for code in ARABIC_REMOVED:
        folded = f"replace({folded}, char({code}), '')"
    for code, plain in ARABIC_LETTERS.items():
        folded = f"replace({folded}, char({code}), char({plain}))"
    codes = (*ARABIC_REMOVED, *ARABIC_LETTERS)
    arabic = f"'*[' || char({min(codes)}) || '-' || char({max(codes)}) || ']*'"
    return f"CASE WHEN {column} GLOB {arabic} THEN {folded} ELSE {column} END"


def _values(row: str) -> str:
    return ", ".join(_folded(f"{row}.{column}") for column in COLUMNS)


def _upgrade_sqlite() -> None:
    names = ", ".join(COLUMNS)
    op.execute(
        f"CREATE VIRTUAL TABLE evidence_search USING fts5({names}, content='', "
        f'tokenize="{TOKENIZER}")'
    )
    weights = ", ".join(str(weight) for weight in WEIGHTS)
    op.execute(
        f"INSERT INTO evidence_search(evidence_search, rank) VALUES ('rank', 'bm25({weights})')"
    )
    # FTS5 writes its pending words to disk at every statement's savepoint, and a trigger
    # on a table makes SQLite keep a statement journal for every row written to it: an
    # index written row by row from triggers made a bulk insert five times slower. So new
    # items are indexed in one statement, as every item above the highest id indexed so
    # far, and changes to items indexed before are queued by row triggers for the same
    # statement. It runs when a change records its audit entries (every change to case
    # data does, in its transaction: store/transaction.py) or when anything inserts a
    # 'sync' row into the queue (services/search does, should a change made outside
    # Siteline have left anything waiting).
    op.execute("CREATE TABLE evidence_search_done (last_id INTEGER NOT NULL)")
    op.execute("INSERT INTO evidence_search_done SELECT coalesce(max(id), 0) FROM evidence")
    op.execute(f"INSERT INTO evidence_search(rowid, {names}) {_live_items('1 = 1')}")
    op.execute(
        "CREATE TABLE evidence_search_queue (seq INTEGER PRIMARY KEY, op TEXT NOT NULL, "
        f"id INTEGER, {names})"
    )
    # A contentless index forgets an item only when given the values it was given.
    forget = (
        f"INSERT INTO evidence_search_queue(op, id, {names}) "
        f"SELECT 'remove', old.id, {_values('old')} WHERE old.deleted_at IS NULL"
    )
    remember = "INSERT INTO evidence_search_queue(op, id) SELECT 'add', new.id"
    op.execute(
        f"CREATE TRIGGER evidence_search_update AFTER UPDATE OF {names}, deleted_at "
        f"ON evidence BEGIN {forget}; {remember} WHERE new.deleted_at IS NULL; END"
    )
    op.execute(
        f"CREATE TRIGGER evidence_search_delete AFTER DELETE ON evidence BEGIN {forget}; END"
    )
    done = "(SELECT last_id FROM evidence_search_done)"
    # An item indexed before (at or below the highest id done) has 'remove' as its first
    # queued change, holding the values it was indexed with.
    first_removals = (
        f"SELECT 'delete', q.id, {', '.join(f'q.{column}' for column in COLUMNS)} "
        "FROM evidence_search_queue AS q JOIN (SELECT id, min(seq) AS seq "
        "FROM evidence_search_queue WHERE id IS NOT NULL GROUP BY id) AS first "
        f"ON q.seq = first.seq WHERE q.op = 'remove' AND q.id <= {done}"
    )
    waiting = f"id > {done} OR id IN (SELECT id FROM evidence_search_queue)"
    op.execute(
        "CREATE TRIGGER evidence_search_sync AFTER INSERT ON evidence_search_queue "
        "WHEN new.op = 'sync' BEGIN "
        f"INSERT INTO evidence_search(evidence_search, rowid, {names}) {first_removals}; "
        f"INSERT INTO evidence_search(rowid, {names}) {_live_items(waiting)}; "
        "UPDATE evidence_search_done SET last_id = "
        "(SELECT coalesce(max(id), 0) FROM evidence); "
        "DELETE FROM evidence_search_queue; END"
    )
    op.execute(
        "CREATE TRIGGER evidence_search_audit AFTER INSERT ON audit_log "
        f"WHEN {STALE} BEGIN INSERT INTO evidence_search_queue(op) VALUES ('sync'); END"
    )


# Whether anything waits to be indexed (services/search asks the same).
STALE = (
    "EXISTS (SELECT 1 FROM evidence_search_queue) OR "
    "(SELECT max(id) FROM evidence) > (SELECT last_id FROM evidence_search_done)"
)


def _live_items(condition: str) -> str:
    return (
        f"SELECT id, {_values('evidence')} FROM evidence "
        f"WHERE ({condition}) AND deleted_at IS NULL ORDER BY id"
    )


# PostgreSQL.


def _weighted(weight: str, *columns: str) -> str:
    joined = " || ' ' || ".join(f"coalesce({column}, '')" for column in columns)
    return (
        f"setweight(to_tsvector('pg_catalog.simple', siteline_search_fold({joined})), '{weight}')"
    )


def _upgrade_postgres() -> None:
    # Every function here is immutable, as a generated column needs; the query folds its
    # words with the same function, so the two can never disagree.
    marks, punctuation = PG_MARKS, PG_PUNCTUATION
    arabic = "normalize($1, NFD)"
    arabic = f"regexp_replace({arabic}, '{marks}', '', 'g')"
    for code, plain in ARABIC_LETTERS.items():
        if code in (0x0622, 0x0623, 0x0625):
            continue  # decomposed above into alef and a removed mark
        arabic = f"replace({arabic}, U&'\\{code:04x}', U&'\\{plain:04x}')"
    op.execute(
        "CREATE FUNCTION siteline_search_fold(value text) RETURNS text "
        "LANGUAGE sql IMMUTABLE PARALLEL SAFE "
        f"AS $$ SELECT regexp_replace({arabic}, '{punctuation}', ' ', 'g') $$"
    )
    document = " || ".join(
        (
            _weighted("A", "title"),
            _weighted("B", "original_filename", "author_handle", "author_name"),
            _weighted("C", f'left("text", {PG_TEXT_CHARS})'),
            _weighted("D", "platform", "source_url"),
        )
    )
    op.execute(
        "ALTER TABLE evidence ADD COLUMN search_document tsvector "
        f"GENERATED ALWAYS AS ({document}) STORED"
    )
    op.execute(
        "CREATE INDEX ix_evidence_search ON evidence USING gin (search_document) "
        "WHERE deleted_at IS NULL"
    )
