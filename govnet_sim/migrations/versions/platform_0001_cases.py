"""The platform's cases, idempotency keys, callback outbox and seen nonces.

Revision ID: platform_0001
Revises: govnet_0001
"""

import sqlalchemy as sa
from alembic import op

from common.outbox.migration_ops import create_outbox_tables, drop_outbox_tables

revision = "platform_0001"
down_revision = "govnet_0001"
branch_labels = ("platform",)
depends_on = None


def upgrade() -> None:
    create_outbox_tables()
    op.create_table(
        "platform_cases",
        sa.Column("case_no", sa.String(32), primary_key=True),
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("idempotency_key", sa.String(200), nullable=False),
        sa.Column("reference", sa.String(64), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("reason", sa.Text, nullable=True),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("callback_url", sa.Text, nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("client_id", "reference", name="uq_platform_cases_client_reference"),
    )
    op.create_index("ix_platform_cases_status", "platform_cases", ["status"])
    op.create_table(
        "platform_idempotency_keys",
        sa.Column("client_id", sa.String(64), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("request_hash", sa.String(64), nullable=False),
        sa.Column("answered", sa.Boolean, nullable=False),
        sa.Column("started_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("response_status", sa.Integer, nullable=True),
        sa.Column("response_body", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("client_id", "key", name="pk_platform_idempotency_keys"),
    )


def downgrade() -> None:
    op.drop_table("platform_idempotency_keys")
    op.drop_index("ix_platform_cases_status", "platform_cases")
    op.drop_table("platform_cases")
    drop_outbox_tables()
