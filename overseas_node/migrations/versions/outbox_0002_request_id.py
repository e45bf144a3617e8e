"""Outbox messages keep the id of the request that queued them.

Revision ID: outbox_0002
Revises: outbox_0001
"""

from common.outbox.migration_ops import add_request_id, drop_request_id

revision = "outbox_0002"
down_revision = "outbox_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    add_request_id()


def downgrade() -> None:
    drop_request_id()
