"""Callback messages in the outbox keep the id of the request that queued them.

Revision ID: platform_0002
Revises: platform_0001
"""

from common.outbox.migration_ops import add_request_id, drop_request_id

revision = "platform_0002"
down_revision = "platform_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_request_id()


def downgrade() -> None:
    drop_request_id()
