"""From file bytes to plain text: decoding that says which encoding it used, and HTML to text.

Articles arrive as scraped: UTF-8, or Windows-1252 with CRLF line ends (the 2016 scrapes), and
now and then as HTML. Nothing here guesses beyond what the bytes show; the encoding used is
reported so that a person can tell how the text was read.
"""

from __future__ import annotations

import html
import re
from dataclasses import dataclass, field
from html.parser import HTMLParser

from siteline.errors import InvalidInput

# Larger than any article; a bigger file is refused rather than read for minutes.
MAX_BYTES = 8 * 1024 * 1024

# Windows-1252 leaves five bytes undefined; Python refuses them, so they are read as the C1
# control of the same number (what the FA-KES transcoding did as well), not dropped.
_CP1252_HOLES = {0x81, 0x8D, 0x8F, 0x90, 0x9D}


# Every byte but the control characters text never holds (tab, line ends and form feed are fine).
_NOT_CONTROL = bytes(b for b in range(256) if not (b < 9 or 13 < b < 32 or b == 127))


@dataclass
class Decoded:
    text: str
    encoding: str
    notes: list[str] = field(default_factory=list)


def decode(data: bytes | str, name: str) -> Decoded:
    """Read the bytes as UTF-8 (with or without BOM) or Windows-1252; refuse binary data."""
    if isinstance(data, str):
        return Decoded(_normalise(data), "text")
    if len(data) > MAX_BYTES:
        raise InvalidInput(
            name, f"{len(data):,} bytes is larger than an article can be ({MAX_BYTES:,} bytes)"
        )
    if data.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _utf16(data, name)
    _refuse_binary(data, name)
    if data.startswith(b"\xef\xbb\xbf"):
        data = data[3:]
    try:
        return Decoded(_normalise(data.decode("utf-8")), "utf-8")
    except UnicodeDecodeError as error:
        # A file cut inside its last character is still UTF-8: keep what is whole.
        if error.reason == "unexpected end of data" and error.start >= len(data) - 3:
            text = data[: error.start].decode("utf-8")
            note = f"the last {len(data) - error.start} byte(s) are an incomplete UTF-8 character"
            return Decoded(_normalise(text), "utf-8", [note])
    return Decoded(_normalise(_cp1252(data)), "windows-1252")


def _utf16(data: bytes, name: str) -> Decoded:
    try:
        return Decoded(_normalise(data.decode("utf-16")), "utf-16")
    except UnicodeDecodeError as error:
        raise InvalidInput(name, f"not valid UTF-16 text ({error.reason})") from None


def _refuse_binary(data: bytes, name: str) -> None:
    """Text has no NUL bytes and few control characters; images and archives have many."""
    sample = data[:65536]
    if not sample:
        return
    controls = len(sample.translate(None, _NOT_CONTROL))
    if b"\x00" in sample or controls / len(sample) > 0.05:
        raise InvalidInput(name, "this is binary data, not the text or HTML of an article")


def _cp1252(data: bytes) -> str:
    if not any(byte in _CP1252_HOLES for byte in data):
        return data.decode("cp1252")
    return "".join(
        chr(byte) if byte in _CP1252_HOLES else bytes([byte]).decode("cp1252") for byte in data
    )


def _normalise(text: str) -> str:
    """One kind of line end, no BOM: every offset later refers to this text."""
    return text.lstrip("\ufeff").replace("\r\n", "\n").replace("\r", "\n")


# HTML.

_LOOKS_HTML = re.compile(r"<\s*(?:!doctype\s+html|html|head|body|p|div|article|meta)\b", re.I)
_BLOCKS = {
    "p", "div", "br", "li", "ul", "ol", "h1", "h2", "h3", "h4", "h5", "h6", "blockquote",
    "article", "section", "header", "footer", "tr", "table", "figure", "figcaption", "hr",
}  # fmt: skip
_SKIPPED = {"script", "style", "noscript", "template", "svg", "nav"}
_DATE_META = {
    "article:published_time", "og:article:published_time", "datepublished", "date",
    "pubdate", "publishdate", "dc.date", "dc.date.issued", "sailthru.date", "parsely-pub-date",
}  # fmt: skip


def looks_like_html(text: str) -> bool:
    return bool(_LOOKS_HTML.search(text[:4096]))


@dataclass
class HtmlText:
    text: str
    title: str | None = None
    published: str | None = None  # as the header gives it, to be read by the caller


class _Collector(HTMLParser):
    """Keeps the visible text with a line break per block, and the header's title and date."""

    def __init__(self) -> None:
        super().__init__(convert_charrefs=True)
        self.parts: list[str] = []
        self.skipping = 0
        self.in_title = False
        self.title: list[str] = []
        self.published: str | None = None

    def handle_starttag(self, tag, attrs):
        values = {key.lower(): (value or "") for key, value in attrs}
        if tag in _SKIPPED:
            self.skipping += 1
        elif tag == "title":
            self.in_title = True
        elif tag == "meta":
            key = (values.get("property") or values.get("name") or values.get("itemprop")).lower()
            if key in _DATE_META and values.get("content") and not self.published:
                self.published = values["content"].strip()
        elif tag == "time" and values.get("datetime") and not self.published:
            self.published = values["datetime"].strip()
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_endtag(self, tag):
        if tag in _SKIPPED:
            self.skipping = max(0, self.skipping - 1)
        elif tag == "title":
            self.in_title = False
        if tag in _BLOCKS:
            self.parts.append("\n")

    def handle_data(self, data):
        if self.in_title:
            self.title.append(data)
        elif not self.skipping:
            self.parts.append(data)


def html_to_text(markup: str) -> HtmlText:
    collector = _Collector()
    try:
        collector.feed(markup)
        collector.close()
    except (AssertionError, ValueError):  # the parser gives up on some broken markup
        return HtmlText(html.unescape(re.sub(r"<[^>]*>", " ", markup)))
    text = "".join(collector.parts).replace("\xa0", " ")
    lines = (" ".join(line.split()) for line in text.split("\n"))
    text = re.sub(r"\n{3,}", "\n\n", "\n".join(lines)).strip()
    title = " ".join("".join(collector.title).split()) or None
    return HtmlText(text, title, collector.published)
