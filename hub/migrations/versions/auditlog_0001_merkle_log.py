"""Audit log as a Merkle tree (leaves, signed heads), one-time code steps, sealed replays.

Revision ID: auditlog_0001
Revises: hub_0002
"""

from common.auditlog.tables import create_log_tables, drop_log_tables
from common.signing_stores import create_code_tables, create_replay_table

revision = "auditlog_0001"
down_revision = "hub_0002"
branch_labels = ("auditlog",)
depends_on = None


def upgrade() -> None:
    create_log_tables()
    create_code_tables()
    create_replay_table()


def downgrade() -> None:
    from alembic import op

    op.drop_table("sealed_replays")
    op.drop_table("totp_failures")
    op.drop_table("totp_steps")
    drop_log_tables()
