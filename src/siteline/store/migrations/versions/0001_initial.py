"""The first schema of a case: the domain tables and the audit chain.

Revision ID: 0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

revision = "0001"
down_revision = None
branch_labels = None
depends_on = None


def _time(name, nullable=True):
    return [
        sa.Column(f"{name}_at", sa.String(20), nullable=nullable),
        sa.Column(f"{name}_precision", sa.String(10), nullable=nullable),
    ]


def _location(name):
    return [
        sa.Column(f"{name}_lat", sa.Float),
        sa.Column(f"{name}_lon", sa.Float),
        sa.Column(f"{name}_precision", sa.String(10)),
    ]


def _lifecycle():
    return [
        sa.Column("created_at", sa.String(20), nullable=False),
        sa.Column("deleted_at", sa.String(20)),
        sa.Column("deleted_reason", sa.Text),
    ]


def upgrade() -> None:
    op.create_table(
        "case_info",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("case_uid", sa.String(36), nullable=False),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("key_fingerprint", sa.String(32)),
        *_lifecycle(),
    )
    op.create_table(
        "sites",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("aliases", sa.Text, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("operator", sa.Text),
        sa.Column("lat", sa.Float),
        sa.Column("lon", sa.Float),
        sa.Column("geometry_wkt", sa.Text),
        sa.Column("notes", sa.Text),
        *_lifecycle(),
    )
    op.create_table(
        "sources",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("name", sa.Text, nullable=False),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("reliability", sa.String(1), nullable=False),
        sa.Column("url", sa.Text),
        sa.Column("identity_sealed", sa.Text),
        sa.Column("native", sa.Text),
        sa.Column("notes", sa.Text),
        *_lifecycle(),
    )
    op.create_table(
        "blobs",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("media_type", sa.String(120)),
        sa.Column("encrypted", sa.Boolean, nullable=False),
        sa.Column("stored_sha256", sa.String(64), nullable=False),
        *_lifecycle(),
    )
    op.create_table(
        "evidence",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("title", sa.Text),
        sa.Column("text", sa.Text),
        sa.Column("sealed", sa.Text),
        sa.Column("blob_sha256", sa.String(64), sa.ForeignKey("blobs.id")),
        sa.Column("original_filename", sa.Text),
        sa.Column("source_id", sa.Integer, sa.ForeignKey("sources.id")),
        sa.Column("site_id", sa.Integer, sa.ForeignKey("sites.id")),
        sa.Column("source_url", sa.Text),
        *_time("published"),
        *_time("captured"),
        *_time("collected", nullable=False),
        *_location("claimed"),
        *_location("verified"),
        sa.Column("credibility", sa.Integer, nullable=False),
        sa.Column("verification_status", sa.String(20), nullable=False),
        sa.Column("sensitivity", sa.String(20), nullable=False),
        sa.Column("graphic", sa.Boolean, nullable=False),
        sa.Column("language", sa.String(20)),
        sa.Column("native", sa.Text),
        *_lifecycle(),
    )
    op.create_table(
        "derived_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("evidence_id", sa.Integer, sa.ForeignKey("evidence.id")),
        sa.Column("kind", sa.String(40), nullable=False),
        sa.Column("blob_sha256", sa.String(64), sa.ForeignKey("blobs.id")),
        sa.Column("parents", sa.Text, nullable=False),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("method_version", sa.Text, nullable=False),
        sa.Column("parameters", sa.Text, nullable=False),
        *_lifecycle(),
    )
    op.create_table(
        "custody",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("object_type", sa.String(20), nullable=False),
        sa.Column("object_id", sa.Integer, nullable=False),
        sa.Column("collector", sa.Text, nullable=False),
        sa.Column("tool", sa.Text, nullable=False),
        sa.Column("tool_version", sa.Text, nullable=False),
        sa.Column("collected_at", sa.String(20), nullable=False),
        sa.Column("method", sa.Text, nullable=False),
        sa.Column("source_url", sa.Text),
        sa.Column("sha256", sa.String(64)),
        sa.Column("notes", sa.Text),
        *_lifecycle(),
    )
    op.create_table(
        "incidents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("site_id", sa.Integer, sa.ForeignKey("sites.id"), nullable=False),
        sa.Column("title", sa.Text),
        *_time("window_start", nullable=False),
        *_time("window_end"),
        sa.Column("type", sa.String(40), nullable=False),
        sa.Column("weapon", sa.Text),
        sa.Column("perpetrator", sa.Text),
        sa.Column("killed", sa.Integer),
        sa.Column("injured", sa.Integer),
        sa.Column("damage_class", sa.String(20)),
        sa.Column("certainty", sa.String(20), nullable=False),
        sa.Column("description", sa.Text),
        sa.Column("native", sa.Text),
        *_lifecycle(),
    )
    op.create_table(
        "evidence_links",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("incident_id", sa.Integer, sa.ForeignKey("incidents.id"), nullable=False),
        sa.Column("evidence_id", sa.Integer, sa.ForeignKey("evidence.id"), nullable=False),
        sa.Column("role", sa.String(20), nullable=False),
        sa.Column("rationale", sa.Text, nullable=False),
        sa.Column("linked_by", sa.Text, nullable=False),
        *_lifecycle(),
    )
    op.create_table(
        "claims",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("speaker", sa.Text, nullable=False),
        *_time("stated", nullable=False),
        sa.Column("quote", sa.Text, nullable=False),
        sa.Column("evidence_id", sa.Integer, sa.ForeignKey("evidence.id")),
        sa.Column("proposition_kind", sa.String(40), nullable=False),
        sa.Column("proposition", sa.Text, nullable=False),
        sa.Column("site_id", sa.Integer, sa.ForeignKey("sites.id")),
        *_time("period_start"),
        *_time("period_end"),
        sa.Column("count", sa.Integer),
        sa.Column("verdict", sa.String(20), nullable=False),
        sa.Column("verdict_reasons", sa.Text),
        *_lifecycle(),
    )
    op.create_table(
        "audit_log",
        sa.Column("seq", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("at", sa.String(32), nullable=False),
        sa.Column("actor", sa.Text, nullable=False),
        sa.Column("action", sa.String(20), nullable=False),
        sa.Column("object_type", sa.String(40), nullable=False),
        sa.Column("object_id", sa.String(64), nullable=False),
        sa.Column("before", sa.Text),
        sa.Column("after", sa.Text),
        sa.Column("before_sha256", sa.String(64), nullable=False),
        sa.Column("after_sha256", sa.String(64), nullable=False),
        sa.Column("redacted", sa.Boolean, nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
    )
