"""The media a web page names, and its title, read with an HTML parser.

The page is hostile: it is only parsed, never run. Nothing a script would add at run time
is found, only what the HTML itself names:

- `<img>`: `src`, `srcset`, and the lazy-loading `data-src`, `data-srcset`;
- `<picture>`/`<video>`/`<audio>` `<source>`: `src`, `srcset`;
- `<video>`: `src`, `poster`; `<audio>`: `src`;
- `<link rel="icon">` (and `shortcut icon`, `apple-touch-icon`): `href`;
- `<meta>` Open Graph and Twitter cards: `og:image`, `og:video`, `og:audio` (and their
  `:url`, `:secure_url`), `twitter:image`, `twitter:image:src`, `twitter:player:stream`.

URLs are resolved against the page's URL (or its first `<base href>`), stripped of their
fragment and listed once each, in the order met. Only http(s) URLs are listed as media;
`data:` URLs are part of the page already and are left out; any other scheme, and a URL
that does not parse, is listed apart (`unfetchable`) so that a capture can say it did not
fetch them.
"""

from __future__ import annotations

import codecs
import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser
from urllib.parse import urldefrag, urljoin, urlsplit

MAX_LISTED = 10_000  # distinct URLs listed from one page; a page can name millions
MAX_TITLE_CHARACTERS = 1_000

_MEDIA_ATTRIBUTES = {
    "img": ("src", "data-src"),
    "source": ("src",),
    "video": ("src", "poster"),
    "audio": ("src",),
}
_SRCSET_ATTRIBUTES = {"img": ("srcset", "data-srcset"), "source": ("srcset",)}
_ICON_RELS = {"icon", "apple-touch-icon", "apple-touch-icon-precomposed"}
_MEDIA_META = {
    "og:image",
    "og:image:url",
    "og:image:secure_url",
    "og:video",
    "og:video:url",
    "og:video:secure_url",
    "og:audio",
    "og:audio:url",
    "og:audio:secure_url",
    "twitter:image",
    "twitter:image:src",
    "twitter:player:stream",
}
_META_CHARSET = re.compile(rb"""<meta[^>]+charset\s*=\s*["']?\s*([a-zA-Z0-9_.:-]+)""", re.I)
_CONTROL_CHARACTERS = re.compile(r"[\x00-\x1f\x7f-\x9f]")


@dataclass
class PageLinks:
    """What a page names: its media URLs (http or https), the URLs that cannot be fetched
    (other schemes, malformed), and its title."""

    media: list[str] = field(default_factory=list)
    unfetchable: list[str] = field(default_factory=list)
    title: str | None = None
    more_than_listed: bool = False  # the page names more than MAX_LISTED URLs


def find_media(page: str, page_url: str) -> PageLinks:
    """The media URLs and title of an HTML page (as text) found at page_url."""
    finder = _MediaFinder(page_url)
    finder.feed(page)
    finder.close()
    return finder.found


def decode_html(body: bytes, content_type: str) -> str:
    """The page as text: the charset of its Content-Type, else its byte order mark, else
    a <meta charset> early in the page, else UTF-8; bytes that do not decode are replaced."""
    for candidate in (_charset_of(content_type), _bom_charset(body), _meta_charset(body)):
        if candidate:
            return body.decode(candidate, errors="replace")
    return body.decode("utf-8", errors="replace")


def parse_srcset(value: str) -> list[str]:
    """The URLs of a srcset: candidates split at commas that end a URL or follow its
    descriptors ('a.jpg 1x, b.jpg 2x'); a comma inside a URL ('w_100,h_50') stays."""
    urls, position = [], 0
    while position < len(value):
        while position < len(value) and (value[position].isspace() or value[position] == ","):
            position += 1
        start = position
        while position < len(value) and not value[position].isspace():
            position += 1
        url = value[start:position]
        if url.endswith(","):
            urls.append(url.rstrip(","))
            continue
        if url:
            urls.append(url)
        position = _after_descriptors(value, position)
    return [url for url in urls if url]


def _after_descriptors(value: str, position: int) -> int:
    """Where the next candidate starts: past the comma that ends these descriptors (a
    comma inside parentheses, as in a future descriptor's arguments, does not count)."""
    depth = 0
    while position < len(value):
        character = value[position]
        depth += {"(": 1, ")": -1}.get(character, 0)
        if character == "," and depth <= 0:
            return position + 1
        position += 1
    return position


def _charset_of(content_type: str) -> str | None:
    for parameter in content_type.split(";")[1:]:
        name, _, value = parameter.partition("=")
        if name.strip().lower() == "charset":
            return _known_codec(value.strip().strip("\"'"))
    return None


def _bom_charset(body: bytes) -> str | None:
    boms = ((codecs.BOM_UTF8, "utf-8-sig"), (codecs.BOM_UTF16_LE, "utf-16"))
    boms += ((codecs.BOM_UTF16_BE, "utf-16"),)
    return next((name for bom, name in boms if body.startswith(bom)), None)


def _meta_charset(body: bytes) -> str | None:
    match = _META_CHARSET.search(body[:4096])
    return _known_codec(match.group(1).decode("ascii")) if match else None


def _known_codec(name: str) -> str | None:
    try:
        return codecs.lookup(name).name
    except LookupError:
        return None


class _MediaFinder(HTMLParser):
    def __init__(self, page_url: str):
        super().__init__(convert_charrefs=True)
        self.base = page_url
        self.base_set = False
        self.found = PageLinks()
        self.seen: set[str] = set()
        self.title_parts: list[str] | None = None  # collecting while inside <title>

    def handle_starttag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        values = {name: value for name, value in attrs if value is not None}
        if tag == "base" and not self.base_set and "href" in values:
            self._set_base(values["href"])
        elif tag == "title" and self.found.title is None and self.title_parts is None:
            # A title is text to its end tag, as a browser reads it: "<b>" in it is text.
            self.title_parts = []
            self.set_cdata_mode("title")
        for name in _MEDIA_ATTRIBUTES.get(tag, ()):
            self._add(values.get(name))
        for name in _SRCSET_ATTRIBUTES.get(tag, ()):
            for url in parse_srcset(values.get(name, "")):
                self._add(url)
        if tag == "link" and _ICON_RELS & set(values.get("rel", "").lower().split()):
            self._add(values.get("href"))
        if tag == "meta":
            kind = (values.get("property") or values.get("name") or "").strip().lower()
            if kind in _MEDIA_META:
                self._add(values.get("content"))

    def handle_startendtag(self, tag: str, attrs: list[tuple[str, str | None]]) -> None:
        self.handle_starttag(tag, attrs)
        if tag == "title":  # <title/> has no text
            self.clear_cdata_mode()
            self._end_title()

    def handle_data(self, data: str) -> None:
        if self.title_parts is not None:
            self.title_parts.append(data)

    def handle_endtag(self, tag: str) -> None:
        if tag == "title":
            self._end_title()

    def close(self) -> None:
        super().close()
        self._end_title()  # an unclosed <title> ends with the page

    def _end_title(self) -> None:
        if self.title_parts is None:
            return
        # Read as raw text, so its character references are still to be replaced.
        text = _CONTROL_CHARACTERS.sub(" ", html.unescape("".join(self.title_parts)))
        self.found.title = " ".join(text.split())[:MAX_TITLE_CHARACTERS]
        self.title_parts = None

    def _set_base(self, href: str) -> None:
        try:
            resolved = urljoin(self.base, href.strip())
            if urlsplit(resolved).scheme in ("http", "https"):
                self.base = resolved
        except ValueError:
            pass
        self.base_set = True  # only the first <base> counts, even one that is ignored

    def _add(self, value: str | None) -> None:
        if not value or not value.strip():
            return
        try:
            url = urldefrag(urljoin(self.base, value.strip())).url
            scheme = urlsplit(url).scheme.lower()
        except ValueError:  # 'http://[::1' and the like
            url, scheme = value.strip(), ""
        if scheme == "data" or url in self.seen:
            return
        if len(self.seen) >= MAX_LISTED:
            self.found.more_than_listed = True
            return
        self.seen.add(url)
        if scheme in ("http", "https"):
            self.found.media.append(url)
        else:
            self.found.unfetchable.append(url)
