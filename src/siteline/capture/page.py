"""Capturing a web page and its media as evidence: a WARC and a WACZ package of it.

`capture_url` fetches the page (following its redirects, each checked), finds the media
its HTML names (siteline.capture.links), fetches them, and writes every exchange into a
WARC (siteline.capture.warc), which it packages as a WACZ and validates. Files in, files
out: no database; the caller stores the result (siteline.capture.result) as evidence. The
checks it makes of its input first are in siteline.capture.checks.

What may fail the capture and what may not:
- the page refused (its URL, a redirect or its address), unreachable, too slow or too
  large fails it: InvalidInput naming the URL, and no file is left behind;
- a medium refused is listed in `refused`, and one that failed (network, time, size, or
  beyond `max_media`) in `skipped`, each with the reason; the capture goes on. Both lists
  are in the WARC too, in its last (metadata) record.
A page that answers with an error status (404, 410, 500) is captured as answered: what a
server said is evidence too. Its media are looked for only in a 2xx HTML answer.
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
import zlib
from collections.abc import Callable
from dataclasses import asdict, dataclass, field
from datetime import UTC, datetime
from pathlib import Path

from siteline import __version__
from siteline.capture.checks import check_capture_url, checked_folder, checked_identity
from siteline.capture.fetch import Exchange, Fetcher, FetchProblem
from siteline.capture.limits import CaptureLimits, MiB
from siteline.capture.links import MAX_LISTED, PageLinks, decode_html, find_media
from siteline.capture.result import CapturedRecord, CaptureResult, NotCaptured, jsonable
from siteline.capture.wacz_package import WARC_NAME, package_wacz, validate_wacz
from siteline.capture.warc import WARC_SPECIFICATION, WarcRecorder, read_records, warc_date
from siteline.errors import InvalidInput
from siteline.net.safe_http import USER_AGENT

MAX_PARSED_BYTES = 8 * MiB  # of the page's HTML searched for media
HTML_TYPES = frozenset({"text/html", "application/xhtml+xml"})
SOFTWARE = f"siteline {__version__}"
DEFAULT_LIMITS = CaptureLimits()


def capture_url(
    url: str,
    target: Path,
    *,
    identity: str,
    allow_private_hosts: frozenset[str] = frozenset(),
    limits: CaptureLimits = DEFAULT_LIMITS,
) -> CaptureResult:
    """Captures the page at `url` and its media into a WARC and a WACZ in the folder
    `target` (capture-<UTC time>-<start of the WARC's SHA-256>.warc.gz and .wacz).
    `identity` is who captures (a person or an account), recorded in the WARC.
    Host names in `allow_private_hosts` may be on a private network or this machine.
    InvalidInput if the input or the page is refused or fails; then nothing is written."""
    identity = checked_identity(identity)
    limits = limits.checked()
    folder = checked_folder(target)
    allowed = frozenset(name.lower() for name in allow_private_hosts)
    check_capture_url(url, allowed)
    captured_at = datetime.now(UTC)
    work = Path(tempfile.mkdtemp(prefix=".siteline-capture-", dir=folder))
    try:
        run = _CaptureRun(url, identity, captured_at, limits, allowed, work)
        warc = run.write_warc()
        wacz = _package(run, warc)
        return _keep(run, warc, wacz, folder)
    finally:
        shutil.rmtree(work, ignore_errors=True)


@dataclass
class _CaptureRun:
    """The state of one capture while it runs."""

    url: str
    identity: str
    captured_at: datetime
    limits: CaptureLimits
    allowed: frozenset[str]
    work: Path
    page: CapturedRecord | None = None
    title: str | None = None
    records: list[CapturedRecord] = field(default_factory=list)
    refused: list[NotCaptured] = field(default_factory=list)
    skipped: list[NotCaptured] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    fetched: set[str] = field(default_factory=set)

    def write_warc(self) -> Path:
        """Fetches the page and its media into work/data.warc.gz."""
        path = self.work / WARC_NAME
        with path.open("wb") as stream, Fetcher(self.limits, self.allowed, self.work) as fetcher:
            recorder = WarcRecorder(stream)
            recorder.write_warcinfo(self._warcinfo(), self.captured_at)
            links = self._fetch_page(fetcher, recorder)
            self._fetch_media(fetcher, recorder, links)
            recorder.write_report(self.report(), datetime.now(UTC), self.page.record_id)
            stream.flush()
            os.fsync(stream.fileno())
        return path

    def _fetch_page(self, fetcher: Fetcher, recorder: WarcRecorder) -> PageLinks:
        try:
            page = fetcher.follow(self.url, self._keeper(recorder, "page"))
        except FetchProblem as problem:
            raise InvalidInput(problem.url, problem.reason) from None
        try:
            return self._links_of(page)
        finally:
            page.body.close()

    def _fetch_media(self, fetcher: Fetcher, recorder: WarcRecorder, links: PageLinks) -> None:
        wanted = [url for url in links.media if url not in self.fetched]
        for count, url in enumerate(wanted):
            if count >= self.limits.max_media:
                reason = f"over the limit of {self.limits.max_media} media for one capture"
                self.skipped.append(NotCaptured(url, reason))
            elif url not in self.fetched:  # a redirect may have brought it already
                self._fetch_medium(fetcher, recorder, url)
        for url in links.unfetchable:
            self.refused.append(NotCaptured(url, "only http and https URLs are fetched"))
        if links.more_than_listed:
            self.notes.append(
                f"the page names more than {MAX_LISTED} URLs: the rest are not listed"
            )

    def _fetch_medium(self, fetcher: Fetcher, recorder: WarcRecorder, url: str) -> None:
        try:
            fetcher.follow(url, self._keeper(recorder, "media")).body.close()
        except FetchProblem as problem:  # a redirect's hop names its own URL
            reason = problem.reason if problem.url == url else f"{problem.url}: {problem.reason}"
            (self.refused if problem.refused else self.skipped).append(NotCaptured(url, reason))

    def _keeper(self, recorder: WarcRecorder, role: str) -> Callable[[Exchange], None]:
        def keep(exchange: Exchange) -> None:
            record_id = recorder.write_exchange(exchange)
            kept = _record_of(exchange, "redirect" if exchange.redirect_target else role, record_id)
            self.records.append(kept)
            self.fetched.add(exchange.url)
            if kept.role == "page":
                self.page = kept

        return keep

    def _links_of(self, page: Exchange) -> PageLinks:
        """The media and title of the page, if it is HTML that answered 2xx."""
        media_type = page.content_type.split(";")[0].strip().lower()
        if not 200 <= page.status < 300:
            self.notes.append(f"the page answered HTTP {page.status}: no media were looked for")
            return PageLinks()
        if media_type not in HTML_TYPES:
            self.notes.append(f"the page is {media_type or 'of no stated type'}, not HTML")
            return PageLinks()
        html = self._html_bytes(page)
        if html is None:
            return PageLinks()
        links = find_media(decode_html(html, page.content_type), page.url)
        self.title = links.title
        return links

    def _html_bytes(self, page: Exchange) -> bytes | None:
        """At most MAX_PARSED_BYTES of the page, decompressed if the server compressed
        it; None (with a note) where it cannot be."""
        coding = (page.header("Content-Encoding") or "identity").strip().lower()
        page.body.seek(0)
        if coding == "identity":
            html = page.body.read(MAX_PARSED_BYTES + 1)
        elif coding in ("gzip", "x-gzip", "deflate"):
            html = _inflated(page.body)
        else:
            self.notes.append(f"the page is compressed as {coding!r}: no media were looked for")
            return None
        if html is None:
            self.notes.append(f"the page's {coding} data is damaged: no media were looked for")
        elif len(html) > MAX_PARSED_BYTES:
            self.notes.append(f"only the first {MAX_PARSED_BYTES} bytes of the page were read")
            html = html[:MAX_PARSED_BYTES]
        return html

    def _warcinfo(self) -> dict[str, str]:
        return {
            "software": SOFTWARE,
            "format": "WARC File Format 1.1",
            "conformsTo": WARC_SPECIFICATION,
            "operator": self.identity,
            "siteline-captured-at": warc_date(self.captured_at),
            "siteline-seed-url": self.url,
            "siteline-limits": json.dumps(self.limits.as_dict(), sort_keys=True),
            "siteline-digests": "sha256, base32 (RFC 4648) in WARC-Block-Digest and "
            "WARC-Payload-Digest",
            "http-header-user-agent": USER_AGENT,
        }

    def report(self) -> dict:
        """What the capture did, for its last WARC record (JSON)."""
        return jsonable(
            {
                "seed_url": self.url,
                "page_url": self.page.url,
                "page_status": self.page.status,
                "title": self.title,
                "captured_at": self.captured_at,
                "identity": self.identity,
                "software": SOFTWARE,
                "limits": self.limits.as_dict(),
                "records": [asdict(record) for record in self.records],
                "refused": [asdict(item) for item in self.refused],
                "skipped": [asdict(item) for item in self.skipped],
                "notes": self.notes,
            }
        )


def _record_of(exchange: Exchange, role: str, record_id: str) -> CapturedRecord:
    return CapturedRecord(
        url=exchange.url,
        role=role,
        status=exchange.status,
        content_type=exchange.content_type,
        bytes=exchange.body_bytes,
        sha256=exchange.body_sha256,
        ip_address=exchange.peer,
        fetched_at=exchange.fetched_at,
        record_id=record_id,
    )


def _inflated(body) -> bytes | None:
    """Up to MAX_PARSED_BYTES + 1 bytes of gzip or deflate (zlib) data, inflated: never
    more, whatever the data claims (a small file can inflate to gigabytes)."""
    wanted = MAX_PARSED_BYTES + 1
    inflater = zlib.decompressobj(zlib.MAX_WBITS | 32)  # 32: a gzip or a zlib header
    out = bytearray()
    try:
        while len(out) < wanted and (chunk := body.read(64 * 1024)):
            out += inflater.decompress(chunk, wanted - len(out))
    except zlib.error:
        return None
    return bytes(out)


def _package(run: _CaptureRun, warc: Path) -> Path:
    """The WACZ of the WARC, validated; the WARC's digests checked again first."""
    read_records(warc)  # a digest that does not recompute is a bug: never hand it out
    page = run.page
    wacz = package_wacz(
        warc,
        run.work / "package.wacz",
        page={
            "id": page.record_id.strip("<>").removeprefix("urn:uuid:"),
            "url": page.url,
            "ts": warc_date(page.fetched_at),
            "title": run.title or page.url,
        },
        title=f"Siteline capture of {run.url}",
        description=f"Captured by {run.identity} at {warc_date(run.captured_at)} with {SOFTWARE}",
    )
    validate_wacz(wacz)
    return wacz


def _keep(run: _CaptureRun, warc: Path, wacz: Path, folder: Path) -> CaptureResult:
    """The two files moved from the work folder into the target folder, under names no
    other capture has, and the result that describes them."""
    warc_sha256, wacz_sha256 = sha256_file(warc), sha256_file(wacz)
    _fsync(wacz)
    stem = f"capture-{run.captured_at:%Y%m%dT%H%M%SZ}-{warc_sha256[:12]}"
    final_warc, final_wacz = folder / f"{stem}.warc.gz", folder / f"{stem}.wacz"
    _move_into_place([(warc, final_warc), (wacz, final_wacz)])
    return CaptureResult(
        url=run.url,
        page_url=run.page.url,
        page_status=run.page.status,
        title=run.title,
        captured_at=run.captured_at,
        identity=run.identity,
        software=SOFTWARE,
        warc_path=final_warc,
        warc_sha256=warc_sha256,
        wacz_path=final_wacz,
        wacz_sha256=wacz_sha256,
        records=tuple(run.records),
        refused=tuple(run.refused),
        skipped=tuple(run.skipped),
        notes=tuple(run.notes),
        limits=run.limits,
    )


def _move_into_place(moves: list[tuple[Path, Path]]) -> None:
    """Each file renamed to its final name, all or none (renames within one folder)."""
    for _, final in moves:
        if final.exists():
            raise InvalidInput(str(final), "already exists: a capture never overwrites one")
    done: list[Path] = []
    try:
        for temporary, final in moves:
            os.replace(temporary, final)
            done.append(final)
        _fsync_folder(moves[0][1].parent)
    except BaseException:
        for final in done:
            final.unlink(missing_ok=True)
        raise


def sha256_file(path: Path) -> str:
    """The SHA-256 of a file, hex."""
    digest = hashlib.sha256()
    with Path(path).open("rb") as stream:
        while chunk := stream.read(1024 * 1024):
            digest.update(chunk)
    return digest.hexdigest()


def _fsync(path: Path) -> None:
    with Path(path).open("rb") as stream:
        os.fsync(stream.fileno())


def _fsync_folder(folder: Path) -> None:
    """The renames made durable, where the system allows syncing a folder."""
    try:
        handle = os.open(folder, os.O_RDONLY)
    except OSError:
        return
    try:
        os.fsync(handle)
    except OSError:
        pass
    finally:
        os.close(handle)
