"""Staff sign-in sessions.

Revision ID: hub_0002
Revises: hub_0001
"""

from common.migration_ops import create_staff_sessions, drop_staff_sessions

revision = "hub_0002"
down_revision = "hub_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_staff_sessions()


def downgrade() -> None:
    drop_staff_sessions()
