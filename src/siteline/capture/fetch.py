"""Fetching a URL as evidence: one checked HTTP exchange at a time, kept as sent and
received, within the limits of a capture.

Each hop of a redirect is its own exchange: its URL is checked (http(s), a public address
unless allowed) before anything is sent, the connection's peer is checked once connected
(see siteline.net.safe_http), and redirects are followed here, never by the HTTP library,
so that each one is checked and recorded.

What is kept of an exchange is what travelled: the request's line and headers exactly as
sent, the response's status line and headers in the order received, and its body as
received, not decoded (Siteline asks for `Accept-Encoding: identity`; a server that
compresses anyway is stored compressed). The one change is the transfer coding (chunked
framing), which the HTTP client removes: the stored body has none, so the header
`Transfer-Encoding` is stored as `X-Siteline-Original-Transfer-Encoding`.
"""

from __future__ import annotations

import hashlib
import tempfile
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import BinaryIO
from urllib.parse import urldefrag, urljoin, urlsplit

import requests
from urllib3.exceptions import HTTPError as Urllib3Error
from urllib3.exceptions import ReadTimeoutError

from siteline.capture.limits import CaptureLimits
from siteline.errors import InvalidInput
from siteline.net.safe_http import (
    USER_AGENT,
    check_url,
    checked_session,
    failure_reason,
    is_peer_refusal,
    peer_address,
    send_once,
)

REDIRECT_STATUSES = frozenset({301, 302, 303, 307, 308})
READ_SIZE = 64 * 1024
SPOOL_IN_MEMORY = 1024 * 1024  # a body larger than this waits on disk in the work folder
STORED_TRANSFER_ENCODING = "X-Siteline-Original-Transfer-Encoding"
REQUEST_HEADERS = {  # sent with every request, in this order (Host is added last)
    "User-Agent": USER_AGENT,
    "Accept": "*/*",
    "Accept-Encoding": "identity",
    "Connection": "keep-alive",
}


class FetchProblem(Exception):
    """A URL that was not fetched, and why. `refused`: the URL or the address it reached
    is not allowed; otherwise it failed (network, time, size)."""

    refused = False

    def __init__(self, url: str, reason: str):
        self.url, self.reason = url, reason
        super().__init__(f"{url}: {reason}")


class Refused(FetchProblem):
    refused = True


class Failed(FetchProblem):
    pass


@dataclass
class Exchange:
    """One HTTP request and its response, as sent and as received."""

    url: str
    request_line: str
    request_headers: list[tuple[str, str]]
    protocol: str
    status: int
    reason: str
    response_headers: list[tuple[str, str]]
    body: BinaryIO  # at its start; the caller closes it
    body_bytes: int
    body_sha256: str
    peer: str | None
    fetched_at: datetime  # UTC, when the request was sent

    def header(self, name: str) -> str | None:
        wanted = name.lower()
        return next((value for key, value in self.response_headers if key.lower() == wanted), None)

    @property
    def content_type(self) -> str:
        return self.header("Content-Type") or ""

    @property
    def redirect_target(self) -> str | None:
        location = self.header("Location")
        if self.status not in REDIRECT_STATUSES or not location:
            return None
        try:
            return urljoin(self.url, location.strip())
        except ValueError:  # 'http://[::1': refused as it stands when checked
            return location.strip()


class Fetcher:
    """Fetches URLs for one capture: checked, within its limits, each exchange kept."""

    def __init__(self, limits: CaptureLimits, allow_private_hosts: frozenset[str], spool: Path):
        self.limits = limits
        self.allowed = frozenset(name.lower() for name in allow_private_hosts)
        self.spool = spool
        self.deadline = time.monotonic() + limits.capture_seconds
        self.total_bytes = 0
        self.session = checked_session(self.allowed, follow_redirects=False)
        # No proxy, .netrc or other setting from the environment: what is captured, and
        # the peer recorded for it, must not depend on who runs the capture.
        self.session.trust_env = False
        self.session.headers.clear()
        self.session.headers.update(REQUEST_HEADERS)

    def __enter__(self) -> Fetcher:
        return self

    def __exit__(self, *exc) -> None:
        self.session.close()

    def follow(self, url: str, keep: Callable[[Exchange], None]) -> Exchange:
        """Fetches the URL and the redirects from it, each hop handed to `keep` as it
        arrives; the last exchange (not a redirect) is returned, its body still open."""
        visited: list[str] = []
        while True:
            exchange = self.fetch(url)
            keep(exchange)
            target = exchange.redirect_target
            if target is None:
                return exchange
            exchange.body.close()
            visited.append(exchange.url)
            if len(visited) > self.limits.max_redirects:
                raise Failed(visited[0], f"more than {self.limits.max_redirects} redirects")
            if target in visited:
                raise Failed(exchange.url, f"redirects in a loop (back to {target})")
            url = self._checked_redirect(exchange.url, target)

    def fetch(self, url: str) -> Exchange:
        """One request and its whole response, within the time and size limits."""
        if time.monotonic() >= self.deadline:
            raise Failed(url, self._capture_time_reached())
        self._check(url)
        request = self._prepare(url)
        started = time.monotonic()
        request_deadline = min(started + self.limits.request_seconds, self.deadline)
        fetched_at = datetime.now(UTC)
        response = self._send(request, request_deadline)
        with response:
            peer = peer_address(response)  # now: the connection leaves once the body is read
            body, size, digest = self._read_body(request.url, response, request_deadline)
            raw = response.raw
            protocol = {10: "HTTP/1.0", 11: "HTTP/1.1"}.get(raw.version, "HTTP/1.1")
            return Exchange(
                url=request.url,
                request_line=f"{request.method} {request.path_url} HTTP/1.1",
                request_headers=list(request.headers.items()),
                protocol=protocol,
                status=raw.status,
                reason=raw.reason or "",
                response_headers=_headers_as_received(response),
                body=body,
                body_bytes=size,
                body_sha256=digest,
                peer=peer,
                fetched_at=fetched_at,
            )

    def _check(self, url: str) -> None:
        try:
            parts = urlsplit(url)
            check_url(url, self.allowed)
        except ValueError as error:
            raise Refused(url, f"not a valid URL ({error})") from None
        except InvalidInput as refusal:
            raise Refused(url, refusal.problem) from None
        if parts.username is not None or parts.password is not None:
            raise Refused(url, "a URL with a user name or password is not fetched")

    def _checked_redirect(self, source: str, target: str) -> str:
        try:
            self._check(target)
        except Refused as refusal:
            raise Refused(source, f"redirects to {target}: {refusal.reason}") from None
        return target

    def _prepare(self, url: str) -> requests.PreparedRequest:
        # The fragment is never sent: the URL recorded is the one requested.
        url = urldefrag(url).url
        try:
            request = self.session.prepare_request(requests.Request("GET", url))
        except (requests.RequestException, ValueError) as error:
            raise Refused(url, f"not a URL that can be fetched ({error})") from None
        # Host is set here, not by http.client, so the record holds every header sent.
        request.headers["Host"] = urlsplit(request.url).netloc
        return request

    def _send(self, request: requests.PreparedRequest, deadline: float) -> requests.Response:
        seconds = max(deadline - time.monotonic(), 0.001)
        try:
            return send_once(self.session, request, timeout=(seconds, seconds))
        except requests.Timeout:
            raise Failed(request.url, self._too_slow(deadline)) from None
        except requests.RequestException as error:
            if is_peer_refusal(error):
                raise Refused(request.url, failure_reason(error)) from None
            raise Failed(request.url, f"could not be read ({failure_reason(error)})") from None

    def _read_body(
        self, url: str, response: requests.Response, deadline: float
    ) -> tuple[BinaryIO, int, str]:
        """The body as received, spooled, with its size and SHA-256; read with read1 so
        that a server sending a byte at a time still meets the deadline."""
        limit, which_limit = self._byte_limit()
        declared = response.headers.get("Content-Length", "")
        if declared.isdigit() and int(declared) > limit:
            raise Failed(url, f"the answer is {declared} bytes, over {which_limit}")
        body = self._spool_file()  # closed here on failure, else by who takes the exchange
        digest, size = hashlib.sha256(), 0
        try:
            while chunk := self._read_chunk(url, response, deadline):
                size += len(chunk)
                if size > limit:
                    raise Failed(url, f"the answer is over {which_limit}")
                body.write(chunk)
                digest.update(chunk)
        except BaseException:
            body.close()
            raise
        self.total_bytes += size
        body.seek(0)
        return body, size, digest.hexdigest()

    def _read_chunk(self, url: str, response: requests.Response, deadline: float) -> bytes:
        if time.monotonic() >= deadline:
            raise Failed(url, self._too_slow(deadline))
        try:
            return response.raw.read1(READ_SIZE, decode_content=False)
        except ReadTimeoutError:
            raise Failed(url, self._too_slow(deadline)) from None
        except (Urllib3Error, OSError) as error:
            raise Failed(url, f"the answer broke off ({failure_reason(error)})") from None

    def _byte_limit(self) -> tuple[int, str]:
        """The most bytes the next body may have, and which limit that is, in words."""
        one, total = self.limits.max_response_bytes, self.limits.max_total_bytes
        left = total - self.total_bytes
        if one <= left:
            return one, f"the limit of {one} bytes for one response"
        return left, f"the {left} bytes left of the limit of {total} for the whole capture"

    def _spool_file(self) -> BinaryIO:
        """A file for a body: in memory while small, then on disk in the work folder."""
        return tempfile.SpooledTemporaryFile(max_size=SPOOL_IN_MEMORY, dir=self.spool)

    def _too_slow(self, deadline: float) -> str:
        if deadline >= self.deadline:
            return self._capture_time_reached()
        return (
            f"no whole answer within {self.limits.request_seconds:g} s, the limit for one request"
        )

    def _capture_time_reached(self) -> str:
        return f"the capture's time limit of {self.limits.capture_seconds:g} s was reached"


def _headers_as_received(response: requests.Response) -> list[tuple[str, str]]:
    """The response's header lines in the order received, repeated ones included (urllib3's
    own view groups repeats); Transfer-Encoding renamed, since the body is stored without
    its chunked framing."""
    original = getattr(response.raw, "_original_response", None)
    lines = (
        list(original.msg.items()) if original is not None else list(response.raw.headers.items())
    )
    return [
        (STORED_TRANSFER_ENCODING if name.lower() == "transfer-encoding" else name, value)
        for name, value in lines
    ]
