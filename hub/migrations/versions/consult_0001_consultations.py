"""Video consultations (法律/政策咨询): the consultant roster, consultations, knowledge base.

Revision ID: consult_0001
Revises: hub_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "consult_0001"
down_revision = "hub_0002"
branch_labels = ("consultation",)
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "consultants",
        sa.Column("username", sa.String(64), sa.ForeignKey("staff.username"), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("affiliation_zh", sa.String(120), nullable=False),
        sa.Column("affiliation_en", sa.String(120), nullable=False),
        sa.Column("topics", sa.JSON, nullable=False),
        sa.Column("languages", sa.JSON, nullable=False),
        sa.Column("active", sa.Boolean, nullable=False, server_default=sa.true()),
        sa.CheckConstraint("kind IN ('lawyer', 'officer')", name="ck_consultants_kind"),
    )
    op.create_table(
        "consultations",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.String(32), nullable=False, unique=True),
        sa.Column("query_code_hash", sa.String(64), nullable=False),
        sa.Column("booking_reference", sa.String(16), nullable=False, unique=True),
        sa.Column("branch", sa.String(16), nullable=False, index=True),
        sa.Column("topic", sa.String(24), nullable=False, index=True),
        sa.Column("consultant", sa.String(64), nullable=False, index=True),
        sa.Column("resident_name", sa.String(120), nullable=False),
        sa.Column("resident_document", sa.String(40), nullable=False),
        sa.Column("resident_contact", sa.String(200), nullable=False),
        sa.Column("resident_country", sa.String(2), nullable=False),
        sa.Column("resident_lang", sa.String(2), nullable=False),
        sa.Column("question", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("booked_at", TS, nullable=False),
        sa.Column("video_session_id", sa.String(32), nullable=True),
        sa.Column("opened_at", TS, nullable=True),
        sa.Column("held_at", TS, nullable=True),
        sa.Column("answer", sa.JSON, nullable=True),
        sa.Column("answered_at", TS, nullable=True),
        sa.Column("rating", sa.Integer, nullable=True),
        sa.Column("rating_comment", sa.Text, nullable=True),
        sa.Column("rated_at", TS, nullable=True),
        sa.CheckConstraint("rating BETWEEN 1 AND 5", name="ck_consultations_rating"),
    )
    op.create_table(
        "kb_entries",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "consultation_id",
            sa.Integer,
            sa.ForeignKey("consultations.id"),
            nullable=False,
            unique=True,
        ),
        sa.Column("topic", sa.String(24), nullable=False, index=True),
        sa.Column("question", sa.JSON, nullable=False),
        sa.Column("answer", sa.JSON, nullable=False),
        sa.Column("consultant", sa.String(64), nullable=False),
        sa.Column("consultant_name", sa.String(120), nullable=False),
        sa.Column("answered_on", sa.Date, nullable=False),
        sa.Column("published_by", sa.String(64), nullable=False),
        sa.Column("published_at", TS, nullable=False, index=True),
    )


def downgrade() -> None:
    op.drop_table("kb_entries")
    op.drop_table("consultations")
    op.drop_table("consultants")
