"""Twitter API v1.1 tweet objects: the REST API, search responses, twarc1's JSON lines."""

from __future__ import annotations

import re
from collections.abc import Iterator
from datetime import UTC, datetime, timedelta
from typing import Any

from siteline.domain.values import FuzzyTime, TimePrecision
from siteline.ingest.jsonfields import RecordError, an_id, as_dict, dicts, required_id, text, unique
from siteline.ingest.model import Post
from siteline.ingest.twitter.common import language, media_of, tweet_url

# "Wed Oct 10 20:19:24 +0000 2018", always in English whatever the reader's locale, so it
# is read by hand rather than with strptime's locale-dependent %a and %b.
_CREATED = re.compile(
    r"^[A-Z][a-z]{2} ([A-Z][a-z]{2}) (\d{2}) (\d{2}):(\d{2}):(\d{2}) ([+-])(\d{2})(\d{2}) (\d{4})$"
)
_MONTHS = ["Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec"]
_EMBEDDED = (("retweeted_status", "the retweeted tweet"), ("quoted_status", "the quoted tweet"))


def is_v1_tweet(value: Any) -> bool:
    return isinstance(value, dict) and ("id_str" in value or isinstance(value.get("user"), dict))


def v1_posts(tweet: dict, where: str, what: str = "tweet", depth: int = 0) -> Iterator[Post | str]:
    """The tweet, then the retweeted and quoted tweets it carries; a str is a problem."""
    try:
        yield v1_post(tweet, where, what)
    except RecordError as error:
        yield str(error)
    if depth < 3:  # a quote inside a retweet is common; deeper is hostile
        outer = an_id(tweet.get("id_str")) or an_id(tweet.get("id")) or f"({what})"
        for key, role in _EMBEDDED:
            inner = tweet.get(key)
            if isinstance(inner, dict):
                yield from v1_posts(inner, where, f"{role} in {outer}", depth + 1)


def v1_post(tweet: dict, where: str, what: str = "tweet") -> Post:
    post_id = required_id(an_id(tweet.get("id_str")) or tweet.get("id"), what)
    user = as_dict(tweet.get("user"))
    handle = text(user.get("screen_name"))
    extended = as_dict(tweet.get("extended_tweet"))  # streamed tweets over 140 characters
    entities = as_dict(extended.get("entities")) or as_dict(tweet.get("entities"))
    rich = as_dict(extended.get("extended_entities")) or as_dict(tweet.get("extended_entities"))
    return Post(
        platform="twitter",
        post_id=post_id,
        handle=handle,
        display_name=text(user.get("name")),
        published=created_at(tweet.get("created_at"), what),
        text=_full_text(tweet, extended),
        url=tweet_url(handle, post_id),
        links=_links(entities, rich),
        hashtags=unique(text(tag.get("text")) for tag in dicts(entities.get("hashtags"))),
        mentions=unique(
            text(who.get("screen_name")) for who in dicts(entities.get("user_mentions"))
        ),
        media=_media(rich or entities),
        reply_to=an_id(tweet.get("in_reply_to_status_id_str"))
        or an_id(tweet.get("in_reply_to_status_id")),
        repost_of=an_id(as_dict(tweet.get("retweeted_status")).get("id_str")),
        quote_of=an_id(
            tweet.get("quoted_status_id_str") or as_dict(tweet.get("quoted_status")).get("id_str")
        ),
        language=language(tweet.get("lang")),
        native=tweet,
        where=where,
    )


def created_at(value: Any, what: str = "tweet") -> FuzzyTime | None:
    if value is None:
        return None
    match = _CREATED.match(value) if isinstance(value, str) else None
    if not match or match.group(1) not in _MONTHS:
        raise RecordError(f"{what}'s created_at {value!r} is not a Twitter time")
    month, day, hour, minute, second, sign, off_h, off_m, year = match.groups()
    offset = timedelta(hours=int(off_h), minutes=int(off_m)) * (1 if sign == "+" else -1)
    try:
        local = datetime(int(year), _MONTHS.index(month) + 1, int(day), int(hour), int(minute))
        moment = local + timedelta(seconds=int(second)) - offset  # may leave year 1..9999
    except (ValueError, OverflowError) as error:
        raise RecordError(f"{what}'s created_at {value!r} is not a real time ({error})") from None
    return FuzzyTime(moment.replace(tzinfo=UTC), TimePrecision.SECOND)


def _full_text(tweet: dict, extended: dict) -> str:
    # A 'truncated' tweet's 'text' ends in '…'; the whole text is in extended_tweet (from
    # the streaming API) or full_text (tweet_mode=extended). A truncated one stays as it is.
    for candidate in (extended.get("full_text"), tweet.get("full_text"), tweet.get("text")):
        if isinstance(candidate, str):
            return candidate
    return ""


def _links(entities: dict, rich: dict) -> list[str]:
    found = []
    media = dicts(rich.get("media")) or dicts(entities.get("media"))
    for item in dicts(entities.get("urls")) + media:
        found += [text(item.get("expanded_url")), text(item.get("url"))]  # then the t.co form
    return unique(found)


def _media(entities: dict) -> list:
    items = (
        media_of(item, ("media_url_https", "media_url")) for item in dicts(entities.get("media"))
    )
    return [item for item in items if item]
