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
from itertools import accumulate

from siteline.ingest.model import FoundPlace, PlaceEntry

_TOKEN = re.compile(r"\w+(?:['’]\w+)*")
_SPLIT = re.compile(r"(\w+(?:'\w+)*)")  # _TOKEN on text whose ’ became '; kept by split
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
            start, end = words[i], ends[i + length - 1]
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
        capital = text[words[i]].isupper()
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


def _words(text: str) -> tuple[list[int], list[str], list[int]]:
    """Each word's start, its lower-case form and where a name ending on it ends.

    Split once by a regular expression and measured by running sums, both done in C: this
    runs over every word of every article, and per-word Python calls were half its cost.
    """
    lowered_text = text.lower().replace("’", "'")
    if len(lowered_text) != len(text):  # a few letters change length when lowered
        lowered_text = "".join(c.lower()[:1] for c in text).replace("’", "'")
    parts = _SPLIT.split(lowered_text)  # gap, word, gap, word, …, gap
    offsets = list(accumulate(map(len, parts)))
    lowered = parts[1::2]
    starts = offsets[0:-1:2]
    ends = offsets[1::2]
    # "Aleppo's" names Aleppo: the possessive is not part of the name.
    for number in [n for n, word in enumerate(lowered) if word[-2:] == "'s" and len(word) > 2]:
        lowered[number] = lowered[number][:-2]
        ends[number] -= 2
    return starts, lowered, ends


@lru_cache(maxsize=1)
def world_index() -> PlaceIndex:
    """The world gazetteer's names, indexed once per process."""
    from siteline.ingest.gazetteer import world_entries

    index = PlaceIndex()
    index.add(world_entries())
    return index
