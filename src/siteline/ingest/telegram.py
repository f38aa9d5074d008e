"""Telegram Desktop exports (Settings › Export, or a chat's 'Export chat history', as JSON).

The export is a folder: `result.json` and the media beside it (photos/, video_files/,
files/, voice_messages/…), named in result.json by relative path. Both forms are read: one
chat (`name`, `type`, `id`, `messages`) and a whole account (`chats.list[]`, and
`left_chats.list[]`). Media paths come from the file, which may be hostile: a path that
leaves the export folder (absolute, `..`, or a link pointing out) is refused and never
opened. See docs/exports.md.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

from siteline.errors import InvalidInput
from siteline.ingest.jsonfields import (
    RecordError,
    an_id,
    as_dict,
    dicts,
    iso_time,
    media_type_of,
    required_id,
    text,
    unique,
    unix_time,
)
from siteline.ingest.jsonio import read_document
from siteline.ingest.model import Media, ParseResult, Post, RowProblem
from siteline.ingest.safepaths import inside_folder, is_regular_file

__all__ = ["parse_telegram"]

# A file the person chose not to download reads "(File not included. Change data
# exporting settings to download.)" in place of a path.
_NOT_INCLUDED = "(File "
_KINDS = {
    "video_file": "video",
    "video_message": "video",
    "animation": "animated_gif",
    "voice_message": "audio",
    "audio_file": "audio",
    "sticker": "sticker",
}
# `date` is the exporting computer's local time, with no zone; only `date_unixtime`
# (exports since 2022) fixes the instant. An old export's date is read as UTC and says so.
LOCAL_DATE_NOTE = "date has no time zone (the exporting computer's local time); read as UTC"


def parse_telegram(path: Path) -> ParseResult:
    """Every message of every chat in the export; service messages are counted, not read."""
    root, result_json = _locate(Path(path))
    document = read_document(result_json)
    result, number = ParseResult(), 0
    for chat in _chats(document, result_json):
        chat_id = an_id(chat.get("id"))
        messages = chat.get("messages")
        if chat_id is None or not isinstance(messages, list):
            what = "no id" if chat_id is None else "no list of messages"
            result.problems.append(
                RowProblem(str(result_json), None, f"{_chat_name(chat)} has {what}")
            )
            continue
        for message in messages:
            number += 1
            _read_message(message, chat, chat_id, root, result, (str(result_json), number))
    return result


def _locate(path: Path) -> tuple[Path, Path]:
    """The export folder and its result.json, from either."""
    if path.is_dir():
        if not (path / "result.json").is_file():
            raise InvalidInput(
                str(path), "no result.json in this folder: not a Telegram Desktop export in JSON"
            )
        return path, path / "result.json"
    if not path.is_file():
        raise InvalidInput(str(path), "no such file or folder")
    return path.parent, path


def _chats(document: Any, result_json: Path) -> list[dict]:
    if isinstance(document, dict) and isinstance(document.get("messages"), list):
        return [document]
    if isinstance(document, dict) and isinstance(as_dict(document.get("chats")).get("list"), list):
        return dicts(document["chats"]["list"]) + dicts(
            as_dict(document.get("left_chats")).get("list")
        )
    raise InvalidInput(
        str(result_json), "not a Telegram Desktop export: neither 'messages' nor 'chats.list'"
    )


def _chat_name(chat: dict) -> str:
    return f"chat {text(chat.get('name')) or '(no name)'!r}"


def _read_message(message: Any, chat: dict, chat_id: str, root: Path, result, place) -> None:
    file, number = place
    kind = message.get("type") if isinstance(message, dict) else None
    if kind != "message":
        if isinstance(kind, str):  # service messages: joins, pins, calls, title changes
            result.skipped[f"{kind} message"] = result.skipped.get(f"{kind} message", 0) + 1
        else:
            result.problems.append(RowProblem(file, number, "not a message object (no 'type')"))
        return
    label = f"{_chat_name(chat)} message {an_id(message.get('id')) or '(no id)'}"
    try:
        post = _post(message, chat, chat_id, f"{file}#{number}", label)
    except RecordError as error:
        result.problems.append(RowProblem(file, number, f"{label}: {error}"))
        return
    for media, problem in _media(message, root):
        if media:
            post.media.append(media)
        if problem:  # the message is kept; only the media it names is refused or missing
            result.problems.append(RowProblem(file, number, f"{label}: {problem}"))
    result.records.append(post)


def _post(message: dict, chat: dict, chat_id: str, where: str, label: str) -> Post:
    message_id = required_id(message.get("id"), "message")
    published, native = _published(message)
    entities = _entities(message)
    reply = an_id(message.get("reply_to_message_id"))
    return Post(
        platform="telegram",
        post_id=f"{chat_id}/{message_id}",
        handle=text(message.get("from_id")),  # exports carry ids such as 'user123', no @names
        display_name=text(message.get("from")) or text(chat.get("name")),
        published=published,
        text=_joined(message.get("text")),
        links=unique(
            text(entity.get("href"))
            if entity.get("type") == "text_link"
            else text(entity.get("text"))
            for entity in entities
            if entity.get("type") in ("link", "text_link")
        ),
        hashtags=_tagged(entities, "hashtag", "#"),
        mentions=_tagged(entities, "mention", "@"),
        reply_to=f"{chat_id}/{reply}" if reply else None,
        native=native,
        where=where,
    )


def _published(message: dict) -> tuple[Any, dict]:
    if message.get("date_unixtime") is not None:
        return unix_time(message["date_unixtime"], "date_unixtime"), message
    published = iso_time(message.get("date"), "date")
    if published is None:
        return None, message
    return published, {**message, "siteline_note": LOCAL_DATE_NOTE}


def _joined(value: Any) -> str:
    """The text: a string, or a list of strings and entity objects ({type, text, href})."""
    if isinstance(value, str):
        return value
    if not isinstance(value, list):
        return ""
    pieces = (piece if isinstance(piece, str) else as_dict(piece).get("text") for piece in value)
    return "".join(piece for piece in pieces if isinstance(piece, str))


def _entities(message: dict) -> list[dict]:
    # Newer exports list every entity in text_entities; older ones only put them in text.
    return dicts(message.get("text_entities")) or dicts(message.get("text"))


def _tagged(entities: list[dict], kind: str, mark: str) -> list[str]:
    found = (text(entity.get("text")) for entity in entities if entity.get("type") == kind)
    return unique(tag.lstrip(mark) for tag in found if tag)


def _media(message: dict, root: Path) -> Iterator[tuple[Media | None, str | None]]:
    if message.get("photo") is not None:
        yield _media_file(root, message["photo"], "photo", None)
    if message.get("file") is not None:
        native_kind = message.get("media_type")
        kind = _KINDS.get(native_kind, "document") if isinstance(native_kind, str) else "document"
        yield _media_file(root, message["file"], kind, message.get("mime_type"))


def _media_file(root: Path, value: Any, kind: str, mime: Any) -> tuple[Media | None, str | None]:
    name = text(value)
    if name is None:
        return None, f"{kind} path {value!r} is not a path"
    media = Media(kind=kind, media_type=text(mime) or media_type_of(name))
    if name.startswith(_NOT_INCLUDED):  # the export left it out: known to exist, no file
        return media, None
    inside = inside_folder(root, name)
    if inside is None:
        return None, f"{kind} path {name!r} leaves the export folder; refused, not read"
    if not is_regular_file(inside):
        return media, f"{kind} file {name!r} is not in the export"
    media.path = inside
    return media, None
