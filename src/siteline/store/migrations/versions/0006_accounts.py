"""Accounts for the web workbench: people with roles, their password hashes, API tokens,
sign-in sessions and the record of sign-in attempts.

Accounts and tokens are audited (who may act in the case is part of its history); the
secrets that prove who someone is (password hashes, token digests) and the operational
tables (sessions, attempts) are not, so that they never reach the audit chain or a bundle.

Revision ID: 0006
Revises: 0005
"""

import sqlalchemy as sa
from alembic import op

revision = "0006"
down_revision = "0005"
branch_labels = None
depends_on = None


def _lifecycle():
    return [
        sa.Column("created_at", sa.String(20), nullable=False),
        sa.Column("deleted_at", sa.String(20)),
        sa.Column("deleted_reason", sa.Text),
    ]


def upgrade() -> None:
    op.create_table(
        "accounts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("disabled_at", sa.String(20)),
        *_lifecycle(),
    )
    op.create_index("ix_accounts_name", "accounts", ["name"], unique=True)
    op.create_table(
        "credentials",
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), primary_key=True),
        sa.Column("password_hash", sa.Text, nullable=False),
        sa.Column("updated_at", sa.String(20), nullable=False),
    )
    op.create_table(
        "api_tokens",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("label", sa.Text, nullable=False),
        sa.Column("revoked_at", sa.String(20)),
        *_lifecycle(),
    )
    op.create_index("ix_api_tokens_account_id", "api_tokens", ["account_id"])
    op.create_table(
        "token_secrets",
        sa.Column("token_id", sa.Integer, sa.ForeignKey("api_tokens.id"), primary_key=True),
        sa.Column("token_sha256", sa.String(64), nullable=False),
        sa.Column("last_used_at", sa.String(20)),
    )
    op.create_index("ix_token_secrets_sha256", "token_secrets", ["token_sha256"], unique=True)
    op.create_table(
        "web_sessions",
        sa.Column("token_sha256", sa.String(64), primary_key=True),
        sa.Column("account_id", sa.Integer, sa.ForeignKey("accounts.id"), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", sa.String(20), nullable=False),
        sa.Column("expires_at", sa.String(20), nullable=False),
        sa.Column("ended_at", sa.String(20)),
    )
    op.create_index("ix_web_sessions_account_id", "web_sessions", ["account_id"])
    op.create_table(
        "login_attempts",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(80), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("at", sa.String(20), nullable=False),
        sa.Column("ok", sa.Boolean, nullable=False),
    )
    op.create_index("ix_login_attempts_at", "login_attempts", ["at"])


def downgrade() -> None:
    op.drop_index("ix_login_attempts_at", "login_attempts")
    op.drop_table("login_attempts")
    op.drop_index("ix_web_sessions_account_id", "web_sessions")
    op.drop_table("web_sessions")
    op.drop_index("ix_token_secrets_sha256", "token_secrets")
    op.drop_table("token_secrets")
    op.drop_index("ix_api_tokens_account_id", "api_tokens")
    op.drop_table("api_tokens")
    op.drop_table("credentials")
    op.drop_index("ix_accounts_name", "accounts")
    op.drop_table("accounts")
