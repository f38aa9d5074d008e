"""The article extractor: from an article's bytes to its posts, body, dates, places, quotes
and counts. Pure: it reads nothing but its arguments and touches no case.

Order matters. Posts are taken out first (their signatures look like boilerplate and their
dates are not the article's), then boilerplate; what remains is the body. Dates, places,
statements and figures are then found in the body and in each post's text, which together
make the `text` every offset refers to: the body, then each post's text in its own paragraph.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from siteline.domain.values import FuzzyTime
from siteline.ingest.articles.boilerplate import strip_boilerplate
from siteline.ingest.articles.dates import date_from_header, date_from_text, find_dates
from siteline.ingest.articles.figures import find_figures
from siteline.ingest.articles.places import PlaceIndex
from siteline.ingest.articles.posts import find_posts
from siteline.ingest.articles.statements import find_statements
from siteline.ingest.articles.text import decode, html_to_text, looks_like_html
from siteline.ingest.model import Figure, FoundDate, FoundPlace, Post, Statement

_SEPARATOR = "\n\n"


@dataclass
class ArticleExtraction:
    body: str
    text: str  # the body, then each post's text: what the offsets below refer to
    encoding: str
    posts: list[Post] = field(default_factory=list)
    post_offsets: list[int] = field(default_factory=list)  # where each post's text starts in `text`
    boilerplate: list[str] = field(default_factory=list)
    article_date: FuzzyTime | None = None
    article_date_source: str | None = None  # argument, html, text
    title: str | None = None
    dates: list[FoundDate] = field(default_factory=list)
    places: list[FoundPlace] = field(default_factory=list)
    statements: list[Statement] = field(default_factory=list)
    figures: list[Figure] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)

    def found_in(self, offset: int) -> str:
        """'body', or 'post N' (1-based) for an offset into `text`."""
        where = "body"
        for number, start in enumerate(self.post_offsets, 1):
            if offset >= start:
                where = f"post {number}"
        return where

    def to_json(self) -> dict:
        return {
            "title": self.title,
            "article_date": _day(self.article_date),
            "article_date_source": self.article_date_source,
            "encoding": self.encoding,
            "notes": self.notes,
            "posts": [_post(post) for post in self.posts],
            "body": self.body,
            "boilerplate": self.boilerplate,
            "dates": [
                {
                    "text": d.text,
                    "value": str(d.value),
                    "precision": str(d.value.precision),
                    "relative": d.relative,
                    "in": self.found_in(d.start),
                    "start": d.start,
                    "end": d.end,
                }
                for d in self.dates
            ],
            "places": [
                {
                    "text": p.text,
                    "name": p.name,
                    "origin": p.origin,
                    "site_id": p.site_id,
                    "gazetteer_id": p.gazetteer_id,
                    "location": f"{p.location.lat},{p.location.lon}" if p.location else None,
                    "in": self.found_in(p.start),
                    "start": p.start,
                    "end": p.end,
                }
                for p in self.places
            ],
            "statements": [
                {
                    "speaker": s.speaker,
                    "quote": s.quote,
                    "date": _day(s.date),
                    "context": s.context,
                    "in": self.found_in(s.start),
                }
                for s in self.statements
            ],
            "figures": [
                {
                    "text": f.text,
                    "value": f.value,
                    "what": f.what,
                    "period": f.period,
                    "in": self.found_in(f.start),
                }
                for f in self.figures
            ],
        }


def _day(value: FuzzyTime | None) -> str | None:
    return str(value) if value is not None else None


def _post(post: Post) -> dict:
    return {
        "handle": post.handle,
        "display_name": post.display_name,
        "date": _day(post.published),
        "precision": str(post.published.precision) if post.published else None,
        "text": post.text,
        "links": post.links,
        "hashtags": post.hashtags,
        "mentions": post.mentions,
        "form": post.form,
        "platform": post.platform,
    }


def extract_article(
    data: bytes | str,
    *,
    article_date: FuzzyTime | None = None,
    places: PlaceIndex | None = None,
    source_name: str | None = None,
) -> ArticleExtraction:
    """Everything an article carries; raises InvalidInput (naming `source_name`) for input
    that is not an article's text at all."""
    decoded = decode(data, source_name or "article")
    text, title, header_date = decoded.text, None, None
    if looks_like_html(text):
        page = html_to_text(text)
        text, title = page.text, page.title
        header_date = date_from_header(page.published) if page.published else None
    found = find_posts(text)
    body = _without(text, [(f.start, f.end) for f in found])
    body, removed = strip_boilerplate(body)
    date, source = _article_date(article_date, header_date, body)
    result = ArticleExtraction(
        body=body,
        text=body,
        encoding=decoded.encoding,
        posts=[f.post for f in found],
        boilerplate=removed,
        article_date=date,
        article_date_source=source,
        title=title,
        notes=decoded.notes,
    )
    _analyse(result, places)
    return result


def _without(text: str, spans: list[tuple[int, int]]) -> str:
    """The text with the spans cut out; a glued next sentence gets its own line."""
    parts, position = [], 0
    for start, end in sorted(spans):
        parts.append(text[position:start])
        parts.append("\n")
        position = max(position, end)
    parts.append(text[position:])
    lines = ("".join(parts)).split("\n")
    return "\n".join(line.strip() for line in lines if line.strip())


def _article_date(given, header, body):
    if given is not None:
        return given, "argument"
    if header is not None:
        return header, "html"
    from_text = date_from_text(body)
    return (from_text, "text") if from_text else (None, None)


def _analyse(result: ArticleExtraction, places: PlaceIndex | None) -> None:
    pieces = [result.body]
    offset = len(result.body)
    for post in result.posts:
        offset += len(_SEPARATOR)
        result.post_offsets.append(offset)
        pieces.append(post.text)
        offset += len(post.text)
    text = _SEPARATOR.join(pieces)
    result.text = text
    result.dates = find_dates(text, result.article_date)
    result.places = places.find(text) if places is not None else []
    result.statements = find_statements(text, result.dates)
    result.figures = find_figures(text)
