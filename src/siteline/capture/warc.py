"""A capture as a WARC 1.1 file (gzip, one member per record), every digest SHA-256.

Records, in order: one `warcinfo` (who captured, when, with what and within which
limits), then for each exchange its `response` and `request` (linked by
WARC-Concurrent-To), and last a `metadata` record (application/json) listing what was
refused or skipped, and why. Every record carries WARC-Block-Digest and, but for the
warcinfo, WARC-Payload-Digest, both `sha256:` followed by the digest in base32 (RFC 4648,
upper case, padded), the WARC convention; `sha256_hex` turns one into the hex that
`sha256sum` prints. warcio writes the records; Siteline only asks it for SHA-256 (its
default is SHA-1) and checks them again with `read_records`.
"""

from __future__ import annotations

import base64
import io
import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import BinaryIO

from warcio.archiveiterator import ArchiveIterator
from warcio.exceptions import ArchiveLoadFailed
from warcio.statusandheaders import StatusAndHeaders
from warcio.timeutils import datetime_to_iso_date
from warcio.utils import Digester
from warcio.warcwriter import WARCWriter

from siteline.capture.fetch import Exchange
from siteline.errors import InvalidInput

WARC_VERSION = "1.1"
DIGEST_ALGORITHM = "sha256"
WARC_SPECIFICATION = (
    "https://iipc.github.io/warc-specifications/specifications/warc-format/warc-1.1/"
)


class _Sha256WarcWriter(WARCWriter):
    """warcio's writer, with SHA-256 block and payload digests instead of its SHA-1."""

    @staticmethod
    def _create_digester():
        return Digester(DIGEST_ALGORITHM)


def warc_date(moment: datetime) -> str:
    """A UTC moment as WARC 1.1 writes it: 2024-05-01T10:11:12.345678Z."""
    return datetime_to_iso_date(moment.replace(tzinfo=None), use_micros=True)


def sha256_hex(warc_digest: str) -> str:
    """'sha256:BASE32…' (as in WARC-Payload-Digest) as hex."""
    algorithm, _, encoded = warc_digest.partition(":")
    if algorithm.lower() != DIGEST_ALGORITHM:
        raise ValueError(f"not a SHA-256 digest: {warc_digest}")
    return base64.b32decode(encoded.upper()).hex()


class WarcRecorder:
    """Writes the records of one capture into a binary stream, in the order given."""

    def __init__(self, stream: BinaryIO):
        self.writer = _Sha256WarcWriter(stream, gzip=True, warc_version=WARC_VERSION)
        self.warcinfo_id: str | None = None

    def write_warcinfo(self, fields: dict[str, str], moment: datetime) -> str:
        """The warcinfo record (application/warc-fields: one 'name: value' a line)."""
        record = self.writer.create_warcinfo_record(None, fields)
        record.rec_headers.replace_header("WARC-Date", warc_date(moment))
        self.writer.write_record(record)
        self.warcinfo_id = record.rec_headers.get_header("WARC-Record-ID")
        return self.warcinfo_id

    def write_exchange(self, exchange: Exchange) -> str:
        """The response and request records of one exchange; the response's record ID."""
        common = {"WARC-Date": warc_date(exchange.fetched_at), **self._warcinfo_link()}
        status = StatusAndHeaders(
            f"{exchange.status} {exchange.reason}".rstrip(),
            exchange.response_headers,
            protocol=exchange.protocol,
        )
        response_fields = dict(common)
        if exchange.peer:
            response_fields["WARC-IP-Address"] = exchange.peer
        exchange.body.seek(0)
        response = self.writer.create_warc_record(
            exchange.url,
            "response",
            payload=exchange.body,
            length=exchange.body_bytes,
            http_headers=status,
            warc_headers_dict=response_fields,
        )
        sent = StatusAndHeaders(
            exchange.request_line, exchange.request_headers, is_http_request=True
        )
        request = self.writer.create_warc_record(
            exchange.url, "request", http_headers=sent, warc_headers_dict=common
        )
        self.writer.write_request_response_pair(request, response)
        return response.rec_headers.get_header("WARC-Record-ID")

    def write_report(self, report: dict, moment: datetime, refers_to: str | None) -> str:
        """A metadata record (application/json) about the capture as a whole. It has no
        WARC-Target-URI, so that no replay mistakes it for the page."""
        payload = json.dumps(report, ensure_ascii=False, indent=1).encode("utf-8")
        fields = {"WARC-Date": warc_date(moment), **self._warcinfo_link()}
        if refers_to:
            fields["WARC-Refers-To"] = refers_to
        record = self.writer.create_warc_record(
            "",
            "metadata",
            payload=io.BytesIO(payload),
            length=len(payload),
            warc_content_type="application/json",
            warc_headers_dict=fields,
        )
        self.writer.write_record(record)
        return record.rec_headers.get_header("WARC-Record-ID")

    def _warcinfo_link(self) -> dict[str, str]:
        return {"WARC-Warcinfo-ID": self.warcinfo_id} if self.warcinfo_id else {}


@dataclass(frozen=True)
class StoredRecord:
    """One record of a WARC as read back, its digests checked."""

    record_id: str
    record_type: str
    target_uri: str | None
    date: str
    block_digest: str
    payload_digest: str | None
    payload_sha256: str  # hex, recomputed from the stored payload
    payload_bytes: int
    status: int | None  # HTTP status of a response
    content_type: str | None  # the HTTP Content-Type of a response


def read_records(path: Path) -> list[StoredRecord]:
    """Every record of a WARC, each block and payload digest recomputed. InvalidInput
    naming the file and the record if a digest is missing, not SHA-256 or does not match."""
    records = []
    try:
        with Path(path).open("rb") as stream:
            for record in ArchiveIterator(stream, check_digests=True):
                records.append(_checked_record(path, record))
    except ArchiveLoadFailed as error:
        raise InvalidInput(str(path), f"not a readable WARC ({error})") from None
    return records


def _checked_record(path: Path, record) -> StoredRecord:
    headers = record.rec_headers
    record_id = headers.get_header("WARC-Record-ID")
    where = f"{path}, record {record_id}"
    hasher = Digester(DIGEST_ALGORITHM)
    size = 0
    while chunk := record.raw_stream.read(64 * 1024):  # reading is what checks the digests
        hasher.update(chunk)
        size += len(chunk)
    block = headers.get_header("WARC-Block-Digest") or ""
    payload = headers.get_header("WARC-Payload-Digest")
    if not block.lower().startswith(f"{DIGEST_ALGORITHM}:"):
        raise InvalidInput(where, f"no SHA-256 block digest (found {block or 'none'})")
    if record.digest_checker.passed is not True:
        problems = "; ".join(record.digest_checker.problems) or "digests not checked"
        raise InvalidInput(where, f"digest check failed ({problems})")
    recomputed = hasher.digester.hexdigest()
    if payload and sha256_hex(payload) != recomputed:
        raise InvalidInput(where, "the payload does not match its WARC-Payload-Digest")
    http = record.http_headers if record.rec_type == "response" else None
    return StoredRecord(
        record_id=record_id,
        record_type=record.rec_type,
        target_uri=headers.get_header("WARC-Target-URI"),
        date=headers.get_header("WARC-Date"),
        block_digest=block,
        payload_digest=payload,
        payload_sha256=recomputed,
        payload_bytes=size,
        status=int(http.get_statuscode()) if http else None,
        content_type=http.get_header("Content-Type") if http else None,
    )
