"""How a signed-in person is recognised: API tokens and web sessions.

A token or session secret is random, shown once, and stored only as its SHA-256: whoever
reads the database cannot act as anyone. Creating and revoking a token is audited (its
label and owner, never its secret or digest); sessions are operational records.
"""

from __future__ import annotations

import hashlib
import secrets
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete, insert, select, update

from siteline.errors import InvalidInput, NotFound
from siteline.services.accounts import get_account, is_plain_text, stored_time
from siteline.store.case_folder import Case
from siteline.store.schema import accounts, api_tokens, token_secrets, web_sessions
from siteline.store.transaction import utc_now_stored

TOKEN_PREFIX = "stl_"  # so a leaked token is recognisable in logs and secret scanners
MAX_LABEL = 200
SESSION_LIFETIME = timedelta(hours=12)
LAST_USE_STEP = timedelta(minutes=1)  # a token's last use is written at most this often


def digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


# API tokens.


def create_token(case: Case, name: str, label: str) -> tuple[dict, str]:
    """A new token for the account `name`: its record and its secret, which is shown only
    this once."""
    label = (label or "").strip()
    if not label:
        raise InvalidInput("label", "a token needs a label saying what it is for")
    if len(label) > MAX_LABEL:
        raise InvalidInput("label", f"at most {MAX_LABEL} characters, not {len(label)}")
    if not is_plain_text(label):
        raise InvalidInput("label", "no control characters in a label")
    account = get_account(case, name)
    if account["disabled_at"]:
        raise InvalidInput("name", f"the account {name!r} is disabled")
    secret = TOKEN_PREFIX + secrets.token_urlsafe(32)
    with case.write() as transaction:
        token = transaction.insert("token", {"account_id": account["id"], "label": label})
        transaction.connection.execute(
            insert(token_secrets).values(token_id=token["id"], token_sha256=digest(secret))
        )
    return _shown(token, account["name"], None), secret


def revoke_token(case: Case, token_id: int, account_id: int | None = None) -> dict:
    """Revokes a token; with `account_id`, only one of that account's own."""
    with case.write() as transaction:
        token = transaction.get("token", token_id)
        if token is None or (account_id is not None and token["account_id"] != account_id):
            raise NotFound(f"token: no token #{token_id} in this case")
        if token["revoked_at"]:
            return token
        return transaction.update("token", token_id, {"revoked_at": utc_now_stored()}, "revoke")


def list_tokens(case: Case, account_id: int | None = None) -> list[dict]:
    """Tokens with their owner's name and last use (never a secret); all, or one account's."""
    query = (
        select(api_tokens, accounts.c.name, token_secrets.c.last_used_at)
        .join(accounts, accounts.c.id == api_tokens.c.account_id)
        .join(token_secrets, token_secrets.c.token_id == api_tokens.c.id)
        .order_by(api_tokens.c.id)
    )
    if account_id is not None:
        query = query.where(api_tokens.c.account_id == account_id)
    with case.read() as connection:
        rows = connection.execute(query).mappings().all()
    return [_shown(row, row["name"], row["last_used_at"]) for row in rows]


def _shown(token: dict, account_name: str, last_used_at: str | None) -> dict:
    return {
        "id": token["id"],
        "account": account_name,
        "label": token["label"],
        "created_at": token["created_at"],
        "last_used_at": last_used_at,
        "revoked_at": token["revoked_at"],
    }


def account_for_token(case: Case, secret: str) -> dict | None:
    """The active account a token belongs to, or None for an unknown, revoked or disabled
    one. Notes when the token was last used."""
    query = (
        select(accounts, token_secrets.c.token_id, token_secrets.c.last_used_at)
        .join(api_tokens, api_tokens.c.id == token_secrets.c.token_id)
        .join(accounts, accounts.c.id == api_tokens.c.account_id)
        .where(
            token_secrets.c.token_sha256 == digest(secret),
            api_tokens.c.revoked_at.is_(None),
            accounts.c.disabled_at.is_(None),
            accounts.c.deleted_at.is_(None),
        )
    )
    with case.read() as connection:
        row = connection.execute(query).mappings().first()
    if row is None:
        return None
    now = datetime.now(UTC)
    if row["last_used_at"] is None or row["last_used_at"] < stored_time(now - LAST_USE_STEP):
        with case.engine.begin() as connection:
            connection.execute(
                update(token_secrets)
                .where(token_secrets.c.token_id == row["token_id"])
                .values(last_used_at=stored_time(now))
            )
    return {key: row[key] for key in accounts.c.keys()}  # noqa: SIM118 (names)


# Web sessions.


def start_session(case: Case, account_id: int) -> tuple[str, str]:
    """A new session for the account: (the cookie's secret, the session's CSRF token)."""
    secret, csrf_token = secrets.token_urlsafe(32), secrets.token_urlsafe(32)
    now = datetime.now(UTC)
    with case.engine.begin() as connection:
        connection.execute(
            insert(web_sessions).values(
                token_sha256=digest(secret),
                account_id=account_id,
                csrf_token=csrf_token,
                created_at=stored_time(now),
                expires_at=stored_time(now + SESSION_LIFETIME),
            )
        )
    return secret, csrf_token


def find_session(case: Case, secret: str) -> dict | None:
    """The live session a cookie names, with its account, or None (unknown, ended, expired,
    or its account disabled)."""
    query = (
        select(accounts, web_sessions.c.csrf_token, web_sessions.c.expires_at)
        .join(accounts, accounts.c.id == web_sessions.c.account_id)
        .where(
            web_sessions.c.token_sha256 == digest(secret),
            web_sessions.c.ended_at.is_(None),
            web_sessions.c.expires_at > utc_now_stored(),
            accounts.c.disabled_at.is_(None),
            accounts.c.deleted_at.is_(None),
        )
    )
    with case.read() as connection:
        row = connection.execute(query).mappings().first()
    return dict(row) if row else None


def end_session(case: Case, secret: str) -> None:
    with case.engine.begin() as connection:
        connection.execute(
            update(web_sessions)
            .where(web_sessions.c.token_sha256 == digest(secret), web_sessions.c.ended_at.is_(None))
            .values(ended_at=utc_now_stored())
        )


def expire_sessions(case: Case) -> int:
    """Removes sessions that ended or expired; returns how many."""
    now = utc_now_stored()
    with case.engine.begin() as connection:
        result = connection.execute(
            delete(web_sessions).where(
                web_sessions.c.ended_at.is_not(None) | (web_sessions.c.expires_at <= now)
            )
        )
    return result.rowcount
