"""What a news site wraps around the report: taken out of the body and listed.

Only well-known shapes are removed, and only where they sit (the start or the end of the
text, or their own lines), so that reporting which happens to use the same words stays.
"""

from __future__ import annotations

import re

_TAIL = 400  # trailing credits sit in the last few hundred characters

# A "more stories" heading and the list of headlines under it, up to the end.
_MORE_STORIES = re.compile(
    r"(?:^[ \t]*[—–-]+[ \t]*\n)?^[ \t]*(?:Other\s+)?(?:Must[- ]Read|Related|Recommended|More|Top|"
    r"Trending)\s+(?:Stories|Articles|Reads|News|Posts)[ \t]*:?[ \t]*\n"
    r"(?:[ \t]*[–—•*-][^\n]*(?:\n|\Z)|[ \t]*\n)*\Z",
    re.M | re.I,
)
# Credits and links at the end; in one-line scrapes they are glued to the last sentence.
_CREDIT = re.compile(
    r"(?:Featured\s+image|Featured\s+photo|Header\s+image|Photo|Image|Photo\s+credit)"
    r"\s*(?:via|by|:|credit:?)\s[^\n]{0,200}\Z"
    r"|Read\s+more\s*(?::|here|at)[^\n]{0,200}\Z",
    re.I,
)
_CREDIT_LINE = re.compile(
    r"^[ \t]*(?:Featured\s+image|Photo|Image)\s*(?:via|by|credit:?|:)\s[^\n]{0,200}$"
    r"|^[ \t]*Read\s+more(?:\s*:[^\n]{0,200})?[ \t]*$",
    re.I | re.M,
)
# Wire tags: "WASHINGTON (Reuters) - " at the start (the place stays), "- REUTERS" at the end.
_WIRE_START = re.compile(
    r"\A(?P<keep>[^\n(]{0,60}?)[ \t]*\((?:Reuters|AP|AFP|UPI|SANA)\)[ \t]*[-–—:]+[ \t]*"
)
_WIRE_END = re.compile(r"[ \t]*(?:[-–—][ \t]*)?(?:\(Reuters\)|REUTERS|\(AFP\)|AFP)[ \t.]*\Z")
_LONE_DASH = re.compile(r"\n[ \t]*[—–-]+[ \t]*\Z")


def strip_boilerplate(text: str) -> tuple[str, list[str]]:
    """The text without boilerplate, and each piece removed, as written."""
    removed: list[str] = []
    text = text.strip()
    for _ in range(4):  # pieces can be stacked: a credit after a "Read more"
        before = text
        text = _cut_tail(text, removed)
        if text == before:
            break
    text = _CREDIT_LINE.sub(lambda m: _keep(removed, m.group()), text)
    start = _WIRE_START.match(text)
    if start:
        removed.append(text[start.start("keep") + len(start.group("keep")) : start.end()].strip())
        text = (start.group("keep").strip() + " " + text[start.end() :]).strip()
    return re.sub(r"\n{3,}", "\n\n", text).strip(), removed


def _cut_tail(text: str, removed: list[str]) -> str:
    for pattern in (_MORE_STORIES, _LONE_DASH, _WIRE_END):
        match = pattern.search(text)
        if match:
            removed.append(match.group().strip())
            return text[: match.start()].rstrip()
    match = _CREDIT.search(text, max(0, len(text) - _TAIL))
    if match:
        removed.append(match.group().strip())
        return text[: match.start()].rstrip()
    return text


def _keep(removed: list[str], piece: str) -> str:
    removed.append(piece.strip())
    return ""
