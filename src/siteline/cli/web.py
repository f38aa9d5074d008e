"""Commands for the web workbench: its accounts, their API tokens, and serving it.

Whoever runs these holds the case folder, and so may do anything in it: these commands
are how the first owner is made, and how a locked-out workbench is put right.
"""

from __future__ import annotations

import ipaddress
import sys
from pathlib import Path

import click

from siteline.cli.context import pass_context
from siteline.cli.output import emit_json, emit_record, emit_table, json_option
from siteline.domain.roles import Role
from siteline.errors import InvalidInput
from siteline.services import access, accounts

ROLE_CHOICE = click.Choice([role.value for role in Role], case_sensitive=False)
LOOPBACK_NAMES = ("localhost",)


def _read_password(from_stdin: bool) -> str:
    if from_stdin:
        line = sys.stdin.readline()
        password = line[:-1] if line.endswith("\n") else line
        return password.removesuffix("\r")
    return click.prompt("password", hide_input=True, confirmation_prompt=True)


def _password_option(command):
    return click.option(
        "--password-stdin",
        is_flag=True,
        help="Read the password from the first line of standard input instead of asking.",
    )(command)


@click.group("user")
def user_group() -> None:
    """Accounts of the web workbench: who may sign in, with which role."""


@user_group.command("add")
@click.argument("name")
@click.option("--role", type=ROLE_CHOICE, required=True, help="What the person may do.")
@_password_option
@json_option
@pass_context
def user_add(ctx, name, role, password_stdin, as_json) -> None:
    """Create the account NAME (the password is asked for twice, or read from stdin)."""
    password = _read_password(password_stdin)
    account = accounts.add_account(ctx.case, name, role, password)
    emit_record(account, as_json, title=f"account {account['name']!r} created:")


@user_group.command("list")
@json_option
@pass_context
def user_list(ctx, as_json) -> None:
    """Every account, with its role and whether it is disabled."""
    emit_table(
        accounts.list_accounts(ctx.case),
        ["id", "name", "role", "created_at", "disabled_at"],
        as_json,
    )


@user_group.command("role")
@click.argument("name")
@click.argument("role", type=ROLE_CHOICE)
@json_option
@pass_context
def user_role(ctx, name, role, as_json) -> None:
    """Give the account NAME the role ROLE."""
    account = accounts.set_role(ctx.case, name, role)
    emit_record(account, as_json, title=f"account {name!r} is now {account['role']}:")


@user_group.command("disable")
@click.argument("name")
@json_option
@pass_context
def user_disable(ctx, name, as_json) -> None:
    """Stop NAME from signing in or using tokens, and end their sessions."""
    account = accounts.disable(ctx.case, name)
    emit_record(account, as_json, title=f"account {name!r} disabled:")


@user_group.command("password")
@click.argument("name")
@_password_option
@pass_context
def user_password(ctx, name, password_stdin) -> None:
    """Set a new password for NAME."""
    accounts.set_password(ctx.case, name, _read_password(password_stdin))
    click.echo(f"password of {name!r} changed")


@click.group("token")
def token_group() -> None:
    """API tokens: `Authorization: Bearer TOKEN` for scripts and other tools."""


@token_group.command("add")
@click.argument("name")
@click.option("--label", required=True, help="What the token is for (shown in lists).")
@json_option
@pass_context
def token_add(ctx, name, label, as_json) -> None:
    """Create a token acting as the account NAME; its secret is printed this once only."""
    token, secret = access.create_token(ctx.case, name, label)
    if as_json:
        emit_json({"token": token, "secret": secret})
        return
    click.echo(
        f"token #{token['id']} for {name!r} ({label}); keep it secret, it is not shown again:"
    )
    click.echo(secret)


@token_group.command("list")
@click.option("--user", "name", help="Only the tokens of this account.")
@json_option
@pass_context
def token_list(ctx, name, as_json) -> None:
    """Tokens (never their secrets), with their last use."""
    account_id = accounts.get_account(ctx.case, name)["id"] if name else None
    columns = ["id", "account", "label", "created_at", "last_used_at", "revoked_at"]
    emit_table(access.list_tokens(ctx.case, account_id), columns, as_json)


@token_group.command("revoke")
@click.argument("token_id", type=int)
@json_option
@pass_context
def token_revoke(ctx, token_id, as_json) -> None:
    """Revoke token number TOKEN_ID: it stops working at once."""
    token = access.revoke_token(ctx.case, token_id)
    emit_record(token, as_json, title=f"token #{token_id} revoked:")


def is_loopback(host: str) -> bool:
    if host.lower() in LOOPBACK_NAMES:
        return True
    try:
        return ipaddress.ip_address(host).is_loopback
    except ValueError:
        return False


@click.command("serve")
@click.argument("case_folder", metavar="[CASE]", required=False, type=click.Path(file_okay=False))
@click.option("--host", default="127.0.0.1", show_default=True, help="The address to listen on.")
@click.option(
    "--port", default=8000, show_default=True, type=click.IntRange(1, 65535), help="The port."
)
@click.option("--tile-url", help="A map tile URL template (https://host/{z}/{x}/{y}.png).")
@click.option(
    "--public",
    is_flag=True,
    help="Allow an address other than this machine's own (serve behind a TLS proxy).",
)
@click.option(
    "--secure-cookies/--no-secure-cookies",
    default=None,
    help="Mark the session cookie Secure (HTTPS only); on by default with --public.",
)
@pass_context
def serve(ctx, case_folder, host, port, tile_url, public, secure_cookies) -> None:
    """Run the web workbench over the case (CASE, or the -C case) until stopped."""
    if case_folder:
        ctx.case_path = Path(case_folder)
    run_workbench(ctx.case, host, port, tile_url, public, secure_cookies)


def run_workbench(
    case,
    host: str = "127.0.0.1",
    port: int = 8000,
    tile_url: str | None = None,
    public: bool = False,
    secure_cookies: bool | None = None,
) -> None:
    """Serves the workbench over an open case until stopped (Ctrl-C)."""
    import uvicorn

    from siteline.web.app import create_app

    if not is_loopback(host) and not public:
        raise InvalidInput(
            "--host",
            f"{host} is reachable from other machines; add --public to serve there, "
            "behind a proxy that speaks HTTPS",
        )
    if public:
        click.echo(
            "warning: serving beyond this machine; passwords and sessions cross the network, "
            "so put the workbench behind a reverse proxy with TLS (HTTPS)",
            err=True,
        )
    secure = public if secure_cookies is None else secure_cookies
    app = create_app(case, tile_url=tile_url, secure_cookies=secure)
    click.echo(f"Siteline workbench for {app.state.case_name!r} at http://{host}:{port}/", err=True)
    uvicorn.run(app, host=host, port=port, log_level="info", server_header=False)


COMMANDS = [user_group, token_group, serve]
