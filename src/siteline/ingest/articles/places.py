"""Finding the places a text names: the case's sites, its gazetteer, and the world.

Names are matched by whole words. Each name is cut into lower-case word tokens, and the text
is cut the same way; the index maps a name's first token to the token sequences that start
with it, so one pass over the text with a dictionary look-up per word finds every name,
however many names the index holds (the world gazetteer has hundreds of thousands).
Where names overlap the longest wins, then a site over a gazetteer entry over a world place.
World names must be written with a capital, as place names in English are, so that a town
called "Of" or "Best" does not turn up in every sentence.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass
from functools import lru_cache

from siteline.ingest.model import FoundPlace, PlaceEntry

_TOKEN = re.compile(r"\w+(?:['’]\w+)*")
_RANK = {"site": 0, "gazetteer": 1, "world": 2}
_MAX_TOKENS = 8  # longer "names" are descriptions, not names


@dataclass(frozen=True)
class _Name:
    entry: PlaceEntry
    tokens: tuple[str, ...]
    needs_capital: bool


def _tokens(text: str) -> list[str]:
    return [t.lower().replace("’", "'") for t in _TOKEN.findall(text)]


class PlaceIndex:
    """Every name and alias of the entries given, ready to be found in texts."""

    def __init__(self) -> None:
        # first token -> [(length, {tokens: names, best first})], longest length first
        self._by_first: dict[str, list[tuple[int, dict[tuple[str, ...], list[_Name]]]]] = {}
        self.size = 0
        self.world: PlaceIndex | None = None  # looked in after this one

    @classmethod
    def from_entries(cls, entries: Iterable[PlaceEntry], include_world: bool = True) -> PlaceIndex:
        """An index of the entries given; the world's names sit in a second index, built
        once per process and shared, because building it takes seconds."""
        index = cls()
        index.add(entries)
        if include_world:
            index.world = world_index()
        return index

    def add(self, entries: Iterable[PlaceEntry]) -> None:
        for entry in entries:
            for name in dict.fromkeys([entry.name, *entry.aliases]):
                tokens = tuple(_tokens(name))
                if not tokens or len(tokens) > _MAX_TOKENS:
                    continue
                # One short token ("Of", "Ur") is too often an ordinary word; sites may be.
                if entry.origin != "site" and len(tokens) == 1 and len(tokens[0]) < 3:
                    continue
                needs_capital = entry.origin == "world" and name[:1].isupper()
                self._insert(_Name(entry, tokens, needs_capital))

    def _insert(self, name: _Name) -> None:
        lengths = self._by_first.setdefault(name.tokens[0], [])
        table = next((t for length, t in lengths if length == len(name.tokens)), None)
        if table is None:
            table = {}
            lengths.append((len(name.tokens), table))
            lengths.sort(key=lambda pair: -pair[0])
        names = table.setdefault(name.tokens, [])
        names.append(name)
        names.sort(key=lambda n: _RANK.get(n.entry.origin, 3))  # stable: first added first
        self.size += 1

    def find(self, text: str) -> list[FoundPlace]:
        """Every place named, in order, none overlapping. Where a name of the case's own
        (a site, its gazetteer) starts, it is taken before any world name."""
        words, lowered, ends = _words(text)
        tables = [self._by_first] + ([self.world._by_first] if self.world else [])
        found: list[FoundPlace] = []
        i, count = 0, len(words)
        while i < count:
            match = None
            for by_first in tables:
                lengths = by_first.get(lowered[i])
                match = lengths and self._match_at(text, words, lowered, i, lengths)
                if match:
                    break
            if not match:
                i += 1
                continue
            name, length = match
            start, end = words[i][0], ends[i + length - 1]
            found.append(
                FoundPlace(
                    text=text[start:end],
                    name=name.entry.name,
                    origin=name.entry.origin,
                    start=start,
                    end=end,
                    site_id=name.entry.site_id,
                    location=name.entry.location,
                    gazetteer_id=name.entry.gazetteer_id,
                )
            )
            i += length
        return found

    @staticmethod
    def _match_at(text, words, lowered, i, lengths):
        capital = text[words[i][0]].isupper()
        for length, table in lengths:
            names = (
                table.get(tuple(lowered[i : i + length]))
                if length > 1
                else table.get((lowered[i],))
            )
            for name in names or ():
                if capital or not name.needs_capital:
                    return name, length
        return None


def _words(text: str) -> tuple[list[tuple[int, int]], list[str], list[int]]:
    """Each word's span, its lower-case form and where a name ending on it ends."""
    lowered_text = text.lower().replace("’", "'")
    if len(lowered_text) != len(text):  # a few letters change length when lowered
        lowered_text = "".join(c.lower()[:1] for c in text).replace("’", "'")
    words = [m.span() for m in _TOKEN.finditer(lowered_text)]
    lowered = [lowered_text[s:e] for s, e in words]
    ends = []
    for number, token in enumerate(lowered):
        # "Aleppo's" names Aleppo: the possessive is not part of the name.
        if token.endswith("'s") and len(token) > 2:
            lowered[number] = token[:-2]
            ends.append(words[number][1] - 2)
        else:
            ends.append(words[number][1])
    return words, lowered, ends


@lru_cache(maxsize=1)
def world_index() -> PlaceIndex:
    """The world gazetteer's names, indexed once per process."""
    from siteline.ingest.gazetteer import world_entries

    index = PlaceIndex()
    index.add(world_entries())
    return index
