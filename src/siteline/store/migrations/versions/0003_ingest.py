"""Ingest: where an item came from and who posted it, relations between items, gazetteer
entries, and claims found by ingest awaiting confirmation.

Every column added to an existing table is empty for the records already there, so that
`audit verify` still matches them with the entries that recorded them.

Revision ID: 0003
Revises: 0002
"""

import sqlalchemy as sa
from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None


def _lifecycle():
    return [
        sa.Column("created_at", sa.String(20), nullable=False),
        sa.Column("deleted_at", sa.String(20)),
        sa.Column("deleted_reason", sa.Text),
    ]


EVIDENCE_COLUMNS = [
    ("ingest_key", sa.Text),
    ("platform", sa.String(40)),
    ("platform_id", sa.Text),
    ("author_handle", sa.Text),
    ("author_name", sa.Text),
    ("details", sa.Text),
]


def upgrade() -> None:
    with op.batch_alter_table("evidence") as batch:
        batch.add_column(sa.Column("ingest_key", sa.Text))
        batch.add_column(sa.Column("within_id", sa.Integer))
        batch.create_foreign_key("fk_evidence_within_id", "evidence", ["within_id"], ["id"])
        for name, kind in EVIDENCE_COLUMNS[1:]:
            batch.add_column(sa.Column(name, kind))
    op.add_column("claims", sa.Column("status", sa.String(20)))
    op.create_table(
        "evidence_relations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("evidence_id", sa.Integer, sa.ForeignKey("evidence.id"), nullable=False),
        sa.Column("relation", sa.String(20), nullable=False),
        sa.Column("related_id", sa.Integer, sa.ForeignKey("evidence.id"), nullable=False),
        *_lifecycle(),
    )
    op.create_table(
        "gazetteer_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("gazetteer", sa.Text, nullable=False),
        sa.Column("entry_id", sa.Text),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("aliases", sa.Text, nullable=False),
        sa.Column("lat", sa.Float),
        sa.Column("lon", sa.Float),
        sa.Column("kind", sa.Text),
        sa.Column("parent", sa.Text),
        *_lifecycle(),
    )
    op.create_index("ix_evidence_ingest_key", "evidence", ["ingest_key"])
    op.create_index("ix_evidence_within_id", "evidence", ["within_id"])
    op.create_index("ix_evidence_relations_evidence_id", "evidence_relations", ["evidence_id"])
    op.create_index("ix_evidence_relations_related_id", "evidence_relations", ["related_id"])
    op.create_index("ix_gazetteer_entries_name", "gazetteer_entries", ["name"])
