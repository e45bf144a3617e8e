"""Service catalogue and applications (intake, lifecycle, notices, ratings).

Revision ID: apps_0001
Revises: hub_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "apps_0001"
down_revision = "hub_0002"
branch_labels = ("applications",)
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "service_items",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("code", sa.String(16), nullable=False, index=True),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("current", sa.Boolean, nullable=False),
        sa.Column("category", sa.String(32), nullable=False),
        sa.Column("name_zh", sa.String(120), nullable=False),
        sa.Column("name_en", sa.String(160), nullable=False),
        sa.Column("promised_days", sa.Integer, nullable=False),
        sa.Column("statutory_days", sa.Integer, nullable=False),
        sa.Column("guide", sa.JSON, nullable=False),
        sa.Column("published_at", TS, nullable=False),
        sa.UniqueConstraint("code", "version", name="uq_service_items_code_version"),
    )
    op.create_table(
        "applications",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("number", sa.String(32), nullable=False, unique=True),
        sa.Column("query_code_hash", sa.String(64), nullable=False),
        sa.Column("item_code", sa.String(16), nullable=False, index=True),
        sa.Column("item_version", sa.Integer, nullable=False),
        sa.Column("branch", sa.String(16), nullable=False, index=True),
        sa.Column("owner", sa.String(64), nullable=False),
        sa.Column("resident_name", sa.String(120), nullable=False),
        sa.Column("resident_document", sa.String(40), nullable=False),
        sa.Column("resident_country", sa.String(2), nullable=False),
        sa.Column("resident_zone", sa.String(64), nullable=False),
        sa.Column("resident_lang", sa.String(2), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("submitted_at", TS),
        sa.Column("accepted_at", TS),
        sa.Column("deadline", sa.Date, index=True),
        sa.Column("completed_at", TS),
    )
    op.create_table(
        "application_materials",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "application_id",
            sa.Integer,
            sa.ForeignKey("applications.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("material_code", sa.String(40), nullable=False),
        sa.Column("status", sa.String(16), nullable=False),
        sa.Column("trust", sa.String(1)),
        sa.Column("display_name", sa.String(120)),
        sa.Column("content_type", sa.String(40)),
        sa.Column("sha256", sa.String(64)),
        sa.Column("size", sa.Integer),
        sa.Column("checked_by", sa.String(64)),
        sa.Column("invalid_reason", sa.Text),
        sa.Column("pending_due", sa.Date),
        sa.Column("recorded_at", TS, nullable=False),
    )
    op.create_table(
        "application_events",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "application_id",
            sa.Integer,
            sa.ForeignKey("applications.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("at", TS, nullable=False),
        sa.Column("actor", sa.String(64), nullable=False),
        sa.Column("from_state", sa.String(16)),
        sa.Column("to_state", sa.String(16), nullable=False),
        sa.Column("note", sa.JSON, nullable=False),
    )
    op.create_table(
        "deficiency_notices",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "application_id",
            sa.Integer,
            sa.ForeignKey("applications.id"),
            nullable=False,
            index=True,
        ),
        sa.Column("issued_at", TS, nullable=False),
        sa.Column("issued_by", sa.String(64), nullable=False),
        sa.Column("items", sa.JSON, nullable=False),
        sa.Column("resolved_at", TS),
    )
    op.create_table(
        "ratings",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column(
            "application_id",
            sa.Integer,
            sa.ForeignKey("applications.id"),
            nullable=False,
            unique=True,
        ),
        sa.Column("level", sa.Integer, nullable=False),
        sa.Column("comment", sa.Text, nullable=False),
        sa.Column("at", TS, nullable=False),
        sa.Column("follow_up", sa.String(16), nullable=False),
    )


def downgrade() -> None:
    for table in (
        "ratings",
        "deficiency_notices",
        "application_events",
        "application_materials",
        "applications",
        "service_items",
    ):
        op.drop_table(table)
