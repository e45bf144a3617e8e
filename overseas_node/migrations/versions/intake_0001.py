"""Intake at the node: catalogue copy, applications, materials.

Revision ID: intake_0001
Revises: node_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "intake_0001"
down_revision = "node_0002"
branch_labels = ("intake",)
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "catalogue_copy",
        sa.Column("code", sa.String(16), primary_key=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("name_zh", sa.String(120), nullable=False),
        sa.Column("name_en", sa.String(160), nullable=False),
        sa.Column("guide", sa.JSON, nullable=False),
        sa.Column("synced_at", TS, nullable=False),
    )
    op.create_table(
        "node_applications",
        sa.Column("number", sa.String(32), primary_key=True),
        sa.Column("query_code", sa.String(16), nullable=False),
        sa.Column("item_code", sa.String(16), nullable=False),
        sa.Column("item_version", sa.Integer, nullable=False),
        sa.Column("clerk", sa.String(64), nullable=False),
        sa.Column("resident", sa.JSON, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("hub_state", sa.String(16)),
        sa.Column("hub_history", sa.JSON, nullable=False),
        sa.Column("rounds", sa.Integer, nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
    )
    op.create_table(
        "node_materials",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "number",
            sa.String(32),
            sa.ForeignKey("node_applications.number"),
            nullable=False,
            index=True,
        ),
        sa.Column("material_code", sa.String(40), nullable=False),
        sa.Column("trust", sa.String(1), nullable=False),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("content_type", sa.String(40), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("round", sa.Integer, nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("node_materials")
    op.drop_table("node_applications")
    op.drop_table("catalogue_copy")
