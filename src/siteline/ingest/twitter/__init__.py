"""Tweets from the files people hold: Twitter/X API v1.1 and v2 JSON, and twarc's JSON lines.

Accepted: a v1.1 tweet, an array of them, or a search response ('statuses'); a v2
response ('data', 'includes', 'meta'), or an array of responses; JSON lines of v1.1 tweets
(twarc1), of v2 response pages (twarc2) or of flattened v2 tweets (`twarc2 flatten`).
Which one a file is, is found from its contents, not its name. See docs/exports.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from siteline.errors import InvalidInput
from siteline.ingest.jsonfields import RecordError
from siteline.ingest.jsonio import Record, detect_form, read_records
from siteline.ingest.model import ParseResult, Post, RowProblem
from siteline.ingest.twitter.v1 import is_v1_tweet, v1_posts
from siteline.ingest.twitter.v2 import (
    is_empty_page,
    is_v2_page,
    is_v2_tweet,
    v2_page_posts,
    v2_tweet_posts,
)

__all__ = ["detect_twitter_form", "parse_twitter"]

# What the v1.1 streaming API (and so twarc1) interleaves with tweets.
_STREAM_NOTICES = {
    "delete", "limit", "scrub_geo", "status_withheld", "user_withheld", "disconnect", "warning",
}  # fmt: skip


def parse_twitter(path: Path) -> ParseResult:
    """Every tweet in the file, each once (by id); each bad line or record as a problem.

    InvalidInput when the file is not JSON, or when none of its records is a tweet or a
    page of tweets (another platform's export, say).
    """
    path = Path(path)
    result, seen, recognised, strangers = ParseResult(), set(), 0, []
    for record in read_records(path):
        if isinstance(record, RowProblem):
            result.problems.append(record)
            continue
        try:
            found = list(_tweets_in(record, result))
        except RecordError as error:
            strangers.append(RowProblem(str(path), record.number, str(error)))
            continue
        recognised += 1
        for item in found:
            if isinstance(item, str):
                result.problems.append(RowProblem(str(path), record.number, item))
            elif item.post_id in seen:
                _skip(result, "duplicate tweet")
            else:
                seen.add(item.post_id)
                result.records.append(item)
    if strangers and not recognised:
        raise InvalidInput(str(path), f"not a Twitter export: {strangers[0]}")
    result.problems = sorted(result.problems + strangers, key=lambda problem: problem.line or 0)
    return result


def detect_twitter_form(path: Path) -> str:
    """'v1.1', 'v2', 'twarc1' or 'twarc2', from the first record that is a tweet or a page."""
    path = Path(path)
    lines = detect_form(path) == "lines"
    for record in read_records(path):
        kind = _kind(record.value) if isinstance(record, Record) else None
        if kind:
            return {"v1.1": "twarc1", "v2": "twarc2"}[kind] if lines else kind
    raise InvalidInput(str(path), "not a Twitter export: no tweet or page of tweets in it")


def _kind(value: Any) -> str | None:
    if is_v1_tweet(value) or (isinstance(value, dict) and isinstance(value.get("statuses"), list)):
        return "v1.1"
    if is_v2_page(value) or is_v2_tweet(value):
        return "v2"
    return None


def _tweets_in(record: Record, result: ParseResult) -> Iterator[Post | str]:
    value, where = record.value, record.where
    if isinstance(value, dict) and isinstance(value.get("statuses"), list):  # a search response
        for number, tweet in enumerate(value["statuses"], start=1):
            if is_v1_tweet(tweet):
                yield from v1_posts(tweet, where, f"status {number}")
            else:
                yield f"statuses item {number} is not a tweet object"
    elif is_v1_tweet(value):
        yield from v1_posts(value, where)
    elif is_v2_page(value):
        yield from v2_page_posts(value, where)
    elif is_v2_tweet(value):
        yield from v2_tweet_posts(value, where)
    elif is_empty_page(value):
        _skip(result, "page without tweets")
    elif isinstance(value, dict) and _STREAM_NOTICES & value.keys():
        _skip(result, "stream notice")
    else:
        raise RecordError(f"not a tweet or a page of tweets ({_describe(value)})")


def _describe(value: Any) -> str:
    if isinstance(value, dict):
        keys = ", ".join(repr(key) for key in list(value)[:5])
        return f"an object with keys {keys}" if keys else "an empty object"
    names = {list: "an array", str: "a string", bool: "true or false", type(None): "null"}
    return names.get(type(value), "a number")


def _skip(result: ParseResult, reason: str) -> None:
    result.skipped[reason] = result.skipped.get(reason, 0) + 1
