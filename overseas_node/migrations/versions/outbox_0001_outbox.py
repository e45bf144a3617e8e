"""Outbox to the hub and inbox of keys already received from it.

Revision ID: outbox_0001
Revises: node_0001
"""

from common.outbox.migration_ops import create_outbox_tables, drop_outbox_tables

revision = "outbox_0001"
down_revision = "node_0001"
branch_labels = ("outbox",)
depends_on = None


def upgrade() -> None:
    create_outbox_tables()


def downgrade() -> None:
    drop_outbox_tables()
