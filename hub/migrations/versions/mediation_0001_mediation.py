"""Remote mediation: cases, participants, sessions, notes, signed documents, packages.

Revision ID: mediation_0001
Revises: hub_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "mediation_0001"
down_revision = "hub_0002"
branch_labels = ("mediation",)
depends_on = None

TS = sa.DateTime(timezone=True)


def _case_fk() -> sa.Column:  # type: ignore[type-arg]
    return sa.Column(
        "case_id", sa.Integer, sa.ForeignKey("mediation_cases.id"), nullable=False, index=True
    )


def upgrade() -> None:
    op.create_table(
        "mediation_cases",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.String(32), nullable=False, unique=True),
        sa.Column("office", sa.String(16), nullable=False, index=True),
        sa.Column("subject", sa.String(200), nullable=False),
        sa.Column("summary", sa.Text, nullable=False),
        sa.Column("mediator", sa.String(64), nullable=False, index=True),
        sa.Column("mediator_name", sa.String(120), nullable=False),
        sa.Column("mediator_office", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("opened_by", sa.String(64), nullable=False),
        sa.Column("opened_at", TS, nullable=False),
        sa.Column("settled_at", TS, nullable=True),
        sa.Column("closed_at", TS, nullable=True),
        sa.Column("close_reason", sa.Text, nullable=True),
    )
    op.create_table(
        "mediation_participants",
        sa.Column("id", sa.Integer, primary_key=True),
        _case_fk(),
        sa.Column("role", sa.String(16), nullable=False),
        sa.Column("represents", sa.Integer, nullable=True),
        sa.Column("name", sa.String(120), nullable=False),
        sa.Column("document", sa.String(40), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("location", sa.String(16), nullable=False),
        sa.Column("lang", sa.String(2), nullable=False),
        sa.Column("access_code_hash", sa.String(64), nullable=False),
        sa.Column("consented_at", TS, nullable=True),
        sa.Column("challenge_document", sa.Integer, nullable=True),
        sa.Column("challenge_sha256", sa.String(64), nullable=True),
        sa.Column("challenge_at", TS, nullable=True),
        sa.Column("attempt_id", sa.String(64), nullable=True),
        sa.Column("face_decision", sa.Text, nullable=True),
    )
    op.create_table(
        "mediation_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        _case_fk(),
        sa.Column("video_session", sa.String(32), nullable=False, unique=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("witness", sa.Integer, nullable=True),
        sa.Column("opened_by", sa.String(64), nullable=False),
        sa.Column("opened_at", TS, nullable=False),
        sa.Column("ended_at", TS, nullable=True),
    )
    op.create_table(
        "mediation_notes",
        sa.Column("id", sa.Integer, primary_key=True),
        _case_fk(),
        sa.Column("video_session", sa.String(32), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("written_by", sa.String(64), nullable=False),
        sa.Column("written_at", TS, nullable=False),
    )
    op.create_table(
        "mediation_documents",
        sa.Column("id", sa.Integer, primary_key=True),
        _case_fk(),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("video_session", sa.String(32), nullable=True),
        sa.Column("text", sa.Text, nullable=False),
        sa.Column("text_sha256", sa.String(64), nullable=False),
        sa.Column("draft_sha256", sa.String(64), nullable=False),
        sa.Column("draft_size", sa.Integer, nullable=False),
        sa.Column("current_sha256", sa.String(64), nullable=False),
        sa.Column("signers", sa.JSON, nullable=False),
        sa.Column("closers", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.UniqueConstraint("case_id", "kind", "version"),
    )
    op.create_table(
        "mediation_signatures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "document_id",
            sa.Integer,
            sa.ForeignKey("mediation_documents.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("signer", sa.String(40), nullable=False),
        sa.Column("text_sha256", sa.String(64), nullable=False),
        sa.Column("before_sha256", sa.String(64), nullable=False),
        sa.Column("after_sha256", sa.String(64), nullable=False),
        sa.Column("consent", sa.JSON, nullable=True),
        sa.Column("face_decision", sa.Text, nullable=True),
        sa.Column("signed_by", sa.String(120), nullable=False),
        sa.Column("signed_at", TS, nullable=False),
        sa.UniqueConstraint("document_id", "signer"),
    )
    op.create_table(
        "mediation_packages",
        sa.Column("id", sa.Integer, primary_key=True),
        _case_fk(),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("size", sa.Integer, nullable=False),
        sa.Column("tree_size", sa.Integer, nullable=False),
        sa.Column("built_by", sa.String(64), nullable=False),
        sa.Column("built_at", TS, nullable=False),
    )


def downgrade() -> None:
    for name in (
        "mediation_packages",
        "mediation_signatures",
        "mediation_documents",
        "mediation_notes",
        "mediation_sessions",
        "mediation_participants",
        "mediation_cases",
    ):
        op.drop_table(name)
