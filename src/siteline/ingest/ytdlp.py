"""What yt-dlp wrote about what it downloaded: `.info.json` files, and `yt-dlp -j` output.

One video's info.json, a playlist's (its `entries`), or JSON lines of info dicts (what
`--dump-json` prints). The downloaded file is looked for only beside the info.json, by
its base name: the `_filename` yt-dlp recorded is a path on the machine that downloaded
it, and may point anywhere. See docs/exports.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from siteline.domain.values import FuzzyTime
from siteline.errors import InvalidInput
from siteline.ingest.jsonfields import (
    RecordError,
    an_id,
    dicts,
    media_type_of,
    required_id,
    text,
    unix_time,
)
from siteline.ingest.jsonio import read_records
from siteline.ingest.model import Media, ParseResult, Post, RowProblem
from siteline.ingest.safepaths import inside_folder, is_regular_file

__all__ = ["DROPPED_FIELDS", "parse_ytdlp"]

# Long lists of what could have been downloaded, not of what was: megabytes of URLs that
# expire within hours. The rest of the info dict is kept as `native`.
DROPPED_FIELDS = (
    "formats",
    "thumbnails",
    "requested_formats",
    "requested_downloads",
    "automatic_captions",
    "subtitles",
    "heatmap",
)
_MAX_DEPTH = 4  # playlists of playlists (a channel's tabs) are real; deeper is hostile


def parse_ytdlp(path: Path) -> ParseResult:
    """A Post for each video described in the file; each unreadable entry as a problem."""
    path = Path(path)
    result, recognised, strangers = ParseResult(), 0, []
    for record in read_records(path):
        if isinstance(record, RowProblem):
            result.problems.append(record)
            continue
        if not _is_info(record.value):
            strangers.append(RowProblem(str(path), record.number, "not a yt-dlp info dict"))
            continue
        recognised += 1
        for item in _videos(record.value, path, record.where, 0):
            if isinstance(item, Post):
                result.records.append(item)
            elif item is None:
                result.skipped["unavailable entry"] = result.skipped.get("unavailable entry", 0) + 1
            else:
                result.problems.append(RowProblem(str(path), record.number, item))
    if strangers and not recognised:  # another tool's JSON, not one bad line of ours
        raise InvalidInput(str(path), f"not a yt-dlp info.json: {strangers[0]}")
    result.problems = sorted(result.problems + strangers, key=lambda problem: problem.line or 0)
    return result


def _is_info(value: Any) -> bool:
    return isinstance(value, dict) and any(
        key in value for key in ("extractor", "extractor_key", "webpage_url", "entries", "_type")
    )


def _videos(info: dict, path: Path, where: str, depth: int) -> Iterator[Post | str | None]:
    """The videos of an info dict: itself, or its entries; None for an unavailable entry."""
    entries = info.get("entries")
    if not isinstance(entries, list):
        try:
            yield video_post(info, path, where, own_file=depth == 0)
        except RecordError as error:
            yield str(error)
        return
    if depth >= _MAX_DEPTH:
        yield f"playlists nested more than {_MAX_DEPTH} deep; not read"
        return
    for number, entry in enumerate(entries, start=1):
        if entry is None:  # yt-dlp writes null for a private or removed video
            yield None
        elif isinstance(entry, dict):
            for item in _videos(entry, path, f"{where}/entries/{number}", depth + 1):
                yield f"entry {number}: {item}" if isinstance(item, str) else item
        else:
            yield f"entry {number} is not an info dict"


def video_post(info: dict, path: Path, where: str, own_file: bool = True) -> Post:
    """One video's info dict as a Post; `own_file`: the info.json is this video's own."""
    post_id = required_id(info.get("id"), "video")
    url = text(info.get("webpage_url")) or text(info.get("original_url"))
    return Post(
        platform=platform_of(info),
        post_id=post_id,
        handle=_handle(info),
        display_name=text(info.get("uploader")) or text(info.get("channel")),
        published=published(info),
        text="\n\n".join(
            part for part in (text(info.get("title")), text(info.get("description"))) if part
        ),
        url=url,
        media=[_media(info, path, url, own_file)],
        language=text(info.get("language")),
        native={key: value for key, value in info.items() if key not in DROPPED_FIELDS},
        where=where,
    )


def platform_of(info: dict) -> str:
    """'youtube', 'twitter', 'tiktok'…: the extractor's name without its sub-extractor."""
    name = text(info.get("extractor_key")) or text(info.get("extractor")) or "unknown"
    return name.split(":")[0].strip().lower()


def _handle(info: dict) -> str | None:
    handle = an_id(info.get("uploader_id")) or an_id(info.get("channel_id"))
    return handle.removeprefix("@") if handle else None  # YouTube's ids are '@Name' now


def published(info: dict) -> FuzzyTime | None:
    """`timestamp` to the second; else `upload_date` (YYYYMMDD) to the day."""
    if info.get("timestamp") is not None:
        return unix_time(info["timestamp"], "timestamp")
    day = info.get("upload_date")
    if day is None:
        return None
    if not (isinstance(day, str) and len(day) == 8 and day.isdigit()):
        raise RecordError(f"upload_date {day!r} is not a date (YYYYMMDD)")
    try:
        return FuzzyTime.parse(f"{day[:4]}-{day[4:6]}-{day[6:]}", "upload_date")
    except InvalidInput as error:
        raise RecordError(f"upload_date {error.problem}") from None


def _media(info: dict, path: Path, url: str | None, own_file: bool) -> Media:
    kind = "audio" if info.get("vcodec") == "none" else "video"
    downloaded = downloaded_file(info, path, own_file)
    if downloaded:
        return Media(path=downloaded, kind=kind, media_type=media_type_of(downloaded.name))
    direct = text(info.get("url"))  # a direct address, when one format was chosen
    if not (direct and direct.lower().startswith(("https://", "http://"))):
        direct = url
    ext = text(info.get("ext"))
    return Media(url=direct, kind=kind, media_type=media_type_of(f"x.{ext}") if ext else None)


def downloaded_file(info: dict, path: Path, own_file: bool = True) -> Path | None:
    """The video file beside the info.json: by the recorded name, or the same stem + ext.

    Only base names are used, and a link leading out of the folder is refused, so nothing
    outside the info.json's folder is ever named.
    """
    folder = path.parent
    names = [text(info.get("_filename")), text(info.get("filename"))]
    names += [item.get("filepath") for item in dicts(info.get("requested_downloads"))]
    stem = path.name.removesuffix(".json").removesuffix(".info")
    if own_file and text(info.get("ext")) and stem != path.name:
        names.append(f"{stem}.{info['ext']}")
    for name in names:
        if not isinstance(name, str):
            continue
        candidate = inside_folder(folder, name.replace("\\", "/").rsplit("/", 1)[-1])
        if candidate and is_regular_file(candidate):
            return candidate
    return None
