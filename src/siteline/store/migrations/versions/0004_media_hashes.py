"""Media: the perceptual hashes of photos and video frames, and the near-duplicates found
with them.

Revision ID: 0004
Revises: 0003
"""

import sqlalchemy as sa
from alembic import op

revision = "0004"
down_revision = "0003"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "media_hashes",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("evidence_id", sa.Integer, sa.ForeignKey("evidence.id"), nullable=False),
        sa.Column("variant", sa.String(40), nullable=False),
        sa.Column("frame_s", sa.Float),
        sa.Column("pdq", sa.String(64), nullable=False),
        sa.Column("quality", sa.Integer, nullable=False),
        sa.Column("pipeline", sa.String(40), nullable=False),
        sa.Column("created_at", sa.String(20), nullable=False),
        sa.Column("deleted_at", sa.String(20)),
        sa.Column("deleted_reason", sa.Text),
    )
    op.create_index("ix_media_hashes_evidence_id", "media_hashes", ["evidence_id"])
    op.create_table(
        "media_matches",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("evidence_id", sa.Integer, sa.ForeignKey("evidence.id"), nullable=False),
        sa.Column("matched_id", sa.Integer, sa.ForeignKey("evidence.id"), nullable=False),
        sa.Column("distance", sa.Integer, nullable=False),
        sa.Column("probe", sa.String(60), nullable=False),
        sa.Column("frame_s", sa.Float),
        sa.Column("matched_variant", sa.String(40), nullable=False),
        sa.Column("matched_frame_s", sa.Float),
        sa.Column("frames", sa.Integer, nullable=False),
        sa.Column("radius", sa.Integer, nullable=False),
        sa.Column("created_at", sa.String(20), nullable=False),
        sa.Column("deleted_at", sa.String(20)),
        sa.Column("deleted_reason", sa.Text),
    )
    op.create_index("ix_media_matches_evidence_id", "media_matches", ["evidence_id"])
    op.create_index("ix_media_matches_matched_id", "media_matches", ["matched_id"])


def downgrade() -> None:
    op.drop_index("ix_media_matches_matched_id", "media_matches")
    op.drop_index("ix_media_matches_evidence_id", "media_matches")
    op.drop_table("media_matches")
    op.drop_index("ix_media_hashes_evidence_id", "media_hashes")
    op.drop_table("media_hashes")
