"""HTTP that never reaches this machine or its network.

Content and URLs from the web are hostile: a page, a catalogue, a link in either or a
redirect may name 127.0.0.1, a private network or a cloud's metadata service
(169.254.169.254). Every URL must be http(s) to a host whose every address is public
(`check_url`); every connection is checked again against the address it actually reached,
before a byte is sent (`checked_session`), so that a redirect or a name that resolves
differently the second time is refused too. Host names given in `allow_private_hosts` are
exempt: each caller decides where that list comes from (an environment variable for a
catalogue on one's own network, an explicit argument in tests).

Connections made through a proxy (HTTP(S)_PROXY, read by sessions that trust the
environment) are checked by the URL only: the proxy resolves the name.
"""

from __future__ import annotations

import ipaddress
import os
import socket
from urllib.parse import urljoin, urlsplit

import requests
from requests.adapters import HTTPAdapter
from requests.cookies import extract_cookies_to_jar
from urllib3.connection import HTTPConnection, HTTPSConnection
from urllib3.connectionpool import HTTPConnectionPool, HTTPSConnectionPool
from urllib3.exceptions import NewConnectionError

from siteline import __version__
from siteline.errors import InvalidInput

USER_AGENT = f"siteline/{__version__}"
MAX_REDIRECTS = 5


def hosts_from_environment(variable: str) -> frozenset[str]:
    """The comma-separated host names in an environment variable, lower-cased."""
    text = os.environ.get(variable, "")
    return frozenset(name.strip().lower() for name in text.split(",") if name.strip())


def check_url(url: str, allow_private_hosts: frozenset[str] = frozenset()) -> str:
    """The URL, if it is http(s) to a host whose every address is public (or allowed)."""
    parts = urlsplit(str(url))
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput(str(url), "only http and https URLs are read")
    host = parts.hostname.lower()
    if host in {name.lower() for name in allow_private_hosts}:
        return url
    try:
        port = parts.port or (443 if parts.scheme == "https" else 80)
        found = socket.getaddrinfo(host, port, type=socket.SOCK_STREAM)
    except (socket.gaierror, ValueError) as error:
        raise InvalidInput(url, f"the host cannot be resolved ({error})") from None
    for *_, address in found:
        if not is_public_address(address[0]):
            where = host if address[0] == host else f"{host} is at {address[0]}:"
            raise InvalidInput(url, f"{where} not a public address: refused")
    return url


def is_public_address(text: str) -> bool:
    address = ipaddress.ip_address(text.split("%")[0])  # drop an IPv6 zone
    if address.version == 6 and address.ipv4_mapped:
        address = address.ipv4_mapped
    return address.is_global and not (
        address.is_private
        or address.is_loopback
        or address.is_link_local
        or address.is_multicast
        or address.is_reserved
        or address.is_unspecified
    )


def checked_session(
    allow_private_hosts: frozenset[str] = frozenset(), *, follow_redirects: bool = True
) -> requests.Session:
    """A session whose every connection's peer is checked. With `follow_redirects`, each
    redirect's target is checked before it is followed; without, the caller follows and
    checks redirects itself, sending each request with `send_once`."""
    allowed = frozenset(name.lower() for name in allow_private_hosts)
    session = requests.Session()
    session.headers["User-Agent"] = USER_AGENT
    session.mount("http://", _CheckedAdapter(allowed))
    session.mount("https://", _CheckedAdapter(allowed))
    session.max_redirects = MAX_REDIRECTS
    if follow_redirects:
        session.hooks["response"].append(_redirect_check(allowed))
    return session


def send_once(
    session: requests.Session, request: requests.PreparedRequest, timeout: tuple[float, float]
) -> requests.Response:
    """One request, its response streamed and not followed, whatever its status. Not
    Session.send: even told not to follow a redirect, it reads the redirect's whole body
    (with no size limit) to prepare the next request."""
    response = session.get_adapter(request.url).send(request, stream=True, timeout=timeout)
    extract_cookies_to_jar(session.cookies, request, response.raw)
    return response


def _redirect_check(allowed: frozenset[str]):
    def check_redirect(response, *args, **kwargs):
        if response.is_redirect:
            try:
                check_url(urljoin(response.url, response.headers["location"]), allowed)
            except InvalidInput as refusal:
                raise InvalidInput(response.url, f"redirects to {refusal}") from None

    return check_redirect


def peer_address(response: requests.Response) -> str | None:
    """The address a streamed response came from (before its body is read to the end and
    the connection goes back to the pool); None where it is not known (through a proxy)."""
    connection = getattr(response.raw, "connection", None)
    return getattr(connection, "peer_address", None)


def failure_reason(error: BaseException) -> str:
    """The root of a chain of wrapped errors, short: '[Errno 111] Connection refused'."""
    while error.__cause__ or error.__context__:
        error = error.__cause__ or error.__context__
    if isinstance(error, NewConnectionError):  # its text starts with the connection's repr
        return str(error).partition(": ")[2]
    return str(error)


def is_peer_refusal(error: BaseException) -> bool:
    """Whether a (wrapped) error is a connection refused for reaching a private address."""
    while error is not None:
        if isinstance(error, PeerRefused):
            return True
        error = error.__cause__ or error.__context__
    return False


class PeerRefused(NewConnectionError):
    """A connection that reached an address that is not public."""


class _CheckedAdapter(HTTPAdapter):
    """Connections whose peer is checked once connected, before a byte is sent: a name
    that resolved to a public address for check_url may resolve elsewhere now."""

    def __init__(self, allow_private_hosts: frozenset[str]):
        self.allow_private_hosts = allow_private_hosts  # init_poolmanager needs it
        super().__init__(max_retries=0)

    def init_poolmanager(self, *args, **kwargs):
        super().init_poolmanager(*args, **kwargs)
        extra = {"allow_private_hosts": self.allow_private_hosts}
        plain = type("Checked", (_PeerCheck, HTTPConnection), extra)
        secure = type("CheckedTLS", (_PeerCheck, HTTPSConnection), extra)
        self.poolmanager.pool_classes_by_scheme = {
            "http": type("CheckedPool", (HTTPConnectionPool,), {"ConnectionCls": plain}),
            "https": type("CheckedTLSPool", (HTTPSConnectionPool,), {"ConnectionCls": secure}),
        }


class _PeerCheck:
    allow_private_hosts: frozenset[str] = frozenset()
    peer_address: str | None = None  # kept for the record (a WARC's WARC-IP-Address)

    def _new_conn(self):
        sock = super()._new_conn()
        peer = sock.getpeername()[0]
        if self.host.lower() not in self.allow_private_hosts and not is_public_address(peer):
            sock.close()
            raise PeerRefused(self, f"{self.host} connected to {peer}, not public")
        self.peer_address = peer
        return sock
