"""Signatures: TOTP enrolments, registered node keys, signing requests.

Revision ID: auditlog_0002
Revises: auditlog_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "auditlog_0002"
down_revision = "auditlog_0001"
branch_labels = None
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "totp_enrolments",
        sa.Column("account", sa.String(120), primary_key=True),
        sa.Column("secret_sealed", sa.LargeBinary, nullable=False),
        sa.Column("enrolled_at", TS, nullable=False),
    )
    op.create_table(
        "node_decision_keys",
        sa.Column("key_id", sa.String(64), primary_key=True),
        sa.Column("branch", sa.String(16), nullable=False),
        sa.Column("public_key", sa.LargeBinary(32), nullable=False),
        sa.Column("registered_at", TS, nullable=False),
        sa.Column("registered_by", sa.String(64), nullable=False),
    )
    op.create_table(
        "signing_requests",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("application_number", sa.String(32), nullable=False),
        sa.Column("resident_id", sa.String(120), nullable=False),
        sa.Column("resident_name", sa.String(120), nullable=False),
        sa.Column("notary", sa.String(64), nullable=False),
        sa.Column("title", sa.String(160), nullable=False),
        sa.Column("document_sha256", sa.String(64), nullable=False),
        sa.Column("current_sha256", sa.String(64), nullable=False),
        sa.Column("state", sa.String(24), nullable=False),
        sa.Column("session_id", sa.String(64)),
        sa.Column("challenge_opened_at", TS),
        sa.Column("face_decision", sa.Text),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_index(
        "ix_signing_requests_application_number", "signing_requests", ["application_number"]
    )


def downgrade() -> None:
    op.drop_index("ix_signing_requests_application_number", "signing_requests")
    for name in ("signing_requests", "node_decision_keys", "totp_enrolments"):
        op.drop_table(name)
