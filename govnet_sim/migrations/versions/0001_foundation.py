"""Foundation: the simulator's own audit log of what it received and decided.

Revision ID: govnet_0001
Revises:
"""

from common.migration_ops import create_audit_events, drop_audit_events

revision = "govnet_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_events()


def downgrade() -> None:
    drop_audit_events()
