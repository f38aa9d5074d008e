"""Errors as answers: JSON `{"error": ...}` under /api, an HTML page elsewhere.

Bad input is never a server error: a refusal names what was wrong with a 4xx status. A
request that is not signed in gets 401 from the API and is sent to the sign-in page from
a page. Whatever a request body held is never echoed back (it may be a password).
"""

from __future__ import annotations

import logging
from urllib.parse import quote

from fastapi import FastAPI, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, RedirectResponse
from starlette.exceptions import HTTPException
from starlette.responses import Response

from siteline.errors import (
    BundleError,
    CaseError,
    Duplicate,
    InvalidInput,
    KeyRequired,
    NotFound,
    SitelineError,
)
from siteline.services.accounts import FAILURE_WINDOW, SignInRefused, TooManyAttempts
from siteline.web.rendering import render
from siteline.web.security import Forbidden, NotSignedIn

log = logging.getLogger("siteline.web")

# The first match in order gives the status, so subclasses come before their bases.
STATUS_OF_ERROR: tuple[tuple[type[SitelineError], int], ...] = (
    (TooManyAttempts, 429),
    (SignInRefused, 401),
    (NotSignedIn, 401),
    (Forbidden, 403),
    (KeyRequired, 403),
    (InvalidInput, 422),
    (NotFound, 404),
    (Duplicate, 409),
    (CaseError, 409),
    (BundleError, 400),
    (SitelineError, 400),
)


def is_api(request: Request) -> bool:
    path = request.url.path
    return path == "/api" or path.startswith("/api/")


def status_of(error: SitelineError) -> int:
    return next(status for kind, status in STATUS_OF_ERROR if isinstance(error, kind))


def install(app: FastAPI) -> None:
    app.add_exception_handler(SitelineError, _siteline_error)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(HTTPException, _http_error)
    app.add_exception_handler(Exception, _server_error)


async def _siteline_error(request: Request, error: SitelineError) -> Response:
    status = status_of(error)
    if isinstance(error, NotSignedIn) and not is_api(request):
        return RedirectResponse(f"/login?next={quote(request.url.path)}", status_code=303)
    headers = {}
    if status == 401:
        headers["WWW-Authenticate"] = 'Bearer realm="siteline"'
    if status == 429:
        headers["Retry-After"] = str(int(FAILURE_WINDOW.total_seconds()))
    body: dict = {"error": str(error)}
    if isinstance(error, InvalidInput):
        body["field"] = error.field
    return _answer(request, status, body, headers)


async def _invalid_request(request: Request, error: RequestValidationError) -> Response:
    problems = [
        {"field": ".".join(str(part) for part in problem.get("loc", ())), "problem": problem["msg"]}
        for problem in error.errors()
    ]
    message = "; ".join(f"{p['field']}: {p['problem']}" for p in problems) or "invalid request"
    return _answer(request, 422, {"error": message, "problems": problems})


async def _http_error(request: Request, error: HTTPException) -> Response:
    message = error.detail if isinstance(error.detail, str) else "refused"
    return _answer(request, error.status_code, {"error": message}, dict(error.headers or {}))


async def _server_error(request: Request, error: Exception) -> Response:
    log.error("%s %s failed", request.method, request.url.path, exc_info=error)
    return _answer(request, 500, {"error": "internal error: the server's log has the details"})


def _answer(request: Request, status: int, body: dict, headers: dict | None = None) -> Response:
    if is_api(request):
        return JSONResponse(body, status_code=status, headers=headers)
    return render(
        request,
        "error.html",
        None,
        status_code=status,
        headers=headers,
        message=body["error"],
        status=status,
    )
