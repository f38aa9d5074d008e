"""API tokens through the API: one's own, listed, created (the secret shown once) and
revoked. Another person's tokens are revoked from the command line
(`siteline token revoke`)."""

from __future__ import annotations

from fastapi import APIRouter

from siteline.domain.roles import Permission
from siteline.services import access
from siteline.web.models import ERROR_RESPONSES, RecordId, TokenCreated, TokenOut, TokenRequest
from siteline.web.security import CurrentViewer, allowed

router = APIRouter(prefix="/api/tokens", tags=["tokens"], responses=ERROR_RESPONSES)
MayHoldTokens = allowed(Permission.OWN_TOKENS)


@router.get("", response_model=list[TokenOut])
def list_own_tokens(viewer: CurrentViewer) -> list[dict]:
    """The signed-in person's tokens (never their secrets)."""
    return access.list_tokens(viewer.case, viewer.account_id)


@router.post("", response_model=TokenCreated, status_code=201)
def create_token(body: TokenRequest, viewer: MayHoldTokens) -> TokenCreated:
    """A new token for the signed-in person; its secret is in this answer only."""
    token, secret = access.create_token(viewer.case, viewer.name, body.label)
    return TokenCreated(token=TokenOut(**token), secret=secret)


@router.delete("/{token_id}", response_model=TokenOut)
def revoke_token(token_id: RecordId, viewer: CurrentViewer) -> dict:
    """Revokes one of one's own tokens."""
    access.revoke_token(viewer.case, token_id, account_id=viewer.account_id)
    own = access.list_tokens(viewer.case, viewer.account_id)
    return next(token for token in own if token["id"] == token_id)
