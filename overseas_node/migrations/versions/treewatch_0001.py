"""The node's own Merkle audit log, the hub tree heads it has seen, alarms, sealed replays.

Revision ID: treewatch_0001
Revises: node_0002
"""

import sqlalchemy as sa
from alembic import op

from common.auditlog.tables import create_log_tables, drop_log_tables
from common.signing_stores import create_replay_table, create_seen_heads_table

revision = "treewatch_0001"
down_revision = "node_0002"
branch_labels = ("treewatch",)
depends_on = None


def upgrade() -> None:
    create_log_tables()
    create_seen_heads_table()
    create_replay_table()
    op.create_table(
        "treewatch_alarms",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("log", sa.String(64), nullable=False),
        sa.Column(
            "tree_size", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), nullable=False
        ),
        sa.Column("reason", sa.Text, nullable=False),
        sa.Column("head", sa.Text, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("treewatch_alarms")
    op.drop_table("sealed_replays")
    op.drop_table("seen_tree_heads")
    drop_log_tables()
