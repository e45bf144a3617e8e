"""Hub instance registry (heartbeats) and video sessions pinned to a media-handling instance.

Revision ID: deploy_0001
Revises: hub_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "deploy_0001"
down_revision = "hub_0002"
branch_labels = ("deploy",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "hub_instances",
        sa.Column("id", sa.String(64), primary_key=True),
        sa.Column("address", sa.Text, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("heartbeat_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "session_pins",
        sa.Column("session_id", sa.String(64), primary_key=True),
        sa.Column("instance_id", sa.String(64), nullable=False),
        sa.Column("pinned_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("moves", sa.Integer, nullable=False),
    )
    op.create_index("ix_session_pins_instance_id", "session_pins", ["instance_id"])


def downgrade() -> None:
    op.drop_index("ix_session_pins_instance_id", "session_pins")
    op.drop_table("session_pins")
    op.drop_table("hub_instances")
