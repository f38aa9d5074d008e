"""Accounts, roles and tokens: the service, the command line, and what the audit chain
and bundles carry (account actions, never a password hash or a token)."""

from __future__ import annotations

import json

import pytest
from click.testing import CliRunner
from hypothesis import given
from hypothesis import strategies as st
from sqlalchemy import select

from siteline.cli import cli
from siteline.domain.roles import Permission, Role, can, may_manage, visible_sensitivities
from siteline.domain.vocabularies import Sensitivity
from siteline.errors import Duplicate, InvalidInput, NotFound
from siteline.services import access, accounts, audit, bundles
from siteline.store.schema import AUDITED_TABLES, credentials, token_secrets

PASSWORD = "a long test password"


# The role table.


def test_each_role_sees_the_sensitivities_its_permissions_allow():
    assert visible_sensitivities("viewer") == {Sensitivity.PUBLIC}
    for role in ("reviewer", "editor"):
        assert visible_sensitivities(role) == {Sensitivity.PUBLIC, Sensitivity.RESTRICTED}
    for role in ("manager", "owner"):
        assert visible_sensitivities(role) == set(Sensitivity)
    assert visible_sensitivities("stranger") == frozenset()


@given(st.sampled_from(list(Role)), st.sampled_from(list(Permission)))
def test_a_higher_role_can_do_all_that_a_lower_one_can(role, permission):
    order = [Role.VIEWER, Role.EDITOR, Role.MANAGER, Role.OWNER]
    if role in order and can(role, permission):
        for higher in order[order.index(role) :]:
            assert can(higher, permission)
    if can(Role.REVIEWER, permission):
        assert can(Role.MANAGER, permission)


def test_who_may_manage_whom():
    assert may_manage("owner", "owner")
    assert may_manage("manager", "editor") and not may_manage("manager", "manager")
    assert not may_manage("manager", "owner")
    assert not may_manage("editor", "viewer")
    assert not can("viewer", "no_such_permission")


# The service.


def test_an_account_is_made_once_with_a_checked_name_and_password(case):
    made = accounts.add_account(case, "alice", "Editor", PASSWORD)
    assert (made["name"], made["role"]) == ("alice", "editor")
    assert "password_hash" not in made
    with pytest.raises(Duplicate, match="alice"):
        accounts.add_account(case, "alice", "viewer", PASSWORD)
    with pytest.raises(InvalidInput, match="password: must be at least 12"):
        accounts.add_account(case, "bob", "viewer", "short")
    with pytest.raises(InvalidInput, match="role: 'boss' is not one of"):
        accounts.add_account(case, "bob", "boss", PASSWORD)
    with pytest.raises(InvalidInput, match="name: 'b o b'"):
        accounts.add_account(case, "b o b", "viewer", PASSWORD)
    assert [a["name"] for a in accounts.list_accounts(case)] == ["alice"]


def test_the_password_is_stored_as_an_argon2_hash(case):
    made = accounts.add_account(case, "alice", "viewer", PASSWORD)
    with case.read() as connection:
        stored = connection.execute(
            select(credentials.c.password_hash).where(credentials.c.account_id == made["id"])
        ).scalar()
    assert stored.startswith("$argon2id$") and PASSWORD not in stored
    assert accounts.verify_password(case, "alice", PASSWORD, "127.0.0.1")["id"] == made["id"]
    accounts.set_password(case, "alice", "another long password")
    with pytest.raises(accounts.SignInRefused):
        accounts.verify_password(case, "alice", PASSWORD, "127.0.0.1")
    assert accounts.verify_password(case, "alice", "another long password", "127.0.0.1")


def test_the_last_active_owner_stays_an_owner(case):
    accounts.add_account(case, "olga", "owner", PASSWORD)
    with pytest.raises(InvalidInput, match="only active owner"):
        accounts.set_role(case, "olga", "manager")
    with pytest.raises(InvalidInput, match="only active owner"):
        accounts.disable(case, "olga")
    accounts.add_account(case, "oscar", "owner", PASSWORD)
    assert accounts.set_role(case, "olga", "manager")["role"] == "manager"
    with pytest.raises(NotFound, match="nobody"):
        accounts.set_role(case, "nobody", "viewer")


def test_a_token_is_stored_only_as_its_digest_and_stops_when_revoked(case):
    accounts.add_account(case, "rob", "viewer", PASSWORD)
    token, secret = access.create_token(case, "rob", "backup script")
    with case.read() as connection:
        stored = connection.execute(select(token_secrets)).mappings().one()
    assert stored["token_sha256"] == access.digest(secret) != secret
    assert access.account_for_token(case, secret)["name"] == "rob"
    assert access.list_tokens(case)[0]["last_used_at"] is not None
    assert access.account_for_token(case, secret + "x") is None
    access.revoke_token(case, token["id"])
    assert access.account_for_token(case, secret) is None
    with pytest.raises(InvalidInput, match="label"):
        access.create_token(case, "rob", "  ")


# The audit chain and bundles.


def test_account_actions_are_audited_without_any_secret(case, tmp_path):
    accounts.add_account(case, "olga", "owner", PASSWORD)
    accounts.add_account(case, "alice", "editor", PASSWORD)
    accounts.set_role(case, "alice", "reviewer")
    token, secret = access.create_token(case, "alice", "laptop")
    access.revoke_token(case, token["id"])
    accounts.set_password(case, "alice", "another long password")
    accounts.disable(case, "alice")
    accounts.verify_password(case, "olga", PASSWORD, "127.0.0.1")
    access.start_session(case, 1)
    with case.read() as connection:
        hashes = list(connection.execute(select(credentials.c.password_hash)).scalars())
    chain = audit.load_chain(case)
    recorded = [(e["action"], e["object_type"]) for e in chain if e["object_type"] != "case"]
    assert recorded == [
        ("create", "account"),
        ("create", "account"),
        ("update", "account"),
        ("create", "token"),
        ("revoke", "token"),
        ("change", "password"),
        ("disable", "account"),
    ]
    everything = json.dumps(chain)
    for secret_text in [PASSWORD, secret, access.digest(secret), *hashes]:
        assert secret_text not in everything
    assert audit.verify(case).ok
    assert {"credentials", "token_secrets", "web_sessions", "login_attempts"}.isdisjoint(
        table.name for table in AUDITED_TABLES.values()
    )
    public = tmp_path / "public"
    bundles.export_bundle(case, public, public=True)
    full = tmp_path / "full"
    bundles.export_bundle(case, full, confidential="sealed")
    for bundle in (public, full):
        written = b"".join(path.read_bytes() for path in bundle.rglob("*") if path.is_file())
        for secret_text in [PASSWORD, secret, access.digest(secret), *hashes]:
            assert secret_text.encode() not in written


def test_a_restored_case_keeps_its_accounts_but_no_one_can_sign_in_until_a_password_is_set(
    case, tmp_path, restore
):
    accounts.add_account(case, "olga", "owner", PASSWORD)
    token, secret = access.create_token(case, "olga", "laptop")
    bundle = tmp_path / "bundle"
    bundles.export_bundle(case, bundle)
    restored = restore(bundle)
    assert [a["name"] for a in accounts.list_accounts(restored)] == ["olga"]
    assert access.account_for_token(restored, secret) is None
    with pytest.raises(accounts.SignInRefused):
        accounts.verify_password(restored, "olga", PASSWORD, "127.0.0.1")
    accounts.set_password(restored, "olga", "a new long password")
    assert accounts.verify_password(restored, "olga", "a new long password", "127.0.0.1")
    assert audit.verify(restored).ok


# The command line.


@pytest.fixture
def run(case, key_file):
    runner = CliRunner()

    def invoke(*args: str, input: str | None = None):
        options = ["-C", str(case.folder), "--key-file", str(key_file)]
        return runner.invoke(cli, [*options, *args], input=input, catch_exceptions=False)

    return invoke


def test_users_and_tokens_from_the_command_line(run, case):
    asked = run("user", "add", "olga", "--role", "owner", input=f"{PASSWORD}\n{PASSWORD}\n")
    assert asked.exit_code == 0, asked.output
    piped = run("user", "add", "alice", "--role", "editor", "--password-stdin", input=PASSWORD)
    assert piped.exit_code == 0, piped.output
    short = run("user", "add", "bob", "--role", "viewer", "--password-stdin", input="short\n")
    assert short.exit_code == 2
    assert "password: must be at least 12" in short.output
    listed = json.loads(run("user", "list", "--json").output)
    assert [(a["name"], a["role"]) for a in listed] == [("olga", "owner"), ("alice", "editor")]
    assert run("user", "role", "alice", "reviewer").exit_code == 0
    made = json.loads(run("token", "add", "alice", "--label", "laptop", "--json").output)
    assert access.account_for_token(case, made["secret"])["role"] == "reviewer"
    assert "secret" not in run("token", "list").output.lower()
    assert run("token", "revoke", str(made["token"]["id"])).exit_code == 0
    assert access.account_for_token(case, made["secret"]) is None
    assert run("user", "disable", "alice").exit_code == 0
    with pytest.raises(accounts.SignInRefused, match="disabled"):
        accounts.verify_password(case, "alice", PASSWORD, "127.0.0.1")
    assert run("user", "role", "nobody", "viewer").exit_code == 3


def test_serve_refuses_an_address_beyond_this_machine_without_public(run):
    refused = run("serve", "--host", "0.0.0.0", "--port", "8765")
    assert refused.exit_code == 2
    assert "--public" in refused.output
