"""Identity: kiosk grants, with which the branch kiosk verifies one resident without a login.

Revision ID: identity_0002
Revises: identity_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_0002"
down_revision = "identity_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_kiosk_grants",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("token_sha256", sa.String(64), nullable=False, unique=True),
        sa.Column("resident_id", sa.String(120), nullable=False),
        sa.Column("branch", sa.String(16), nullable=False),
        sa.Column("act_id", sa.String(40), nullable=False),
        sa.Column("booking_reference", sa.String(40), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempt_id", sa.String(36), nullable=True),
        sa.Column("opened_by", sa.String(120), nullable=False),
        sa.Column("opened_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("used_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("identity_kiosk_grants")
