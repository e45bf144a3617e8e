"""Complaints and petitions (信访投诉) and their documents.

Revision ID: complaints_0001
Revises: hub_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "complaints_0001"
down_revision = "hub_0002"
branch_labels = ("complaints",)
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "complaints",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.String(32), nullable=False, unique=True),
        sa.Column("query_code_hash", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("branch", sa.String(16), nullable=False, index=True),
        sa.Column("lodged_by", sa.String(64), nullable=False),
        sa.Column("complainant_name", sa.String(120), nullable=False),
        sa.Column("complainant_document", sa.String(40), nullable=False),
        sa.Column("complainant_contact", sa.String(120), nullable=False),
        sa.Column("complainant_country", sa.String(2), nullable=False),
        sa.Column("complainant_lang", sa.String(2), nullable=False),
        sa.Column("facts", sa.Text, nullable=False),
        sa.Column("request", sa.Text, nullable=False),
        sa.Column("state", sa.String(20), nullable=False, index=True),
        sa.Column("lodged_at", TS, nullable=False),
        sa.Column("decided_at", TS, nullable=True),
        sa.Column("decided_by", sa.String(64), nullable=True),
        sa.Column("department", sa.String(32), nullable=True),
        sa.Column("handler", sa.String(64), nullable=True),
        sa.Column("refusal_reason", sa.Text, nullable=True),
        sa.Column("extended_days", sa.Integer, nullable=False, server_default="0"),
        sa.Column("extension_reason", sa.Text, nullable=True),
        sa.Column("replied_at", TS, nullable=True),
        sa.Column("review_requested_at", TS, nullable=True),
        sa.Column("review_reason", sa.Text, nullable=True),
        sa.Column("reviewed_at", TS, nullable=True),
        sa.CheckConstraint("extended_days BETWEEN 0 AND 30", name="ck_complaints_extended_days"),
    )
    op.create_table(
        "complaint_documents",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "complaint_id", sa.Integer, sa.ForeignKey("complaints.id"), nullable=False, index=True
        ),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("signers", sa.JSON, nullable=False),
        sa.Column("recorded_by", sa.String(64), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("complaint_documents")
    op.drop_table("complaints")
