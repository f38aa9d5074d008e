"""One page of a search, as each database finds it fastest: the ids of the items in order,
each with the score it was ordered by, and how many items match.

Two orders: by relevance (then id), or most recently added first (by id, descending),
for a list without words and for words that match so many items that ranking them all
would take longer than a person should wait (`RANK_LIMIT`). Pages are keyset pages,
never OFFSET: the next one starts after the last item's score and id.
"""

from __future__ import annotations

from typing import NamedTuple

from sqlalchemy import (
    Connection,
    Float,
    Integer,
    and_,
    bindparam,
    cast,
    column,
    func,
    literal_column,
    or_,
    select,
    table,
    text,
)
from sqlalchemy.dialects.postgresql import DOUBLE_PRECISION

from siteline.analysis.search_text import Query, fold_arabic, fts5_match, tsquery_text
from siteline.store.schema import evidence

RELEVANCE = "relevance"
ADDED = "added"
# Ranking costs about a microsecond a match on SQLite (a few for a prefix of many words):
# up to this many matches are ranked within the time a results page has; more come back
# most recently added first.
RANK_LIMIT = 10_000
_CANDIDATES = 4  # matches ranked for each place on a filtered page, before filtering

_SQLITE_INDEX = table("evidence_search", column("rowid", Integer), column("rank", Float))
_MATCHES_SQLITE = literal_column("evidence_search").op("MATCH")
_DOCUMENT = literal_column("evidence.search_document")
_SIMPLE = literal_column("'pg_catalog.simple'::regconfig")
_LENGTH_NORMALISED = 1  # ts_rank divides by 1 + log(length), as bm25 favours short items


class Position(NamedTuple):
    """Where a page ends: its order, its last item's score (by relevance) and id."""

    order: str
    score: float | None
    last_id: int


def finder(connection: Connection, query: Query | None):
    if query is None:
        return ListFinder(connection)
    if connection.dialect.name == "postgresql":
        return PostgresFinder(connection, query)
    return SqliteFinder(connection, query)


class ListFinder:
    """Items by filters alone, most recently added first."""

    def __init__(self, connection: Connection):
        self.connection = connection

    def order(self) -> str:
        return ADDED

    def page(self, conditions: list, order: str, after: Position | None, size: int) -> list:
        query = select(evidence.c.id).where(evidence.c.deleted_at.is_(None), *conditions)
        if after:
            query = query.where(evidence.c.id < after.last_id)
        found = self.connection.execute(query.order_by(evidence.c.id.desc()).limit(size))
        return [(row.id, None) for row in found]

    def count(self, conditions: list, cap: int) -> int:
        query = select(evidence.c.id).where(evidence.c.deleted_at.is_(None), *conditions)
        return _count(self.connection, query, cap)


class SqliteFinder:
    """The FTS5 index: bm25 scores (lower is better), rows in the index's own order."""

    def __init__(self, connection: Connection, query: Query):
        self.connection = connection
        terms = [(tuple(fold_arabic(word) for word in t.words), t.prefix) for t in query.terms]
        self.match = _MATCHES_SQLITE(bindparam("match", fts5_match(terms)))

    def _matching(self, conditions: list, *columns):
        query = select(*columns).select_from(_SQLITE_INDEX).where(self.match)
        if conditions:
            query = query.join(evidence, evidence.c.id == _SQLITE_INDEX.c.rowid).where(*conditions)
        return query

    def order(self) -> str:
        found = _count(self.connection, self._matching([], _SQLITE_INDEX.c.rowid), RANK_LIMIT)
        return RELEVANCE if found <= RANK_LIMIT else ADDED

    def page(self, conditions: list, order: str, after: Position | None, size: int) -> list:
        index = _SQLITE_INDEX.c
        if order == ADDED:
            query = self._matching(conditions, index.rowid)
            if after:
                query = query.where(index.rowid < after.last_id)
            found = self.connection.execute(query.order_by(index.rowid.desc()).limit(size))
            return [(row.rowid, None) for row in found]
        if not conditions:
            return self._ranked([], after, size)
        # Reading each match's item to filter it costs several times ranking it: rank the
        # matches alone, then filter the best few, which is enough when most pass (as most
        # items pass the sensitivities an asker may see); else filter every match.
        candidates = self._ranked([], after, size * _CANDIDATES)
        passing = self._passing([item for item, _ in candidates], conditions)
        found = [candidate for candidate in candidates if candidate[0] in passing]
        if len(found) >= size or len(candidates) < size * _CANDIDATES:
            return found[:size]
        return self._ranked(conditions, after, size)

    def _ranked(self, conditions: list, after: Position | None, size: int) -> list:
        index = _SQLITE_INDEX.c
        query = self._matching(conditions, index.rowid, index.rank)
        if after:
            query = query.where(_after(index.rank, index.rowid, after))
        found = self.connection.execute(query.order_by(index.rank, index.rowid).limit(size))
        return [(row.rowid, row.rank) for row in found]

    def _passing(self, ids: list[int], conditions: list) -> set[int]:
        if not ids:
            return set()
        query = select(evidence.c.id).where(evidence.c.id.in_(ids), *conditions)
        return set(self.connection.execute(query).scalars())

    def count(self, conditions: list, cap: int) -> int:
        return _count(self.connection, self._matching(conditions, _SQLITE_INDEX.c.rowid), cap)


class PostgresFinder:
    """The generated `search_document` column and its GIN index: ts_rank, negated so
    that lower sorts first as on SQLite."""

    def __init__(self, connection: Connection, query: Query):
        self.connection = connection
        terms = [(self._folded(term.words), term.prefix) for term in query.terms]
        terms = [(words, prefix) for words, prefix in terms if words]
        # A search whose words all fold to nothing finds nothing, rather than everything.
        self.tsquery = func.to_tsquery(_SIMPLE, bindparam("tsquery", tsquery_text(terms)))
        self.nothing = not terms

    def _folded(self, words: tuple[str, ...]) -> tuple[str, ...]:
        """The words as the index folds them, by the database's own function."""
        found = self.connection.execute(
            text(
                "SELECT siteline_search_fold(word) AS folded "
                "FROM unnest(CAST(:words AS text[])) WITH ORDINALITY AS t(word, n) ORDER BY n"
            ),
            {"words": list(words)},
        )
        return tuple(part for row in found for part in row.folded.split())

    def _matching(self, conditions: list, *columns):
        return select(*columns).where(
            evidence.c.deleted_at.is_(None), _DOCUMENT.op("@@")(self.tsquery), *conditions
        )

    def order(self) -> str:
        if self.nothing:
            return ADDED
        found = _count(self.connection, self._matching([], evidence.c.id), RANK_LIMIT)
        return RELEVANCE if found <= RANK_LIMIT else ADDED

    def page(self, conditions: list, order: str, after: Position | None, size: int) -> list:
        if self.nothing:
            return []
        if order == ADDED:
            query = self._matching(conditions, evidence.c.id)
            if after:
                query = query.where(evidence.c.id < after.last_id)
            found = self.connection.execute(query.order_by(evidence.c.id.desc()).limit(size))
            return [(row.id, None) for row in found]
        # As double precision: a real would come back rounded to its shortest digits,
        # and the next page would start after a score no item has.
        rank = func.ts_rank(_DOCUMENT, self.tsquery, _LENGTH_NORMALISED)
        score = cast(-rank, DOUBLE_PRECISION).label("score")
        ranked = self._matching(conditions, evidence.c.id, score).subquery()
        query = select(ranked.c.id, ranked.c.score)
        if after:
            query = query.where(_after(ranked.c.score, ranked.c.id, after))
        found = self.connection.execute(query.order_by(ranked.c.score, ranked.c.id).limit(size))
        return [(row.id, row.score) for row in found]

    def count(self, conditions: list, cap: int) -> int:
        if self.nothing:
            return 0
        return _count(self.connection, self._matching(conditions, evidence.c.id), cap)


def _after(score, identity, after: Position):
    return or_(score > after.score, and_(score == after.score, identity > after.last_id))


def _count(connection: Connection, query, cap: int) -> int:
    """How many rows `query` gives, counting no further than one past `cap`."""
    limited = query.limit(cap + 1).subquery()
    return connection.execute(select(func.count()).select_from(limited)).scalar_one()
