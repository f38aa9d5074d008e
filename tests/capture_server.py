"""A web server on loopback for the capture tests: pages and media given by the test, and
misbehaving answers (redirects anywhere, slow, trickling, endless or huge), with every
request it was sent kept as received."""

from __future__ import annotations

import contextlib
import gzip
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qs, urlsplit


@dataclass
class Site:
    """What a server serves and what it saw. `files`: path -> (content type, body);
    `seen`: (path, request line, header lines in order) for each request received."""

    files: dict[str, tuple[str, bytes]] = field(default_factory=dict)
    seen: list[tuple[str, str, list[tuple[str, str]]]] = field(default_factory=list)
    base: str = ""

    def url(self, path: str) -> str:
        return self.base + path

    def paths_seen(self) -> list[str]:
        return [path for path, _, _ in self.seen]


@contextmanager
def serving(site: Site | None = None) -> Iterator[Site]:
    """The site served on 127.0.0.1 on a port of its own until the block ends."""
    site = site or Site()
    handler = type("Handler", (_Handler,), {"site": site})
    server = ThreadingHTTPServer(("127.0.0.1", 0), handler)
    site.base = f"http://127.0.0.1:{server.server_address[1]}"
    # A short poll, so that shutting the server down takes a moment, not half a second.
    threading.Thread(target=server.serve_forever, args=(0.05,), daemon=True).start()
    try:
        yield site
    finally:
        server.shutdown()
        server.server_close()


class _Handler(BaseHTTPRequestHandler):
    """Files, and these answers, their arguments in the query:
    /redirect?to=URL[&status=302]   a redirect to any URL
    /loop                           a redirect to itself
    /chain?hops=N                   N redirects, then a page
    /slow?seconds=S                 headers only after S seconds
    /trickle?bytes=N&every=S        N bytes, one every S seconds (no Content-Length)
    /large?bytes=N[&declared=0]     N bytes, with a Content-Length unless declared=0
    /chunked                        a body in three chunks (Transfer-Encoding: chunked)
    /gzip                           a gzip-compressed HTML page naming /image.png
    """

    site: Site
    protocol_version = "HTTP/1.1"

    def do_GET(self):
        line = self.raw_requestline.decode("latin-1").rstrip("\r\n")
        self.site.seen.append((self.path, line, list(self.headers.items())))
        parts = urlsplit(self.path)
        query = {key: values[0] for key, values in parse_qs(parts.query).items()}
        answer = getattr(self, "_" + parts.path.strip("/"), None)
        if parts.path in self.site.files:
            self._send(200, *self.site.files[parts.path])
        elif answer is not None and parts.path.count("/") == 1:
            answer(**query)
        else:
            self._send(404, "text/plain", b"not here")

    def handle(self):
        with contextlib.suppress(BrokenPipeError, ConnectionResetError):
            super().handle()  # a client that gives up, as the tests want, is no error

    def log_message(self, format, *args):
        pass  # quiet tests

    def _send(self, status: int, content_type: str, body: bytes, **headers: str):
        self.send_response(status)
        self.send_header("Content-Type", content_type)
        self.send_header("Content-Length", str(len(body)))
        for name, value in headers.items():
            self.send_header(name.replace("_", "-"), value)
        self.end_headers()
        self.wfile.write(body)

    def _redirect(self, to: str, status: str = "302"):
        self._send(int(status), "text/plain", b"moved", Location=to)

    def _loop(self):
        self._redirect("/loop")

    def _chain(self, hops: str):
        left = int(hops)
        if left:
            self._redirect(f"/chain?hops={left - 1}")
        else:
            self._send(200, "text/html", b"<title>End of the chain</title>")

    def _slow(self, seconds: str, n: str = ""):  # n: to name several slow URLs
        time.sleep(float(seconds))
        self._send(200, "text/plain", b"late")

    def _trickle(self, bytes: str, every: str):
        self.send_response(200)
        self.send_header("Content-Type", "application/octet-stream")
        self.send_header("Connection", "close")
        self.end_headers()
        for _ in range(int(bytes)):
            self.wfile.write(b"x")
            self.wfile.flush()
            time.sleep(float(every))
        self.close_connection = True

    def _large(self, bytes: str, declared: str = "1"):
        size = int(bytes)
        self.send_response(200)
        self.send_header("Content-Type", "video/mp4")
        if declared == "1":
            self.send_header("Content-Length", str(size))
        else:
            self.send_header("Connection", "close")
            self.close_connection = True
        self.end_headers()
        block = b"\0" * 65536
        for start in range(0, size, len(block)):
            self.wfile.write(block[: size - start])

    def _chunked(self):
        self.send_response(200)
        self.send_header("Content-Type", "text/plain")
        self.send_header("Transfer-Encoding", "chunked")
        self.end_headers()
        for piece in (b"first ", b"second ", b"third"):
            self.wfile.write(b"%x\r\n%s\r\n" % (len(piece), piece))
        self.wfile.write(b"0\r\n\r\n")

    def _gzip(self):
        body = gzip.compress(b"<title>Packed</title><img src='/image.png'>")
        self._send(200, "text/html", body, Content_Encoding="gzip")
