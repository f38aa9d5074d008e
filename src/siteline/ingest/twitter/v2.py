"""Twitter API v2: response pages ('data' with 'includes' and 'meta', as the API and twarc2
write them) and the flattened tweets of `twarc2 flatten` (author and media inside)."""

from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass, field
from typing import Any

from siteline.ingest.jsonfields import (
    RecordError,
    an_id,
    as_dict,
    dicts,
    iso_time,
    required_id,
    text,
    unique,
)
from siteline.ingest.model import Media, Post
from siteline.ingest.twitter.common import language, media_of, tweet_url

_REFERENCE = {"replied_to": "reply_to", "retweeted": "repost_of", "quoted": "quote_of"}


@dataclass
class Includes:
    """A page's expansions: users by id, media by key, and the tweets it refers to."""

    users: dict[str, dict] = field(default_factory=dict)
    media: dict[str, dict] = field(default_factory=dict)
    tweets: list[dict] = field(default_factory=list)


def is_v2_page(value: Any) -> bool:
    return isinstance(value, dict) and isinstance(value.get("data"), list | dict)


def is_v2_tweet(value: Any) -> bool:
    """A bare v2 tweet (flattened by twarc2): an id and text, without v1.1's 'user'."""
    return (
        isinstance(value, dict)
        and "id" in value
        and "text" in value
        and "user" not in value
        and "id_str" not in value
    )


def is_empty_page(value: Any) -> bool:
    """A page without tweets: no results ('meta' alone) or only 'errors'."""
    return (
        isinstance(value, dict) and "data" not in value and ("meta" in value or "errors" in value)
    )


def v2_page_posts(page: dict, where: str) -> Iterator[Post | str]:
    """Every tweet of a page, then those it includes (retweeted, quoted, replied to)."""
    includes = _includes(as_dict(page.get("includes")))
    data = page["data"]
    items = [data] if isinstance(data, dict) else data
    for number, tweet in enumerate(items, start=1):
        if not isinstance(tweet, dict):
            yield f"data item {number} is not a tweet object"
            continue
        yield from _posts(tweet, includes, where, f"tweet {number}")
    for tweet in includes.tweets:
        yield from _posts(tweet, includes, where, "included tweet")


def v2_tweet_posts(tweet: dict, where: str) -> Iterator[Post | str]:
    """A flattened tweet, then the referenced tweets twarc2 put inside it."""
    yield from _posts(tweet, Includes(), where, "tweet")
    for referenced in dicts(tweet.get("referenced_tweets")):
        if "text" in referenced:
            yield from _posts(referenced, Includes(), where, "referenced tweet")


def _posts(tweet: dict, includes: Includes, where: str, what: str) -> Iterator[Post | str]:
    try:
        yield v2_post(tweet, includes, where, what)
    except RecordError as error:
        yield str(error)


def v2_post(tweet: dict, includes: Includes, where: str, what: str = "tweet") -> Post:
    post_id = required_id(tweet.get("id"), what)
    author = as_dict(tweet.get("author")) or includes.users.get(an_id(tweet.get("author_id")), {})
    handle = text(author.get("username"))
    note = as_dict(tweet.get("note_tweet"))  # the whole text of a tweet over 280 characters
    entities = as_dict(note.get("entities")) if text(note.get("text")) else {}
    entities = entities or as_dict(tweet.get("entities"))
    body = text(note.get("text")) or tweet.get("text")
    references = _references(tweet)
    return Post(
        platform="twitter",
        post_id=post_id,
        handle=handle,
        display_name=text(author.get("name")),
        published=iso_time(tweet.get("created_at"), f"{what}'s created_at"),
        text=body if isinstance(body, str) else "",
        url=tweet_url(handle, post_id),
        links=unique(
            link
            for item in dicts(entities.get("urls"))
            for link in (text(item.get("expanded_url")), text(item.get("url")))
        ),
        hashtags=unique(text(tag.get("tag")) for tag in dicts(entities.get("hashtags"))),
        mentions=unique(text(who.get("username")) for who in dicts(entities.get("mentions"))),
        media=_media(as_dict(tweet.get("attachments")), includes),
        reply_to=references.get("reply_to"),
        repost_of=references.get("repost_of"),
        quote_of=references.get("quote_of"),
        language=language(tweet.get("lang")),
        native=tweet,
        where=where,
    )


def _includes(raw: dict) -> Includes:
    users = {an_id(user.get("id")): user for user in dicts(raw.get("users"))}
    media = {an_id(item.get("media_key")): item for item in dicts(raw.get("media"))}
    users.pop(None, None)
    media.pop(None, None)
    return Includes(users, media, dicts(raw.get("tweets")))


def _references(tweet: dict) -> dict[str, str]:
    found: dict[str, str] = {}
    for reference in dicts(tweet.get("referenced_tweets")):
        role = (
            _REFERENCE.get(reference.get("type"))
            if isinstance(reference.get("type"), str)
            else None
        )
        reference_id = an_id(reference.get("id"))
        if role and reference_id:
            found.setdefault(role, reference_id)
    return found


def _media(attachments: dict, includes: Includes) -> list[Media]:
    keys = attachments.get("media_keys")
    items = [includes.media.get(an_id(key)) for key in keys] if isinstance(keys, list) else []
    items += dicts(attachments.get("media"))  # flattened: the media objects themselves
    found = (media_of(item, ("url", "preview_image_url")) for item in items if item)
    return [item for item in found if item]
