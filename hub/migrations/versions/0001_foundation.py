"""Foundation: audit log, offices and staff.

Revision ID: hub_0001
Revises:
"""

import sqlalchemy as sa
from alembic import op

from common.migration_ops import create_audit_events, drop_audit_events

revision = "hub_0001"
down_revision = None
branch_labels = None
depends_on = None


def upgrade() -> None:
    create_audit_events()
    op.create_table(
        "offices",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("name_zh", sa.String(120), nullable=False),
        sa.Column("name_en", sa.String(120), nullable=False),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("timezone", sa.String(64), nullable=False),
    )
    op.create_table(
        "staff",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("username", sa.String(64), nullable=False, unique=True),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("office_code", sa.String(16), sa.ForeignKey("offices.code"), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
    )


def downgrade() -> None:
    op.drop_table("staff")
    op.drop_table("offices")
    drop_audit_events()
