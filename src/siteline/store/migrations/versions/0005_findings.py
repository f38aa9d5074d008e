"""Findings: link proposals, the verification workflow and its steps, computed certainty
and computed verdicts.

Every column added to an existing table is empty for the records already there, so that
`audit verify` still matches them with the entries that recorded them.

Revision ID: 0005
Revises: 0004
"""

import sqlalchemy as sa
from alembic import op

revision = "0005"
down_revision = "0004"
branch_labels = None
depends_on = None


def _lifecycle():
    return [
        sa.Column("created_at", sa.String(20), nullable=False),
        sa.Column("deleted_at", sa.String(20)),
        sa.Column("deleted_reason", sa.Text),
    ]


def _time(name: str):
    return [sa.Column(f"{name}_at", sa.String(20)), sa.Column(f"{name}_precision", sa.String(10))]


INCIDENT_COLUMNS = [("certainty_rule", sa.Text), ("certainty_reasons", sa.Text)]
LINK_COLUMNS = [("proposal_id", sa.Integer)]
CLAIM_COLUMNS = [
    ("site_kind", sa.String(40)),
    ("area_wkt", sa.Text),
    ("count_comparison", sa.String(20)),
    ("min_certainty", sa.String(20)),
    ("verdict_rule", sa.Text),
    ("verdict_chain", sa.Text),
    ("verdict_by", sa.Text),
]


def upgrade() -> None:
    for table, columns in (
        ("incidents", INCIDENT_COLUMNS),
        ("evidence_links", LINK_COLUMNS),
        ("claims", CLAIM_COLUMNS),
    ):
        with op.batch_alter_table(table) as batch:
            for name, kind in columns:
                batch.add_column(sa.Column(name, kind))
    op.create_table(
        "settings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.String(60), nullable=False),
        sa.Column("value", sa.Text, nullable=False),
        *_lifecycle(),
    )
    op.create_index("ix_settings_name", "settings", ["name"])
    op.create_table(
        "reviews",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("evidence_id", sa.Integer, sa.ForeignKey("evidence.id"), nullable=False),
        sa.Column("from_status", sa.String(40), nullable=False),
        sa.Column("to_status", sa.String(40), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("checks", sa.Text, nullable=False),
        sa.Column("note", sa.Text),
        sa.Column("state", sa.String(20), nullable=False),
        sa.Column("signed_off_by", sa.Text),
        sa.Column("signed_off_at", sa.String(20)),
        *_lifecycle(),
    )
    op.create_index("ix_reviews_evidence_id", "reviews", ["evidence_id"])
    op.create_table(
        "link_proposals",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("key", sa.String(64), nullable=False),
        sa.Column("site_id", sa.Integer, sa.ForeignKey("sites.id"), nullable=False),
        *_time("window_start"),
        *_time("window_end"),
        sa.Column("score", sa.Float, nullable=False),
        sa.Column("reasons", sa.Text, nullable=False),
        sa.Column("members", sa.Text, nullable=False),
        sa.Column("status", sa.String(20), nullable=False),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id")),
        sa.Column("decided_by", sa.Text),
        sa.Column("decision_note", sa.Text),
        *_lifecycle(),
    )
    op.create_index("ix_link_proposals_key", "link_proposals", ["key"])


def downgrade() -> None:
    op.drop_index("ix_link_proposals_key", "link_proposals")
    op.drop_table("link_proposals")
    op.drop_index("ix_reviews_evidence_id", "reviews")
    op.drop_table("reviews")
    op.drop_index("ix_settings_name", "settings")
    op.drop_table("settings")
    for table, columns in (
        ("claims", CLAIM_COLUMNS),
        ("evidence_links", LINK_COLUMNS),
        ("incidents", INCIDENT_COLUMNS),
    ):
        with op.batch_alter_table(table) as batch:
            for name, _ in reversed(columns):
                batch.drop_column(name)
