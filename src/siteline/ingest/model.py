"""What every ingest adapter returns: plain values, read from one input, touching no case.

Adapters read one kind of input each (an article, a platform's export, a dataset) and give
back these objects; the ingest services decide what becomes evidence in a case. Every value
keeps where it came from (`where`: the file and line, or the file and record number), so
that a problem, or a question about an item, leads back to the exact place in the input.
"""

from __future__ import annotations

from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from siteline.domain.values import FuzzyTime, Location


@dataclass(frozen=True)
class RowProblem:
    """One record of an input that could not be read; the rest of the input still is."""

    file: str
    line: int | None  # 1-based line (CSV, JSON lines, text) or record number (JSON arrays)
    message: str

    def __str__(self) -> str:
        where = f"{self.file}:{self.line}" if self.line is not None else self.file
        return f"{where}: {self.message}"


@dataclass
class Media:
    """A picture or video attached to a post: a file beside the export, or only a URL."""

    path: Path | None = None  # the local file, when the export carries it
    url: str | None = None  # where the platform served it
    media_type: str | None = None
    kind: str | None = None  # photo, video, animated_gif, document, ...


@dataclass
class Post:
    """A social post, from a platform's export or embedded in an article."""

    platform: str  # twitter, telegram, youtube, facebook, ...
    text: str
    post_id: str | None = None  # the platform's own id, when known
    handle: str | None = None  # without the @
    display_name: str | None = None
    published: FuzzyTime | None = None
    url: str | None = None
    links: list[str] = field(default_factory=list)  # t.co, pic.twitter.com and other URLs
    hashtags: list[str] = field(default_factory=list)  # without the #
    mentions: list[str] = field(default_factory=list)  # handles, without the @
    media: list[Media] = field(default_factory=list)
    reply_to: str | None = None  # platform ids of related posts
    repost_of: str | None = None
    quote_of: str | None = None
    language: str | None = None
    native: dict[str, Any] | None = None  # the record as the platform gave it (JSON values)
    where: str | None = None  # file:line or file#record
    form: str | None = None  # for posts found in articles: which of the embedded forms


@dataclass
class FoundDate:
    """A date named in a text, resolved against the text's own date where it is relative."""

    text: str  # as written: "Monday", "Sept. 24", "In December"
    value: FuzzyTime
    start: int  # character offsets in the text searched
    end: int
    relative: bool = False  # resolved against the article's date


@dataclass
class PlaceEntry:
    """A place a text may name: a case's site, or an entry of a gazetteer."""

    name: str
    origin: str  # "site", "gazetteer" (imported into the case), "world" (offline, built in)
    aliases: list[str] = field(default_factory=list)  # other names and spellings, any script
    location: Location | None = None
    site_id: int | None = None
    gazetteer_id: str | None = None  # the gazetteer's own id for the entry
    kind: str | None = None  # the gazetteer's class: governorate, city, neighbourhood, ...
    parent: str | None = None  # the larger place it lies in, by name


@dataclass
class FoundPlace:
    """A place named in a text: one of the case's sites, or a gazetteer entry."""

    text: str  # as written
    name: str  # the site's or gazetteer entry's own name
    origin: str  # "site", "gazetteer" (imported), "world" (the offline world gazetteer)
    start: int
    end: int
    site_id: int | None = None
    location: Location | None = None
    gazetteer_id: str | None = None


@dataclass
class Statement:
    """Quoted speech: who said it, what, and when; a candidate claim."""

    speaker: str
    quote: str
    date: FuzzyTime | None = None
    context: str | None = None  # the sentence it was found in
    start: int = 0
    end: int = 0


@dataclass
class Figure:
    """A count the text states: '73 attacks on health in last 6 months'."""

    text: str  # the phrase as written
    value: int
    what: str  # "attacks on health"
    period: str | None = None  # "last 6 months"
    start: int = 0
    end: int = 0


@dataclass
class CandidateIncident:
    """What a dataset row says happened, for a person to confirm as an incident."""

    window_start: FuzzyTime | None
    window_end: FuzzyTime | None = None
    type: str | None = None  # an IncidentType value where one fits
    weapon: str | None = None
    perpetrator: str | None = None
    killed_low: int | None = None  # counts are often ranges: "3-5" gives 3 and 5
    killed_high: int | None = None
    injured_low: int | None = None
    injured_high: int | None = None
    certainty: str | None = None  # a Certainty value, normalised from the native grade
    native_certainty: str | None = None  # the dataset's own grade, as written
    place_name: str | None = None
    location: Location | None = None
    facility: str | None = None  # the attacked place as the dataset names it (a hospital…)
    title: str | None = None
    description: str | None = None


@dataclass
class DatasetRow:
    """One row of a conflict dataset, with every native column kept as written."""

    dataset: str  # who_ssa, airwars, acled, syrian_archive
    row_id: str  # the dataset's own id for the row
    line: int  # where it is in its file
    native: dict[str, Any]  # every column, as written (text), in the file's order
    title: str
    text: str | None = None
    published: FuzzyTime | None = None  # when the dataset says the row was made or updated
    incident: CandidateIncident | None = None
    source_url: str | None = None


@dataclass
class ParseResult:
    """What an adapter read from one input: the good records, and each bad one named."""

    records: list[Any] = field(default_factory=list)
    problems: list[RowProblem] = field(default_factory=list)
    # Records passed over on purpose, by reason ("service message", "duplicate"): not
    # problems, but counted so that nobody wonders where they went.
    skipped: dict[str, int] = field(default_factory=dict)


def collected(stream: Iterable[Any]) -> ParseResult:
    """A streaming reader's rows and problems (RowProblem), gathered into one result."""
    result = ParseResult()
    for found in stream:
        (result.problems if type(found) is RowProblem else result.records).append(found)
    return result
