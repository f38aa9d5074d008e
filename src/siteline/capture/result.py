"""What a capture hands back: its files, their digests, and what is in them.

`CaptureResult` describes one capture (capture_url's answer); `CapturedRecord` is one
response kept in its WARC, and `NotCaptured` a URL the page named that is not there, with
the reason. `jsonable` turns them (and the capture's report) into JSON-ready values.
"""

from __future__ import annotations

from dataclasses import asdict, dataclass
from datetime import datetime
from pathlib import Path

from siteline.capture.limits import CaptureLimits
from siteline.capture.warc import warc_date


@dataclass(frozen=True)
class CapturedRecord:
    """One response kept in the WARC."""

    url: str
    role: str  # "page", "media", or "redirect" (a hop on the way to either)
    status: int
    content_type: str
    bytes: int  # of the body as received
    sha256: str  # hex, of the body as received (the record's payload)
    ip_address: str | None
    fetched_at: datetime
    record_id: str  # the response's WARC-Record-ID


@dataclass(frozen=True)
class NotCaptured:
    """A URL the page named that is not in the WARC, and why."""

    url: str
    reason: str


@dataclass(frozen=True)
class CaptureResult:
    """A capture's files, their SHA-256 (hex), and what is in them."""

    url: str  # as asked
    page_url: str  # the page's own URL, after redirects
    page_status: int
    title: str | None  # the page's <title> as plain text: hostile, escape it to show it
    captured_at: datetime  # UTC, when the capture began
    identity: str
    software: str
    warc_path: Path
    warc_sha256: str
    wacz_path: Path
    wacz_sha256: str
    records: tuple[CapturedRecord, ...]
    refused: tuple[NotCaptured, ...]
    skipped: tuple[NotCaptured, ...]
    notes: tuple[str, ...]
    limits: CaptureLimits

    def as_dict(self) -> dict:
        """The result as JSON-ready values (paths and times as text)."""
        return jsonable(asdict(self))


def jsonable(value):
    """The value with its times (as WARC dates) and paths as text, tuples as lists."""
    if isinstance(value, dict):
        return {key: jsonable(item) for key, item in value.items()}
    if isinstance(value, list | tuple):
        return [jsonable(item) for item in value]
    if isinstance(value, datetime):
        return warc_date(value)
    if isinstance(value, Path):
        return str(value)
    return value
