"""Social posts embedded in an article as text remnants, in the four forms scrapes leave.

1. line: the post's text on the line(s) before `— Name (@handle) Month D, YYYY`;
2. card: ` Follow` / `Name @handle` / text / `11:34 PM - 19 Oct 2016` / retweet and like counts;
3. inline: `…text  Name (@handle) Month D, YYYYNext sentence` (dash lost, next sentence glued);
4. stripped (FA-KES): `…text httpst.coXXXX pic.twitter.comXXXX Name (handle) Month D YYYY`,
   where `@ / : ,` were removed and the month is sometimes mis-encoded or missing.

The signature (handle and date) is what identifies a post; the text before it is taken back to
a natural boundary. Each found post carries the span it covers so it can be cut from the body.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from datetime import UTC, datetime

from siteline.domain.values import FuzzyTime, TimePrecision
from siteline.ingest.articles.dates import MONTHS, month_number
from siteline.ingest.model import Post

_MONTH = rf"(?P<month>{MONTHS})\.?"
# Forms 1 and 3: the handle keeps its @ and the date its comma.
_SIGNATURE = re.compile(
    rf"\(@(?P<handle>\w{{1,15}})\)[ \t]*{_MONTH}[ \t]+(?P<day>\d{{1,2}}),[ \t]*(?P<year>(?:19|20)\d\d)"
)
# Form 4: no @, no comma; the month may be a mis-encoded token or gone.
_STRIPPED = re.compile(
    rf"\((?P<handle>[A-Za-z0-9_]{{1,15}})\),?[ \t]+"
    rf"(?:{_MONTH}[ \t]+(?P<day>\d{{1,2}})|(?P<lostday>\d{{1,2}})(?:[ \t]+[^\sA-Za-z0-9]{{1,6}})?)"
    r"[ \t]+(?P<year>20[0-3]\d)(?!\d)"
)
_CARD = re.compile(
    r"^[ \t]*Follow[ \t]*\n[ \t]*(?P<name>[^\n]*?)[ \t]*@(?P<handle>\w{1,15})[ \t]*\n"
    r"(?P<text>(?:[^\n]*\n){0,8}?)"
    r"[ \t]*\d{1,2}:\d\d[ \t]*[AP]M[ \t]*-[ \t]*(?P<day>\d{1,2})[ \t]+(?P<month>[A-Z][a-z]{2})[ \t]+"
    r"(?P<year>(?:19|20)\d\d)[ \t]*(?:\n[ \t]*[\d,.]+[KM]?[ \t]+[\d,.]+[KM]?[ \t]+Retweets?"
    r"[^\n]*)?",
    re.M,
)
_TWITTER_LINK = re.compile(r"pic\.twitter\.com|https?:?/*t\.co|twitter\.com", re.I)
_LINK = re.compile(
    r"https?://t\.co/\w+|pic\.twitter\.com/\w+|https?://\S+[\w/]"
    r"|(?P<tco>httpst\.co)(?P<tid>[A-Za-z0-9]{10})|(?P<pic>pic\.twitter\.com)(?P<pid>[A-Za-z0-9]{10})"
)
_HASHTAG = re.compile(r"(?<![\w&#])#(\w*[A-Za-z_]\w*)")
_MENTION = re.compile(r"(?<![\w@])@(\w{1,15})\b")
_SENTENCE_END = re.compile(r"""(?:[.!?:]["”’')]?|\n)\s+(?=["“'‘(]?[A-Z0-9#@.])""")
_LONGEST_POST = 280  # characters a post could hold in the years these scrapes come from


@dataclass
class FoundPost:
    post: Post
    start: int  # the span the post covers in the text, signature included
    end: int


def find_posts(text: str) -> list[FoundPost]:
    """Every embedded post, in reading order, spans not overlapping."""
    found: list[FoundPost] = [_card(m) for m in _CARD.finditer(text)]
    taken = [(f.start, f.end) for f in found]
    signatures = [(m, "signed") for m in _SIGNATURE.finditer(text)]
    signatures += [
        (m, "stripped") for m in _STRIPPED.finditer(text) if _plausible_stripped(text, m)
    ]
    signatures.sort(key=lambda pair: pair[0].start())
    for match, kind in signatures:
        if any(s <= match.start() < e for s, e in taken):
            continue
        previous_end = max((e for s, e in taken if e <= match.start()), default=0)
        post = _signed(text, match, kind, previous_end)
        found.append(post)
        taken.append((post.start, post.end))
    found.sort(key=lambda f: f.start)
    return found


def _plausible_stripped(text: str, match: re.Match) -> bool:
    """`(Reuters) March 5 2016` is prose; a post shows a link nearby or a handle-like name."""
    handle = match.group("handle")
    if _TWITTER_LINK.search(text, max(0, match.start() - 320), match.start()):
        return True
    if match.group("month") is None:
        return False  # without a month, only a link makes a post believable
    return not (handle.isupper() and len(handle) <= 6) and not handle.isdigit()


def _signed(text: str, match: re.Match, kind: str, previous_end: int) -> FoundPost:
    line_start = text.rfind("\n", 0, match.start()) + 1
    before = text[line_start : match.start()]
    dash = re.match(r"[ \t]*[—–―][ \t]*", before)
    if dash:  # form 1: the whole line is the signature; the text is the paragraph above
        name = before[dash.end() :].strip()
        body_start = _paragraph_above(text, line_start, previous_end)
        post_text = text[body_start:line_start].strip()
        form, start = "line", body_start
    else:
        name_start = _name_start(text, match.start(), max(previous_end, line_start))
        name = text[name_start : match.start()].strip()
        start = _post_start(text, name_start, max(previous_end, line_start))
        post_text = text[start:name_start].strip()
        form = "stripped" if kind == "stripped" else "inline"
    post = Post(
        platform="twitter",
        text=post_text,
        handle=match.group("handle"),
        display_name=name or None,
        published=_published(match),
        form=form,
    )
    _fill_entities(post)
    return FoundPost(post, start, match.end())


def _paragraph_above(text: str, line_start: int, floor: int) -> int:
    """The start of the nearest non-blank line above the signature line.

    Scrapes keep a post's text on one line (its own paragraph); the lines above it are the
    article's."""
    end = line_start - 1
    while end > floor and text[end - 1] in " \t\n":
        end -= 1
    return max(text.rfind("\n", floor, end) + 1, floor)


def _name_start(text: str, paren: int, floor: int) -> int:
    """Inline forms put two spaces (or a link) before the name; else take capitalised words."""
    window_start = max(floor, paren - 80)
    window = text[window_start:paren]
    gap = window.rfind("  ")
    link_end = max((m.end() for m in _LINK.finditer(window)), default=-1)
    if gap != -1 and gap + 2 >= link_end:
        return window_start + gap + 2
    if link_end != -1:
        return window_start + link_end
    words = list(re.finditer(r"[^\s]+", window))
    start = paren
    for word in reversed(words[-5:]):
        token = word.group()
        if not (token[0].isupper() or token[0].isdigit()) or token[-1] in '.!?:;,"”':
            break
        start = window_start + word.start()
    return start


def _post_start(text: str, name_start: int, floor: int) -> int:
    """Back from the name to where the post's text likely begins: the last sentence boundary
    that leaves the post a sentence's worth of text (the article's sentence stays in the body)."""
    window_start = max(floor, name_start - _LONGEST_POST)
    boundaries = [m.end() for m in _SENTENCE_END.finditer(text, window_start, name_start)]
    for boundary in reversed(boundaries):
        if name_start - boundary >= 25:
            return boundary
    return window_start


def _published(match: re.Match) -> FuzzyTime | None:
    year = int(match.group("year"))
    month = month_number(match.group("month")) if match.group("month") else None
    day = match.groupdict().get("day")
    try:
        if month and day:
            return FuzzyTime(datetime(year, month, int(day), tzinfo=UTC), TimePrecision.DAY)
    except ValueError:
        pass
    # The month was lost or mis-encoded: only the year is known.
    return FuzzyTime(datetime(year, 1, 1, tzinfo=UTC), TimePrecision.YEAR)


def _card(match: re.Match) -> FoundPost:
    post = Post(
        platform="twitter",
        text=match.group("text").strip(),
        handle=match.group("handle"),
        display_name=match.group("name").strip() or None,
        published=_published(match),
        form="card",
    )
    _fill_entities(post)
    return FoundPost(post, match.start(), match.end())


def _fill_entities(post: Post) -> None:
    links = []
    for match in _LINK.finditer(post.text):
        if match.group("tco"):
            links.append(f"https://t.co/{match.group('tid')}")
        elif match.group("pic"):
            links.append(f"pic.twitter.com/{match.group('pid')}")
        else:
            links.append(match.group())
    post.links = list(dict.fromkeys(links))
    post.hashtags = list(dict.fromkeys(_HASHTAG.findall(post.text)))
    post.mentions = list(dict.fromkeys(_MENTION.findall(post.text)))
