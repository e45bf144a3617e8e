"""Calendars: each year's published holidays and make-up working days per country.

Revision ID: calendar_0001
Revises: hub_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "calendar_0001"
down_revision = "hub_0002"
branch_labels = ("calendars",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "calendar_years",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("country", sa.String(2), nullable=False),
        sa.Column("year", sa.Integer, nullable=False),
        sa.Column("version", sa.Integer, nullable=False),
        sa.Column("current", sa.Boolean, nullable=False),
        sa.Column("source", sa.String(300), nullable=False),
        sa.Column("days", sa.JSON, nullable=False),
        sa.Column("published_at", sa.DateTime(timezone=True), nullable=False),
        sa.UniqueConstraint("country", "year", "version", name="uq_calendar_years_version"),
    )


def downgrade() -> None:
    op.drop_table("calendar_years")
