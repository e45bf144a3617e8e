"""The branch's own staff accounts and their sign-in sessions (the node works offline).

Revision ID: node_0002
Revises: node_0001
"""

import sqlalchemy as sa
from alembic import op

from common.migration_ops import create_staff_sessions, drop_staff_sessions

revision = "node_0002"
down_revision = "node_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )
    create_staff_sessions()


def downgrade() -> None:
    drop_staff_sessions()
    op.drop_table("staff")
