"""Identity: perceptual prints of every verification frame, the replay ledger by content.

Revision ID: identity_0003
Revises: identity_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_0003"
down_revision = "identity_0002"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_frame_prints",
        sa.Column("attempt_id", sa.String(36), primary_key=True),
        sa.Column("idx", sa.Integer, primary_key=True),
        sa.Column("coarse", sa.String(16), nullable=False),
        sa.Column("fine", sa.String(64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_identity_frame_prints_coarse", "identity_frame_prints", ["coarse"])


def downgrade() -> None:
    op.drop_index("ix_identity_frame_prints_coarse", "identity_frame_prints")
    op.drop_table("identity_frame_prints")
