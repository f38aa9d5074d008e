"""Searches as people type them, read into terms that no database can mistake for syntax,
and the matched words marked in a snippet. Pure: nothing here touches a database.

A search is words (every one must match), "quoted phrases" (their words next to each
other) and prefixes (`hosp*`). Everything else a person may type - operators, brackets,
a stray quote, a NUL byte - separates words and is never syntax: the query each database
runs is built from the words alone (see `fts5_match` and `tsquery_text`).
"""

from __future__ import annotations

import re
import unicodedata
from collections.abc import Iterable, Iterator, Mapping
from dataclasses import dataclass
from functools import cache, cached_property, lru_cache

from siteline.errors import InvalidInput

MAX_QUERY_CHARS = 1_000
MAX_TERMS = 24
MAX_WORD_CHARS = 100
# A shorter prefix names thousands of words, each with its own list of items to merge: on
# a million items 'ho*' takes seconds where 'hos*' takes milliseconds.
MIN_PREFIX_CHARS = 3

# Quotation marks people type or paste for a phrase, besides '"'.
_QUOTES = str.maketrans(dict.fromkeys("\u201c\u201d\u201e\u00ab\u00bb", '"'))

# Arabic as the index folds it (migration 0007 does the same in SQL): tatweel, harakat,
# the hamza and madda marks and the dagger alef removed; alef forms, alef maqsura and
# teh marbuta written as their plain letters, as people often type them.
ARABIC_REMOVED = (0x0640, *range(0x064B, 0x0656), 0x0670)
ARABIC_LETTERS = {
    0x0622: 0x0627,
    0x0623: 0x0627,
    0x0625: 0x0627,
    0x0671: 0x0627,
    0x0649: 0x064A,
    0x0629: 0x0647,
}
_ARABIC = str.maketrans({**dict.fromkeys(ARABIC_REMOVED), **ARABIC_LETTERS})

SNIPPET_CHARS = 180  # about two lines of a results page
_LEAD_CHARS = 50  # of them, before the first matched word
_SCAN_CHARS = 200_000  # a longer text is marked in its beginning only


@dataclass(frozen=True)
class Term:
    """Words that must appear next to each other (one word: anywhere), as typed; with
    `prefix`, the last one is the beginning of a word."""

    words: tuple[str, ...]
    prefix: bool = False


@dataclass(frozen=True)
class Query:
    terms: tuple[Term, ...]

    @cached_property
    def marks(self) -> Marks:
        """The words to mark in a snippet, folded: whole words, and prefixes."""
        whole, prefixes = set(), []
        for term in self.terms:
            *leading, last = (loose_fold(word) for word in term.words)
            whole.update(leading)
            (prefixes.append if term.prefix else whole.add)(last)
        return Marks(frozenset(whole), tuple(prefixes))


class Marks:
    """Finds the searched words in a text, as `loose_fold` folds both."""

    def __init__(self, whole: frozenset[str], prefixes: tuple[str, ...]):
        self.whole, self.prefixes = whole, prefixes
        # In ASCII text folding is lower-casing alone, so one expression finds the words.
        found = [re.escape(word) for word in whole if word.isascii()]
        found += [re.escape(prefix) + "[a-z0-9]*" for prefix in prefixes if prefix.isascii()]
        self._in_ascii = (
            re.compile(rf"(?<![a-z0-9])(?:{'|'.join(found)})(?![a-z0-9])", re.IGNORECASE)
            if found
            else None
        )

    def spans(self, text: str) -> Iterator[tuple[int, int]]:
        """Where the searched words are in `text`, in order."""
        if text.isascii():
            if self._in_ascii:
                yield from (match.span() for match in self._in_ascii.finditer(text))
            return
        for match in word_pattern().finditer(text):
            folded = _folded_word(match.group())
            if folded in self.whole or folded.startswith(self.prefixes):
                yield match.span()


@lru_cache(maxsize=1 << 17)
def _folded_word(word: str) -> str:
    return loose_fold(word)  # a case's words repeat from item to item and page to page


def parse_query(text: str) -> Query:
    """The terms of a search; InvalidInput when it is too long or has nothing to search."""
    if len(text) > MAX_QUERY_CHARS:
        raise InvalidInput("query", f"at most {MAX_QUERY_CHARS} characters, not {len(text)}")
    text = unicodedata.normalize("NFC", text.translate(_QUOTES))
    terms: list[Term] = []
    for index, part in enumerate(text.split('"')):
        # Odd parts lie between quotes; an unclosed quote runs to the end.
        chunks = [part] if index % 2 else part.split()
        terms.extend(term for chunk in chunks if (term := _term(chunk)) and term not in terms)
    if not terms:
        raise InvalidInput(
            "query", "nothing to search for: give at least one word of letters or digits"
        )
    if len(terms) > MAX_TERMS:
        raise InvalidInput("query", f"at most {MAX_TERMS} words and phrases, not {len(terms)}")
    return Query(tuple(terms))


def _term(chunk: str) -> Term | None:
    found = [match for match in word_pattern().finditer(chunk) if loose_fold(match.group())]
    if not found:
        return None
    words = tuple(match.group() for match in found)
    for word in words:
        if len(word) > MAX_WORD_CHARS:
            raise InvalidInput(
                "query", f"a word of more than {MAX_WORD_CHARS} characters ({word[:20]}…)"
            )
    prefix = chunk[found[-1].end() :].startswith("*")
    if prefix and len(loose_fold(words[-1])) < MIN_PREFIX_CHARS:
        raise InvalidInput(
            "query",
            f"{words[-1]}*: a prefix needs at least {MIN_PREFIX_CHARS} letters before the *",
        )
    return Term(words, prefix)


@cache
def word_pattern() -> re.Pattern:
    """A word as the SQLite index reads one (unicode61 with categories 'L* N* Co M*'):
    letters, digits, private-use characters and the marks that belong to letters."""
    marks = _ranges(_mark_codes())
    return re.compile(rf"(?:[^\W_]|[{marks}\ue000-\uf8ff\U000f0000-\U0010fffd])+")


@cache
def _mark_codes() -> tuple[int, ...]:
    """The marks (combining accents, harakat, vowel signs) of the Basic Multilingual Plane."""
    return tuple(code for code in range(0x10000) if unicodedata.category(chr(code)).startswith("M"))


def _ranges(codes: Iterable[int]) -> str:
    spans: list[list[int]] = []
    for code in codes:
        if spans and spans[-1][1] == code - 1:
            spans[-1][1] = code
        else:
            spans.append([code, code])
    return "".join(rf"\u{start:04x}-\u{end:04x}" for start, end in spans)


def fold_arabic(word: str) -> str:
    """A word as the SQLite index holds its Arabic (the index folds Latin itself)."""
    return word.translate(_ARABIC)


def loose_fold(text: str) -> str:
    """Text without case or marks of any script, Arabic folded: to mark matched words in
    a snippet and to tell a word from a lone mark, never to build a database query."""
    return unicodedata.normalize("NFD", text.lower()).translate(_loose_table())


@cache
def _loose_table() -> dict[int, int | None]:
    return {**dict.fromkeys(_mark_codes()), **dict.fromkeys(ARABIC_REMOVED), **ARABIC_LETTERS}


# Queries for each database.


def fts5_match(terms: Iterable[tuple[tuple[str, ...], bool]]) -> str:
    """An FTS5 MATCH expression: each word a quoted string, so that no word is syntax."""
    phrases = []
    for words, prefix in terms:
        quoted = " + ".join('"' + word.replace('"', '""') + '"' for word in words)
        phrases.append(quoted + ("*" if prefix else ""))
    return " AND ".join(phrases)


def tsquery_text(terms: Iterable[tuple[tuple[str, ...], bool]]) -> str:
    """A PostgreSQL tsquery: each word a quoted lexeme, phrases with <->, prefixes :*."""
    phrases = []
    for words, prefix in terms:
        quoted = " <-> ".join(
            "'" + word.replace("\\", "\\\\").replace("'", "''") + "'" for word in words
        )
        phrases.append(quoted + (":*" if prefix else ""))
    return " & ".join(phrases)


# Snippets.


def snippet(values: Mapping[str, str | None], query: Query, fields: Iterable[str]) -> dict | None:
    """About two lines of the first of `fields` where a searched word appears, as plain
    text and as parts, each saying whether it matched (never markup: a page escapes
    the text and marks the parts its own way). Without a marked word, the beginning of
    the first field that has text."""
    present = [(field, values[field][:_SCAN_CHARS]) for field in fields if values.get(field)]
    for field, value in present:
        first = next(query.marks.spans(value), None)
        if first:
            return _window(field, value, first[0], query.marks)
    if present:
        return _window(*present[0], 0, None)
    return None


def _window(field: str, value: str, first: int, marks: Marks | None) -> dict:
    start = max(0, first - _LEAD_CHARS)
    if start:
        space = value.find(" ", start, first)
        start = space + 1 if space != -1 else start
    end = start + SNIPPET_CHARS
    if end < len(value):
        space = value.rfind(" ", first, end)
        end = space if space > first else end
    parts: list[dict] = []
    shown = value[start:end]
    done = 0
    for begin, finish in marks.spans(shown) if marks else ():
        _add_part(parts, shown[done:begin], False)
        _add_part(parts, shown[begin:finish], True)
        done = finish
    _add_part(parts, shown[done:], False)
    if start:
        parts.insert(0, {"text": "…", "match": False})
    if end < len(value):
        parts.append({"text": "…", "match": False})
    return {"field": field, "text": "".join(part["text"] for part in parts), "parts": parts}


def _add_part(parts: list[dict], text: str, match: bool) -> None:
    text = re.sub(r"\s+", " ", text)  # line breaks and tabs read as one space in a line
    if text:
        parts.append({"text": text, "match": match})
