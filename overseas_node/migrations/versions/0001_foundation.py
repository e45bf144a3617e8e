"""Foundation: the node's audit log.

Revision ID: node_0001
Revises:
"""

from common.migration_ops import create_audit_events, drop_audit_events

revision = "node_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_events()


def downgrade() -> None:
    drop_audit_events()
