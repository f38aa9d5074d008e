"""The people who may work in a case through the web workbench: accounts with roles,
their passwords (argon2 hashes), and signing in with a limit on failed attempts.

Account changes go through the audited transaction; the password hash lives in its own
table, written in the same transaction but never recorded in the audit chain, so that no
bundle or audit export carries it. Sign-in attempts are operational records, not audited.
API tokens and sessions are in `services.access`.
"""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError
from sqlalchemy import Connection, delete, func, insert, select, update

from siteline.domain.roles import Role, parse_role
from siteline.domain.values import STORED_FORMAT
from siteline.errors import Duplicate, InvalidInput, NotFound, SitelineError
from siteline.store.case_folder import Case
from siteline.store.schema import accounts, credentials, login_attempts, web_sessions
from siteline.store.transaction import utc_now_stored

MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # hashing a megabyte-long "password" would be a cheap denial of service
MAX_NAME = 80
MAX_FAILURES = 5  # failed sign-ins per name, or per address, within the window
FAILURE_WINDOW = timedelta(minutes=15)
ATTEMPTS_KEPT = timedelta(days=30)

_HASHER = PasswordHasher()
_DUMMY_HASH: list[str] = []  # checked against for unknown names, so they take as long


class SignInRefused(SitelineError):
    """A wrong name or password (one message for both), or a disabled account."""

    exit_code = 2


class TooManyAttempts(SitelineError):
    """Too many failed sign-ins for a name or from an address; try again later."""

    exit_code = 2


def stored_time(moment: datetime) -> str:
    return moment.astimezone(UTC).strftime(STORED_FORMAT)


def check_name(name: str) -> str:
    name = (name or "").strip()
    if not name:
        raise InvalidInput("name", "an account needs a name")
    if len(name) > MAX_NAME:
        raise InvalidInput("name", f"at most {MAX_NAME} characters, not {len(name)}")
    if not is_plain_text(name) or any(character.isspace() for character in name):
        raise InvalidInput("name", f"{name!r}: no spaces or control characters in a name")
    return name


def is_plain_text(text: str) -> bool:
    """Printable characters only, which every database stores (a NUL or a lone surrogate
    is neither)."""
    return text.isprintable()


def check_password(password: str) -> str:
    if any("\ud800" <= c <= "\udfff" for c in password) or "\x00" in password:
        raise InvalidInput("password", "holds characters that are not text (a NUL, a surrogate)")
    if len(password) < MIN_PASSWORD:
        raise InvalidInput("password", f"must be at least {MIN_PASSWORD} characters long")
    if len(password) > MAX_PASSWORD:
        raise InvalidInput("password", f"must be at most {MAX_PASSWORD} characters long")
    if not password.strip():
        raise InvalidInput("password", "must not be only spaces")
    return password


def hash_password(password: str) -> str:
    return _HASHER.hash(check_password(password))


def add_account(case: Case, name: str, role: str | Role, password: str) -> dict:
    """Creates an account; returns its record (never the password hash)."""
    name, role = check_name(name), parse_role(role)
    password_hash = hash_password(password)  # slow on purpose: before taking the write lock
    with case.write() as transaction:
        if _account_row(transaction.connection, name) is not None:
            raise Duplicate(f"name: an account named {name!r} already exists")
        account = transaction.insert("account", {"name": name, "role": role.value})
        transaction.connection.execute(
            insert(credentials).values(
                account_id=account["id"],
                password_hash=password_hash,
                updated_at=account["created_at"],
            )
        )
    return account


def list_accounts(case: Case) -> list[dict]:
    with case.read() as connection:
        rows = connection.execute(
            select(accounts).where(accounts.c.deleted_at.is_(None)).order_by(accounts.c.id)
        )
        return [dict(row) for row in rows.mappings()]


def get_account(case: Case, name: str) -> dict:
    with case.read() as connection:
        row = _account_row(connection, name)
    if row is None:
        raise NotFound(f"name: no account {name!r} in this case (see 'siteline user list')")
    return row


def set_role(case: Case, name: str, role: str | Role) -> dict:
    role = parse_role(role)
    with case.write() as transaction:
        account = _require_account(transaction.connection, name)
        if role is not Role.OWNER:
            _keep_an_owner(transaction.connection, account, "change the role of")
        return transaction.update("account", account["id"], {"role": role.value})


def disable(case: Case, name: str) -> dict:
    """Stops an account from signing in or using its tokens, and ends its sessions."""
    with case.write() as transaction:
        account = _require_account(transaction.connection, name)
        if account["disabled_at"]:
            return account
        _keep_an_owner(transaction.connection, account, "disable")
        now = utc_now_stored()
        transaction.connection.execute(
            update(web_sessions)
            .where(web_sessions.c.account_id == account["id"], web_sessions.c.ended_at.is_(None))
            .values(ended_at=now)
        )
        return transaction.update("account", account["id"], {"disabled_at": now}, "disable")


def set_password(case: Case, name: str, password: str) -> dict:
    """Replaces an account's password; the audit chain records that it changed, not how."""
    password_hash = hash_password(password)
    with case.write() as transaction:
        account = _require_account(transaction.connection, name)
        _store_hash(transaction.connection, account["id"], password_hash)
        transaction.record_event("change", "password", account["id"], {"account": name})
    return account


def verify_password(case: Case, name: str, password: str, address: str) -> dict:
    """The account `name` signs in from `address`; returns its record.

    Refused with one message whether the name is unknown or the password wrong, so that a
    guesser learns nothing about which names exist; refused outright after too many
    failures for the name or from the address.
    """
    name, address = _as_recorded(name), (address or "unknown")[:64]
    _refuse_if_limited(case, name, address)
    with case.read() as connection:
        account = _account_row(connection, name)
        stored = None
        if account is not None:
            stored = connection.execute(
                select(credentials.c.password_hash).where(credentials.c.account_id == account["id"])
            ).scalar()
    ok = _password_matches(stored, password)
    _record_attempt(case, name, address, ok)
    if not ok:
        raise SignInRefused("name or password: wrong name or password")
    if account["disabled_at"]:
        raise SignInRefused(f"name: the account {name!r} is disabled")
    if _HASHER.check_needs_rehash(stored):
        with case.engine.begin() as connection:
            _store_hash(connection, account["id"], _HASHER.hash(password))
    return account


def _as_recorded(name: str) -> str:
    """A name as given, made storable for the record of attempts: what cannot be stored
    is escaped (so such a name still counts its failures, and matches no account)."""
    name = (name or "").strip()[:MAX_NAME]
    if is_plain_text(name):
        return name
    return name.encode("unicode_escape").decode("ascii")[:MAX_NAME]


def _password_matches(stored: str | None, password: str) -> bool:
    if not isinstance(password, str) or len(password) > MAX_PASSWORD:
        return False
    try:
        password.encode()
    except UnicodeEncodeError:  # a lone surrogate: no password holds one
        return False
    if stored is None:
        if not _DUMMY_HASH:
            _DUMMY_HASH.append(_HASHER.hash("not any account's password"))
        stored, password = _DUMMY_HASH[0], password + "\x00"  # same work, never a match
    try:
        return _HASHER.verify(stored, password)
    except (VerificationError, InvalidHashError):
        return False


def _refuse_if_limited(case: Case, name: str, address: str) -> None:
    since = stored_time(datetime.now(UTC) - FAILURE_WINDOW)
    failed = login_attempts.c.ok.is_(False) & (login_attempts.c.at >= since)
    with case.read() as connection:
        by_name = connection.execute(
            select(func.count()).where(failed, login_attempts.c.name == name)
        ).scalar()
        by_address = connection.execute(
            select(func.count()).where(failed, login_attempts.c.address == address)
        ).scalar()
    if by_name >= MAX_FAILURES or by_address >= MAX_FAILURES:
        minutes = int(FAILURE_WINDOW.total_seconds() // 60)
        raise TooManyAttempts(
            f"sign-in: too many failed attempts (at most {MAX_FAILURES} in {minutes} minutes "
            "for a name or from an address); wait and try again"
        )


def _record_attempt(case: Case, name: str, address: str, ok: bool) -> None:
    now = datetime.now(UTC)
    with case.engine.begin() as connection:
        connection.execute(
            insert(login_attempts).values(name=name, address=address, at=stored_time(now), ok=ok)
        )
        # Old attempts no longer count for anything; keep the table small.
        connection.execute(
            delete(login_attempts).where(login_attempts.c.at < stored_time(now - ATTEMPTS_KEPT))
        )


def _store_hash(connection: Connection, account_id: int, password_hash: str) -> None:
    """Replaces the hash, or stores the first one (a case restored from a bundle has its
    accounts but, by design, none of their passwords)."""
    values = {"password_hash": password_hash, "updated_at": utc_now_stored()}
    changed = connection.execute(
        update(credentials).where(credentials.c.account_id == account_id).values(**values)
    )
    if not changed.rowcount:
        connection.execute(insert(credentials).values(account_id=account_id, **values))


def _account_row(connection: Connection, name: str) -> dict | None:
    if not is_plain_text(name):  # no account has such a name, and PostgreSQL refuses a NUL
        return None
    row = (
        connection.execute(
            select(accounts).where(accounts.c.name == name, accounts.c.deleted_at.is_(None))
        )
        .mappings()
        .first()
    )
    return dict(row) if row else None


def _require_account(connection: Connection, name: str) -> dict:
    account = _account_row(connection, name)
    if account is None:
        raise NotFound(f"name: no account {name!r} in this case (see 'siteline user list')")
    return account


def _keep_an_owner(connection: Connection, account: dict, act: str) -> None:
    """A case always keeps one owner who can sign in, or no one could manage it."""
    if account["role"] != Role.OWNER or account["disabled_at"]:
        return
    others = connection.execute(
        select(func.count()).where(
            accounts.c.role == Role.OWNER.value,
            accounts.c.disabled_at.is_(None),
            accounts.c.deleted_at.is_(None),
            accounts.c.id != account["id"],
        )
    ).scalar()
    if not others:
        raise InvalidInput(
            "name", f"cannot {act} {account['name']!r}: the case's only active owner"
        )
