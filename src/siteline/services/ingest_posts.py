"""Platform exports into a case: the export file kept whole, each post an item within it,
media files stored as their own originals, and replies, reposts and quotes related.

A whole run is one transaction: every file, or (if the run stops) none. Records the
parsers could not read are reported with their file and line; the rest are kept.
"""

from __future__ import annotations

import importlib
import mimetypes
from collections.abc import Iterable
from pathlib import Path

from siteline import __version__
from siteline.domain.entities import Custody, EvidenceItem
from siteline.domain.vocabularies import RelationKind
from siteline.errors import InvalidInput, SitelineError
from siteline.ingest.model import Media, ParseResult, Post, RowProblem
from siteline.services.ingest import (
    IngestReport,
    add_file_item,
    add_keyed_items,
    add_relations,
    build_or_report,
    input_files,
    newest_by_key,
    problem_message,
)
from siteline.services.media_hashing import hash_stored_media
from siteline.store.case_folder import Case
from siteline.store.transaction import Transaction

# Each export format: the parser (module, function), a label, and the file names it takes
# from a folder.
FORMATS = {
    "twitter": ("siteline.ingest.twitter", "parse_twitter", "Twitter/X export", ("*.json", "*.jsonl")),
    "telegram": ("siteline.ingest.telegram", "parse_telegram", "Telegram export", ("result.json",)),
    "ytdlp": ("siteline.ingest.ytdlp", "parse_ytdlp", "yt-dlp info", ("*.info.json",)),
}  # fmt: skip

# Media bigger than this are refused (named as a problem) rather than read into memory.
MAX_MEDIA_BYTES = 2 * 1024**3


def ingest_exports(case: Case, paths: Iterable[Path], export_format: str) -> IngestReport:
    """Reads every export file named (or found in a folder named) into the case."""
    if export_format not in FORMATS:
        raise InvalidInput("format", f"{export_format!r} is not one of {', '.join(FORMATS)}")
    module, function, label, patterns = FORMATS[export_format]
    parse = getattr(importlib.import_module(module), function)
    files = export_files(paths, patterns, export_format)
    report = IngestReport()
    with case.write() as transaction:
        for path in files:
            _ingest_one(case, transaction, path, parse, label, report)
    return report


def export_files(paths: Iterable[Path], patterns: tuple[str, ...], export_format: str) -> list:
    """A Telegram export is a folder (result.json and its media); others are files."""
    paths = list(map(Path, paths))
    if export_format == "telegram":
        folders = [path for path in paths if path.is_dir() and (path / "result.json").is_file()]
        rest = [path for path in paths if path not in folders]
        return folders + input_files(rest, patterns)
    return input_files(paths, patterns)


def _ingest_one(case, transaction, path: Path, parse, label: str, report: IngestReport) -> None:
    try:
        result: ParseResult = parse(path)
        export_file = path / "result.json" if path.is_dir() else path
        data = export_file.read_bytes()
    except SitelineError as error:
        report.problems.append(RowProblem(str(path), None, problem_message(error)))
        return
    except OSError as error:
        report.problems.append(RowProblem(str(path), None, f"cannot be read ({error.strerror})"))
        return
    report.problems.extend(result.problems)
    report.skip(getattr(result, "skipped", {}))
    how = Custody(method=f"ingested from a {label}", tool="siteline ingest", notes=str(path))
    file_item = EvidenceItem(
        kind="document",
        title=f"{label}: {export_file.name}",
        data=data,
        original_filename=export_file.name,
        media_type="application/json",
    )
    file_id = add_file_item(case, transaction, file_item, how, report)
    built = [
        (post, build_or_report(report, *_where(post, path), _post_item, post, file_id))
        for post in result.records
    ]
    posts = [post for post, item in built if item is not None]
    items = [(item, _post_custody(post, path, label)) for post, item in built if item is not None]
    ids = add_keyed_items(case, transaction, items, report)
    _add_media(case, transaction, posts, ids, path, report)
    _relate_posts(transaction, posts, ids, report)


def _where(post: Post, path: Path) -> tuple[str, int | None]:
    """The file and line (or record number) a post was read from, for its problems."""
    file, separator, number = (post.where or "").rpartition(":")
    if separator and number.isdigit():
        return file, int(number)
    return post.where or str(path), None


def post_key(post: Post) -> str | None:
    return f"{post.platform}:{post.post_id}" if post.post_id else None


def _post_item(post: Post, within_id: int) -> EvidenceItem:
    return EvidenceItem(
        kind="social_post",
        title=_title(post),
        text=post.text,
        within_id=within_id,
        source_url=post.url,
        published=post.published,
        language=post.language,
        native=post.native,
        ingest_key=post_key(post),
        platform=post.platform,
        platform_id=post.post_id,
        author_handle=post.handle,
        author_name=post.display_name,
        details=post_details(post),
    )


def _title(post: Post) -> str:
    who = f"@{post.handle}" if post.handle else (post.display_name or post.platform)
    words = " ".join((post.text or "").split())
    return f"{who}: {words[:80]}" + ("…" if len(words) > 80 else "")


def post_details(post: Post) -> dict:
    details = {
        "where": post.where,
        "links": post.links,
        "hashtags": post.hashtags,
        "mentions": post.mentions,
        "reply_to": post.reply_to,
        "repost_of": post.repost_of,
        "quote_of": post.quote_of,
        "form": post.form,
        "media": [_media_details(media) for media in post.media],
    }
    return {key: value for key, value in details.items() if value}


def _media_details(media: Media) -> dict:
    found = {"url": media.url, "kind": media.kind, "media_type": media.media_type}
    if media.path is not None:
        found["file"] = media.path.name
    return {key: value for key, value in found.items() if value}


def _post_custody(post: Post, path: Path, label: str) -> Custody:
    return Custody(
        method=f"read from a {label}",
        tool="siteline ingest",
        tool_version=__version__,
        source_url=post.url,
        notes=f"within {path} at {post.where}" if post.where else f"within {path}",
    )


def _add_media(case, transaction: Transaction, posts, ids, path: Path, report) -> None:
    """Each media file carried by the export, stored once (a file posted twice, or already
    in the case, is the same item), related to its post."""
    how = Custody(method="media file of a platform export", tool="siteline ingest", notes=str(path))
    items, owners, files = [], [], []
    for post, post_id in zip(posts, ids, strict=True):
        for media in post.media:
            item = _media_item(media, post, report)
            if item is not None:
                items.append((item, how))
                owners.append(post_id)
                files.append(media.path)
    media_ids = add_keyed_items(case, transaction, items, report)
    attachments = list(zip(media_ids, owners, strict=True))
    add_relations(transaction, attachments, RelationKind.ATTACHMENT_OF, report)
    stored = list(zip(media_ids, files, strict=True))
    hash_stored_media(case, transaction, stored, lambda reason: report.skip({reason: 1}))


def _media_item(media: Media, post: Post, report: IngestReport) -> EvidenceItem | None:
    if media.path is None:
        return None  # only a URL: kept in the post's details, never fetched here
    try:
        if media.path.stat().st_size > MAX_MEDIA_BYTES:
            raise InvalidInput(str(media.path), "larger than 2 GiB; add it with evidence add")
        data = media.path.read_bytes()
    except OSError as error:
        report.problems.append(
            RowProblem(str(media.path), None, f"media file cannot be read ({error.strerror})")
        )
        return None
    except InvalidInput as error:
        report.problems.append(RowProblem(str(media.path), None, error.problem))
        return None
    media_type = media.media_type or mimetypes.guess_type(media.path.name)[0]
    kind = (
        "video" if (media.kind or media_type or "").startswith(("video", "animated")) else "photo"
    )
    return EvidenceItem(
        kind=kind,
        title=f"{media.path.name}, posted with {_title(post)}",
        data=data,
        original_filename=media.path.name,
        media_type=media_type,
        source_url=media.url,
        published=post.published,
    )


def _relate_posts(transaction: Transaction, posts, ids, report: IngestReport) -> None:
    """Replies, reposts and quotes, where both posts are in the case."""
    in_run = {post_key(post): item_id for post, item_id in zip(posts, ids, strict=True)}
    wanted = {
        f"{post.platform}:{target}"
        for post in posts
        for target in (post.reply_to, post.repost_of, post.quote_of)
        if target
    }
    known = {key: row["id"] for key, row in newest_by_key(transaction, list(wanted)).items()}
    known.update({key: value for key, value in in_run.items() if key})
    for attribute, relation in (
        ("reply_to", RelationKind.REPLY_TO),
        ("repost_of", RelationKind.REPOST_OF),
        ("quote_of", RelationKind.QUOTE_OF),
    ):
        pairs = [
            (item_id, known[f"{post.platform}:{getattr(post, attribute)}"])
            for post, item_id in zip(posts, ids, strict=True)
            if getattr(post, attribute) and f"{post.platform}:{getattr(post, attribute)}" in known
        ]
        add_relations(transaction, pairs, relation, report)
