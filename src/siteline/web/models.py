"""The shapes of what the API takes and gives, for validation and the OpenAPI document.

Routers declare `responses=ERROR_RESPONSES` so that every refusal they may give is in the
document, and take record numbers as `RecordId` so that no number a database cannot hold
reaches one (a refusal, not a server error).
"""

from __future__ import annotations

from typing import Annotated

from fastapi import Path
from pydantic import BaseModel, Field

from siteline.services.access import MAX_LABEL
from siteline.services.accounts import MAX_NAME, MAX_PASSWORD

# The largest id every back end stores (PostgreSQL's INTEGER).
MAX_ID = 2**31 - 1
RecordId = Annotated[int, Path(ge=1, le=MAX_ID, description="A record's number.")]


class ErrorOut(BaseModel):
    error: str = Field(description="What was wrong, and where.")
    field: str | None = None


ERROR_RESPONSES: dict[int | str, dict] = {
    status: {"model": ErrorOut, "description": description}
    for status, description in (
        (400, "Refused: the case's state does not allow it."),
        (401, "Not signed in: no valid session cookie or bearer token."),
        (403, "Not permitted for this role, or the CSRF token is missing."),
        (404, "No such record."),
        (409, "Already exists, or conflicts with the case's state."),
        (422, "Invalid input: the message names the field."),
        (429, "Too many failed sign-ins; try again later."),
    )
}


class AccountOut(BaseModel):
    id: int
    name: str
    role: str
    created_at: str
    disabled_at: str | None = None


class MeOut(BaseModel):
    id: int
    name: str
    role: str
    via: str = Field(description="How this request is signed in: session or token.")
    permissions: list[str]
    sensitivities: list[str] = Field(description="The sensitivities of items this role sees.")
    may_open_sealed: bool = Field(description="Confidential material can be opened now.")


class SignIn(BaseModel):
    name: str = Field(max_length=MAX_NAME * 4)
    password: str = Field(max_length=MAX_PASSWORD)


class SessionOut(BaseModel):
    csrf_token: str = Field(description="Send it as X-CSRF-Token with every change.")
    account: AccountOut


class TokenRequest(BaseModel):
    label: str = Field(min_length=1, max_length=MAX_LABEL, description="What it is for.")


class TokenOut(BaseModel):
    id: int
    account: str
    label: str
    created_at: str
    last_used_at: str | None = None
    revoked_at: str | None = None


class TokenCreated(BaseModel):
    token: TokenOut
    secret: str = Field(description="The token itself; shown only this once.")


class CaseOut(BaseModel):
    name: str
    backend: str
    counts: dict[str, int]
