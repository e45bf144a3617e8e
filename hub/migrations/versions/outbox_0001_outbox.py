"""Outbox (to the platform and the nodes), inbox of received keys, platform case status.

Revision ID: outbox_0001
Revises: hub_0001
"""

import sqlalchemy as sa
from alembic import op

from common.outbox.migration_ops import create_outbox_tables, drop_outbox_tables

revision = "outbox_0001"
down_revision = "hub_0001"
branch_labels = ("outbox",)
depends_on = None


def upgrade() -> None:
    create_outbox_tables()
    op.create_table(
        "govnet_cases",
        sa.Column("reference", sa.String(64), primary_key=True),
        sa.Column("case_no", sa.String(64), nullable=True),
        sa.Column("status", sa.String(32), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("source", sa.String(16), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_govnet_cases_status", "govnet_cases", ["status"])


def downgrade() -> None:
    op.drop_index("ix_govnet_cases_status", "govnet_cases")
    op.drop_table("govnet_cases")
    drop_outbox_tables()
