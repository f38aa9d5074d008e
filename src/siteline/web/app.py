"""The web workbench: one FastAPI application over one open case.

It holds no domain logic: every route calls the same services as the command line, on
the case as the signed-in person (`Viewer.case`), so the audit chain names them.

Routes live in modules named `routes_<topic>.py` in this package, each with a
`router = APIRouter(...)` and, for pages in the navigation, `NAV = [NavItem(...)]`;
`create_app` includes every such module, so adding a module is all it takes.
"""

from __future__ import annotations

import importlib
import pkgutil
from urllib.parse import urlsplit

from fastapi import FastAPI
from fastapi.staticfiles import StaticFiles
from starlette.datastructures import MutableHeaders
from starlette.types import ASGIApp, Message, Receive, Scope, Send

from siteline import __version__
from siteline.errors import InvalidInput
from siteline.services import cases
from siteline.store.case_folder import Case
from siteline.web import errors
from siteline.web.rendering import STATIC

ROUTE_MODULE_PREFIX = "routes_"
# FastAPI's own telemetry stays off: nothing about a request leaves the workbench.
NO_TELEMETRY = {
    "tracing": False,
    "metrics": False,
    "logs": False,
    "operation_spans": False,
    "auto_configure": False,
}


def create_app(case: Case, *, tile_url: str | None = None, secure_cookies: bool = False) -> FastAPI:
    """The workbench over `case` (opened, and later closed, by the caller). `tile_url` is a
    map tile template (https://host/{z}/{x}/{y}.png) the map pages may load images from;
    `secure_cookies` marks the session cookie Secure (served over TLS)."""
    tile_origin = _origin_of(tile_url) if tile_url else None
    app = FastAPI(
        title="Siteline",
        version=__version__,
        description="The Siteline workbench API: everything the pages do. Sign in with "
        "POST /api/session (a cookie, and a CSRF token for changes) or send "
        "`Authorization: Bearer <token>` (see 'siteline token add').",
        openapi_url="/api/openapi.json",
        docs_url=None,  # FastAPI's page loads its scripts from a CDN; /api/docs is ours
        redoc_url=None,
        telemetry=NO_TELEMETRY,
    )
    app.state.case = case
    app.state.case_name = cases.case_record(case)["name"]
    app.state.tile_url = tile_url
    app.state.secure_cookies = secure_cookies
    app.state.nav = []
    for module in route_modules():
        app.include_router(module.router)
        app.state.nav.extend(getattr(module, "NAV", ()))
    app.state.nav.sort(key=lambda item: item.order)
    app.mount("/static", StaticFiles(directory=STATIC), name="static")
    errors.install(app)
    app.add_middleware(SecurityHeaders, headers=security_headers(tile_origin))
    return app


def route_modules() -> list:
    """Every `routes_*` module of this package, in the order of their names."""
    package = importlib.import_module(__package__)
    names = sorted(
        info.name
        for info in pkgutil.iter_modules(package.__path__)
        if info.name.startswith(ROUTE_MODULE_PREFIX)
    )
    return [importlib.import_module(f"{__package__}.{name}") for name in names]


def _origin_of(tile_url: str) -> str:
    parts = urlsplit(tile_url)
    if parts.scheme not in ("http", "https") or not parts.hostname:
        raise InvalidInput("--tile-url", f"{tile_url!r} is not an http(s) URL")
    return f"{parts.scheme}://{parts.netloc}"


def security_headers(tile_origin: str | None) -> dict[str, str]:
    images = "'self' data:" + (f" {tile_origin}" if tile_origin else "")
    policy = (
        "default-src 'self'; "
        f"img-src {images}; "
        "object-src 'none'; base-uri 'self'; form-action 'self'; frame-ancestors 'none'"
    )
    return {
        "Content-Security-Policy": policy,
        "X-Content-Type-Options": "nosniff",
        "Referrer-Policy": "same-origin",
        "X-Frame-Options": "DENY",
        "Cross-Origin-Opener-Policy": "same-origin",
    }


class SecurityHeaders:
    """Adds the security headers to every answer, and keeps pages and API answers (which
    may hold restricted material) out of every cache."""

    def __init__(self, app: ASGIApp, headers: dict[str, str]):
        self.app = app
        self.headers = headers

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        static = scope["path"].startswith("/static/")

        async def send_with_headers(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in self.headers.items():
                    headers[name] = value
                if not static:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, send_with_headers)
