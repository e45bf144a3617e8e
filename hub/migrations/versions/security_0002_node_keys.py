"""Node keys: each overseas node signs its calls to the hub with its own Ed25519 key.

Revision ID: security_0002
Revises: security_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "security_0002"
down_revision = "security_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "node_keys",
        sa.Column("key_id", sa.String(64), primary_key=True),
        sa.Column("branch", sa.String(16), nullable=False),
        sa.Column("public_key_pem", sa.Text, nullable=False),
        sa.Column("registered_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("node_keys")
