"""Signing in and out: the sign-in page and form, and the same through the API.

The sign-in form carries a token of its own, matched with a short-lived cookie, so that
another site cannot sign a browser in to an account of its choosing.
"""

from __future__ import annotations

import hmac
import secrets
from typing import Annotated

from fastapi import APIRouter, Depends, Form, Request
from fastapi.responses import RedirectResponse
from starlette.responses import Response

from siteline.services import access, accounts
from siteline.services.accounts import SignInRefused, TooManyAttempts
from siteline.web.models import ERROR_RESPONSES, AccountOut, SessionOut, SignIn
from siteline.web.rendering import render
from siteline.web.security import (
    SESSION_COOKIE,
    CurrentViewer,
    Forbidden,
    Viewer,
    case_of,
    client_address,
    optional_viewer,
)

LOGIN_COOKIE = "siteline_login"
router = APIRouter()


def set_session_cookie(request: Request, response: Response, secret: str) -> None:
    response.set_cookie(
        SESSION_COOKIE,
        secret,
        max_age=int(access.SESSION_LIFETIME.total_seconds()),
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.app.state.secure_cookies,
    )


def clear_session_cookie(request: Request, response: Response) -> None:
    response.delete_cookie(
        SESSION_COOKIE,
        path="/",
        httponly=True,
        samesite="lax",
        secure=request.app.state.secure_cookies,
    )


def safe_next(target: str | None) -> str:
    """Where to go after signing in: a path on this site only, never another site."""
    if not target or not target.startswith("/") or target.startswith(("//", "/\\")):
        return "/"
    return target


def _sign_in(request: Request, name: str, password: str) -> tuple[dict, str, str]:
    case = case_of(request)
    account = accounts.verify_password(case, name, password, client_address(request))
    access.expire_sessions(case)
    secret, csrf_token = access.start_session(case, account["id"])
    return account, secret, csrf_token


@router.get("/login", include_in_schema=False)
def login_page(
    request: Request,
    viewer: Annotated[Viewer | None, Depends(optional_viewer)],
    next: str = "/",
) -> Response:
    if viewer is not None:
        return RedirectResponse(safe_next(next), status_code=303)
    return _login_form(request, next)


def _login_form(request: Request, next: str, error: str | None = None, status: int = 200):
    form_token = secrets.token_urlsafe(32)
    response = render(
        request,
        "login.html",
        None,
        status,
        next=safe_next(next),
        form_token=form_token,
        error=error,
    )
    response.set_cookie(
        LOGIN_COOKIE,
        form_token,
        max_age=3600,
        path="/login",
        httponly=True,
        samesite="strict",
        secure=request.app.state.secure_cookies,
    )
    return response


@router.post("/login", include_in_schema=False)
def login_submit(
    request: Request,
    name: Annotated[str, Form(max_length=400)] = "",
    password: Annotated[str, Form(max_length=accounts.MAX_PASSWORD)] = "",
    next: Annotated[str, Form(max_length=2000)] = "/",
    csrf_token: Annotated[str, Form(max_length=200)] = "",
) -> Response:
    expected = request.cookies.get(LOGIN_COOKIE, "")
    if not expected or not hmac.compare_digest(csrf_token.encode(), expected.encode()):
        raise Forbidden("csrf: the sign-in form has expired; reload the page and try again")
    try:
        _, secret, _ = _sign_in(request, name, password)
    except TooManyAttempts as refusal:
        return _login_form(request, next, str(refusal), 429)
    except SignInRefused as refusal:
        return _login_form(request, next, str(refusal), 401)
    response = RedirectResponse(safe_next(next), status_code=303)
    set_session_cookie(request, response, secret)
    response.delete_cookie(LOGIN_COOKIE, path="/login")
    return response


@router.post("/logout", include_in_schema=False)
def logout(request: Request, viewer: CurrentViewer) -> Response:
    if viewer.via == "session":
        access.end_session(viewer.case, request.cookies[SESSION_COOKIE])
    response = RedirectResponse("/login", status_code=303)
    clear_session_cookie(request, response)
    return response


@router.post("/api/session", response_model=SessionOut, responses=ERROR_RESPONSES, tags=["session"])
def api_sign_in(request: Request, response: Response, body: SignIn) -> SessionOut:
    """Sign in: sets the session cookie and returns the CSRF token every change needs."""
    account, secret, csrf_token = _sign_in(request, body.name, body.password)
    set_session_cookie(request, response, secret)
    return SessionOut(csrf_token=csrf_token, account=AccountOut(**account))


@router.delete("/api/session", status_code=204, responses=ERROR_RESPONSES, tags=["session"])
def api_sign_out(request: Request, viewer: CurrentViewer) -> Response:
    """Sign out: ends the session (with a token, there is no session to end)."""
    response = Response(status_code=204)
    if viewer.via == "session":
        access.end_session(viewer.case, request.cookies[SESSION_COOKIE])
        clear_session_cookie(request, response)
    return response
