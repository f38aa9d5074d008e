"""Who is asking: the signed-in person behind a request, and what they may do.

A request is signed in by a session cookie (set at sign-in, HttpOnly, SameSite=Lax, Secure
when the workbench is served over TLS) or by `Authorization: Bearer <token>`. A request
that changes something (POST, PUT, PATCH, DELETE) on the strength of a cookie must also
carry the session's CSRF token, in the `X-CSRF-Token` header or a `csrf_token` form field,
because a browser sends cookies with requests another site makes; a bearer token is never
sent by a browser on its own, so token requests need none.

Routes take the person as a dependency:

    def route(viewer: CurrentViewer): ...          # anyone signed in
    Editor = allowed(Permission.EDIT)             # at module level, then
    def route(viewer: Editor): ...                # refused (403) without the permission

and work on `viewer.case`, the case as that person, so the audit chain names them.
"""

from __future__ import annotations

import dataclasses
import hmac
from dataclasses import dataclass
from typing import Annotated

from fastapi import Depends, Request
from fastapi.security import APIKeyCookie, HTTPAuthorizationCredentials, HTTPBearer
from starlette.concurrency import run_in_threadpool

from siteline.domain.roles import Permission, can, visible_sensitivities
from siteline.domain.vocabularies import Sensitivity
from siteline.errors import SitelineError
from siteline.services import access
from siteline.store.case_folder import Case

SESSION_COOKIE = "siteline_session"
CSRF_HEADER = "X-CSRF-Token"
CSRF_FIELD = "csrf_token"
UNSAFE_METHODS = frozenset({"POST", "PUT", "PATCH", "DELETE"})


class NotSignedIn(SitelineError):
    """No valid session or token: HTTP 401 for the API, the sign-in page for pages."""


class Forbidden(SitelineError):
    """Signed in, but the role does not permit this, or the CSRF token is missing: 403."""


@dataclass(frozen=True)
class Viewer:
    """The signed-in person of one request."""

    account_id: int
    name: str
    role: str
    case: Case  # the case as this person: its audit entries name them
    via: str  # "session" or "token"
    csrf_token: str | None = None  # the session's; None for a token

    def can(self, permission: Permission | str) -> bool:
        return can(self.role, permission)

    @property
    def sensitivities(self) -> frozenset[Sensitivity]:
        """The sensitivities this person may see. Confidential material also needs the
        case key, loaded when the workbench started (see `may_open_sealed`)."""
        return visible_sensitivities(self.role)

    @property
    def may_open_sealed(self) -> bool:
        return Sensitivity.CONFIDENTIAL in self.sensitivities and self.case.sealer.has_key

    def require(self, permission: Permission | str) -> None:
        if not self.can(permission):
            raise Forbidden(f"permission: a {self.role} may not {Permission(permission).value}")


# Declared as security schemes so that the OpenAPI document says how to sign in; neither
# refuses on its own (auto_error=False): `current_viewer` decides.
_bearer = HTTPBearer(auto_error=False, description="An API token from 'siteline token add'.")
_cookie = APIKeyCookie(name=SESSION_COOKIE, auto_error=False, description="A web session.")


def case_of(request: Request) -> Case:
    return request.app.state.case


def client_address(request: Request) -> str:
    return request.client.host if request.client else "unknown"


async def optional_viewer(
    request: Request,
    bearer: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
    cookie: Annotated[str | None, Depends(_cookie)],
) -> Viewer | None:
    """The signed-in person, or None; refuses an unsafe cookie request without its CSRF
    token."""
    case = case_of(request)
    if bearer is not None:
        account = await run_in_threadpool(access.account_for_token, case, bearer.credentials)
        if account is None:
            raise NotSignedIn("token: unknown, revoked, or its account is disabled")
        return _viewer(case, account, "token")
    if not cookie:
        return None
    session = await run_in_threadpool(access.find_session, case, cookie)
    if session is None:
        return None
    if request.method in UNSAFE_METHODS:
        await _check_csrf(request, session["csrf_token"])
    return _viewer(case, session, "session", session["csrf_token"])


async def current_viewer(viewer: Annotated[Viewer | None, Depends(optional_viewer)]) -> Viewer:
    if viewer is None:
        raise NotSignedIn("sign in first: no session, or it has ended")
    return viewer


CurrentViewer = Annotated[Viewer, Depends(current_viewer)]


def require(permission: Permission | str):
    """A dependency giving the signed-in person, refusing (403) one whose role lacks
    `permission`."""
    permission = Permission(permission)

    def dependency(viewer: CurrentViewer) -> Viewer:
        viewer.require(permission)
        return viewer

    return dependency


def allowed(permission: Permission | str):
    """The type of a route parameter that is the signed-in person, refused (403) unless
    their role has `permission`: `Editor = allowed(Permission.EDIT)` at module level."""
    return Annotated[Viewer, Depends(require(permission))]


def _viewer(case: Case, account: dict, via: str, csrf_token: str | None = None) -> Viewer:
    return Viewer(
        account_id=account["id"],
        name=account["name"],
        role=account["role"],
        case=dataclasses.replace(case, actor=account["name"]),
        via=via,
        csrf_token=csrf_token,
    )


async def _check_csrf(request: Request, expected: str) -> None:
    given = request.headers.get(CSRF_HEADER)
    if given is None and _is_form(request):
        given = (await request.form()).get(CSRF_FIELD)
    if not isinstance(given, str) or not hmac.compare_digest(
        given.encode("utf-8", "replace"), expected.encode()
    ):
        raise Forbidden(
            f"csrf: a change made with a session cookie needs the session's CSRF token "
            f"(the {CSRF_HEADER} header or the {CSRF_FIELD} form field)"
        )


def _is_form(request: Request) -> bool:
    kind = request.headers.get("content-type", "").split(";")[0].strip().lower()
    return kind in ("application/x-www-form-urlencoded", "multipart/form-data")
