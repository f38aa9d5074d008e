"""What a report may show: which items are withheld, and scrubbing their words from free text.

The rules are those of a public bundle (see docs/bundles.md): restricted and confidential
items are left out unless asked for, and so is every item from a source whose identity is
sealed (a witness), every item that lies within a withheld item's original, and every
derived item made from a withheld original. A withheld item keeps only its number, its
sensitivity and the SHA-256 of its original (which names the bytes without revealing them),
so that a reader can see that something was withheld and where. Pure.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from dataclasses import dataclass

from siteline.domain.vocabularies import EvidenceKind

RESTRICTED, CONFIDENTIAL = "restricted", "confidential"
WITHHELD_WORDS = "[withheld]"
# Words shorter than this are too common to scrub from free text without mangling it.
MIN_SECRET_CHARS = 6


@dataclass(frozen=True)
class Access:
    include_restricted: bool = False
    include_confidential: bool = False

    def allows(self, level: str) -> bool:
        if level == CONFIDENTIAL:
            return self.include_confidential
        if level == RESTRICTED:
            return self.include_restricted
        return True


def level_of(item: dict, source: dict | None) -> str:
    """An item's sensitivity; an item from a witness (a sealed identity) counts as
    confidential, because what a witness gave can identify them."""
    if source is not None and source.get("identity_is_sealed"):
        return CONFIDENTIAL
    return item["sensitivity"]


def withheld_items(
    items: dict[int, dict], sources: dict[int, dict], access: Access
) -> dict[int, str]:
    """The items (`items` by id, with every ancestor through `within_id`) that the report
    must withhold, each with the level that withholds it: its own, or its container's."""
    withheld: dict[int, str] = {}
    for item_id in sorted(items):
        chain, current = [], items.get(item_id)
        while current is not None and current["id"] not in chain:
            chain.append(current["id"])
            current = items.get(current["within_id"]) if current.get("within_id") else None
        levels = [level_of(items[link], sources.get(items[link]["source_id"])) for link in chain]
        refused = [level for level in levels if not access.allows(level)]
        if refused:
            withheld[item_id] = CONFIDENTIAL if CONFIDENTIAL in refused else RESTRICTED
    return withheld


def withheld_derived(
    derived: Iterable[dict], withheld_blobs: set[str], withheld: set[int]
) -> set[int]:
    """Derived items made from a withheld item or a withheld original."""
    return {
        row["id"]
        for row in derived
        if row["evidence_id"] in withheld or not withheld_blobs.isdisjoint(row["parents"])
    }


class Scrubber:
    """Removes the words of withheld items from the free text written about them: a
    rationale or a reason may quote a title, a file name, an address or a handle, and a
    computed reason describes each item it weighed ('#4 photo from source #2 (C),
    credibility 3 → C3, verified'); for a withheld item that becomes its label."""

    def __init__(self, withheld_rows: Iterable[dict], withheld: dict[int, str]):
        self._withheld = withheld
        secrets = set()
        for row in withheld_rows:
            for key in ("title", "original_filename", "source_url", "author_handle", "author_name"):
                value = (row.get(key) or "").strip()
                if len(value) >= MIN_SECRET_CHARS:
                    secrets.add(value)
        # Longest first, so that a title is removed whole before a shorter one inside it.
        ordered = sorted(secrets, key=lambda secret: (-len(secret), secret))
        self._pattern = (
            re.compile("|".join(re.escape(secret) for secret in ordered), re.IGNORECASE)
            if ordered
            else None
        )

    def __call__(self, text: str | None) -> str | None:
        if text is None:
            return None
        if self._withheld:
            text = _DESCRIBED.sub(self._label, text)
        return self._pattern.sub(WITHHELD_WORDS, text) if self._pattern else text

    def _label(self, match: re.Match) -> str:
        number = int(match.group(1))
        level = self._withheld.get(number)
        return f"[{level} item #{number} withheld]" if level else match.group(0)


# An item as a computed reason describes it: its number, its kind, and what follows up to
# the next colon or semicolon (its source, grade and status).
_DESCRIBED = re.compile(rf"#(\d+) (?:{'|'.join(kind.value for kind in EvidenceKind)})\b[^:;\n]*")
