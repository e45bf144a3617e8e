"""Intake: the hub's notices and promised date, the resident's promises, the hub's refusal.

Revision ID: intake_0002
Revises: intake_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "intake_0002"
down_revision = "intake_0001"
branch_labels = None
depends_on = None


def upgrade() -> None:
    with op.batch_alter_table("node_applications") as batch:
        batch.add_column(sa.Column("hub_notices", sa.JSON, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("promises", sa.JSON, nullable=False, server_default="[]"))
        batch.add_column(sa.Column("refusal", sa.JSON, nullable=True))
        batch.add_column(sa.Column("sends", sa.Integer, nullable=False, server_default="0"))
        batch.add_column(sa.Column("hub_deadline", sa.Date, nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("node_applications") as batch:
        batch.drop_column("hub_deadline")
        batch.drop_column("sends")
        batch.drop_column("refusal")
        batch.drop_column("promises")
        batch.drop_column("hub_notices")
