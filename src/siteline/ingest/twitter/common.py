"""What tweets of every API version share: their address, their media's best file."""

from __future__ import annotations

import re
from typing import Any

from siteline.ingest.jsonfields import as_dict, dicts, media_type_of, text
from siteline.ingest.model import Media

# Twitter handles are letters, digits and underscores; anything else in a hostile export
# must not be spliced into an address.
_HANDLE = re.compile(r"^[A-Za-z0-9_]{1,50}$")


def tweet_url(handle: str | None, post_id: str) -> str | None:
    """The tweet's address on twitter.com; /i/web/ serves it when the handle is unknown."""
    if not post_id.isdigit():
        return None
    if handle and _HANDLE.match(handle):
        return f"https://twitter.com/{handle}/status/{post_id}"
    return f"https://twitter.com/i/web/status/{post_id}"


def web_url(value: Any) -> str | None:
    """Only http(s) addresses: a media URL may one day be fetched, so no file: or data:."""
    found = text(value)
    if found and found.lower().startswith(("https://", "http://")):
        return found.strip()
    return None


def best_video(variants: Any) -> tuple[str, str] | None:
    """The highest-bitrate MP4 of a video's variants (v1.1 'bitrate', v2 'bit_rate')."""
    best: tuple[float, str, str] | None = None
    for variant in dicts(variants):
        url, kind = web_url(variant.get("url")), text(variant.get("content_type"))
        rate = variant.get("bitrate", variant.get("bit_rate", 0))
        if not url or kind != "video/mp4" or not isinstance(rate, int | float):
            continue
        if best is None or rate > best[0]:
            best = (rate, url, kind)
    return (best[1], best[2]) if best else None


def media_of(item: dict, still_keys: tuple[str, ...]) -> Media | None:
    """A Media for a photo, video or GIF: the video file when there is one, else the still."""
    video = best_video(item.get("variants") or as_dict(item.get("video_info")).get("variants"))
    if video:
        return Media(url=video[0], media_type=video[1], kind=text(item.get("type")))
    for key in still_keys:
        url = web_url(item.get(key))
        if url:
            return Media(url=url, media_type=media_type_of(url), kind=text(item.get("type")))
    return None


def language(value: Any) -> str | None:
    """The tweet's language code; 'und' (undetermined) says nothing."""
    found = text(value)
    return None if found in (None, "und") else found
