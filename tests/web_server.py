"""The web workbench served for real on loopback, for the web tests: uvicorn in a thread
on a port of its own, over a test case, with httpx clients signed in as anyone.

    from web_server import PASSWORD, web_server_fixture  # noqa: F401  (gives `web_server`)

    def test_something(web_server):
        editor = web_server.signed_in("erin", "editor")      # a session, CSRF header set
        robot = web_server.with_token("rob", "viewer")       # a bearer token
        anonymous = web_server.client()
        assert editor.get("/api/me").json()["role"] == "editor"

`serving(case, **options)` is the same as a context manager, for options of
`create_app` (tile_url, secure_cookies).
"""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field

import httpx
import pytest
import uvicorn

from siteline.services import access, accounts
from siteline.store.case_folder import Case
from siteline.web.app import create_app
from siteline.web.security import CSRF_HEADER

PASSWORD = "a long test password"
STARTUP_LIMIT_S = 30.0


@dataclass
class WebServer:
    url: str
    case: Case
    app: object
    _clients: list[httpx.Client] = field(default_factory=list)

    def client(self, **options) -> httpx.Client:
        """A client of the server, signed in as no one, following no redirects."""
        client = httpx.Client(base_url=self.url, follow_redirects=False, **options)
        self._clients.append(client)
        return client

    def add_account(self, name: str, role: str, password: str = PASSWORD) -> dict:
        return accounts.add_account(self.case, name, role, password)

    def signed_in(
        self, name: str, role: str | None = None, password: str = PASSWORD
    ) -> httpx.Client:
        """A client signed in through POST /api/session, sending the session's CSRF token
        with every request. With `role`, the account is made first."""
        if role is not None:
            self.add_account(name, role, password)
        client = self.client()
        answer = client.post("/api/session", json={"name": name, "password": password})
        assert answer.status_code == 200, answer.text
        client.headers[CSRF_HEADER] = answer.json()["csrf_token"]
        return client

    def with_token(self, name: str, role: str | None = None) -> httpx.Client:
        """A client sending `Authorization: Bearer` with a new token of `name` (made
        first with `role`); its `token_id` attribute names the token."""
        if role is not None:
            self.add_account(name, role)
        token, secret = access.create_token(self.case, name, "tests")
        client = self.client(headers={"Authorization": f"Bearer {secret}"})
        client.token_id = token["id"]
        return client

    def close(self) -> None:
        for client in self._clients:
            client.close()


@contextmanager
def serving(case: Case, **options) -> Iterator[WebServer]:
    """The workbench over `case` on 127.0.0.1 until the block ends."""
    app = create_app(case, **options)
    listener = socket.socket(socket.AF_INET, socket.SOCK_STREAM)
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", 0))
    port = listener.getsockname()[1]
    server = uvicorn.Server(
        uvicorn.Config(app, log_level="warning", lifespan="off", server_header=False)
    )
    thread = threading.Thread(target=server.run, kwargs={"sockets": [listener]}, daemon=True)
    thread.start()
    _wait_until_started(server, thread)
    served = WebServer(f"http://127.0.0.1:{port}", case, app)
    try:
        yield served
    finally:
        served.close()
        server.should_exit = True
        thread.join(STARTUP_LIMIT_S)
        listener.close()


def _wait_until_started(server: uvicorn.Server, thread: threading.Thread) -> None:
    deadline = time.monotonic() + STARTUP_LIMIT_S
    while not server.started:
        if not thread.is_alive():
            raise RuntimeError("the test web server stopped while starting")
        if time.monotonic() > deadline:
            raise RuntimeError(f"the test web server did not start in {STARTUP_LIMIT_S} s")
        time.sleep(0.01)


@pytest.fixture(name="web_server")
def web_server_fixture(case) -> Iterator[WebServer]:
    """The workbench over the test case (SQLite, and PostgreSQL where there is one)."""
    with serving(case) as served:
        yield served
