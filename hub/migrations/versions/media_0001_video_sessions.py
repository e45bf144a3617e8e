"""Video sessions and their recorded segments.

Revision ID: media_0001
Revises: hub_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "media_0001"
down_revision = "hub_0001"
branch_labels = ("media",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "video_sessions",
        sa.Column("id", sa.String(32), primary_key=True),
        sa.Column("case_id", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("created_by", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("ended_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_video_sessions_case_id", "video_sessions", ["case_id"])
    op.create_table(
        "video_segments",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("session_id", sa.String(32), sa.ForeignKey("video_sessions.id"), nullable=False),
        sa.Column("idx", sa.Integer, nullable=False),
        sa.Column("file_name", sa.String(200), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("tracks", sa.Text, nullable=False),
        sa.Column("frames", sa.Integer, nullable=False),
        sa.Column("closed_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("session_id", "idx"),
    )


def downgrade() -> None:
    op.drop_table("video_segments")
    op.drop_index("ix_video_sessions_case_id", "video_sessions")
    op.drop_table("video_sessions")
