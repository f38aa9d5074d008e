"""Indexes for the lookups every listing makes: evidence by kind, time, site and hash;
links by incident; custody by object; the audit chain by object.

Revision ID: 0002
Revises: 0001
"""

from alembic import op

revision = "0002"
down_revision = "0001"
branch_labels = None
depends_on = None

INDEXES = {
    "ix_evidence_kind": ("evidence", ["kind"]),
    "ix_evidence_published_at": ("evidence", ["published_at"]),
    "ix_evidence_site_id": ("evidence", ["site_id"]),
    "ix_evidence_blob_sha256": ("evidence", ["blob_sha256"]),
    "ix_evidence_links_incident_id": ("evidence_links", ["incident_id"]),
    "ix_custody_object": ("custody", ["object_type", "object_id"]),
    "ix_audit_log_object": ("audit_log", ["object_type", "object_id"]),
}


def upgrade() -> None:
    for name, (table, columns) in INDEXES.items():
        op.create_index(name, table, columns)
