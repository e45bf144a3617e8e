"""Remote notarization: notarial acts and the notary's electronic journal.

Revision ID: notary_0001
Revises: hub_0002
"""

import sqlalchemy as sa
from alembic import op

revision = "notary_0001"
down_revision = "hub_0002"
branch_labels = ("notary",)
depends_on = None

TS = sa.DateTime(timezone=True)


def upgrade() -> None:
    op.create_table(
        "notarial_acts",
        sa.Column("id", sa.String(24), primary_key=True),
        sa.Column("number", sa.String(32), nullable=False, unique=True),
        sa.Column("act_type", sa.String(32), nullable=False),
        sa.Column("state", sa.String(16), nullable=False, index=True),
        sa.Column("application_number", sa.String(32), nullable=False, index=True),
        sa.Column("resident_id", sa.String(120), nullable=False),
        sa.Column("resident_name", sa.String(120), nullable=False),
        sa.Column("resident_document", sa.String(40), nullable=False),
        sa.Column("resident_lang", sa.String(2), nullable=False),
        sa.Column("branch", sa.String(16), nullable=False, index=True),
        sa.Column("booking_reference", sa.String(32), nullable=False),
        sa.Column("notary", sa.String(64), nullable=False, index=True),
        sa.Column("scheduled_at", TS, nullable=False),
        sa.Column("particulars", sa.JSON, nullable=False),
        sa.Column("copies", sa.Integer, nullable=False),
        sa.Column("fee_cents", sa.Integer, nullable=False),
        sa.Column("verification_code", sa.String(16), nullable=False, unique=True),
        sa.Column("identity_attempt", sa.String(64)),
        sa.Column("identity_decision", sa.Text),
        sa.Column("identity_sha256", sa.String(64)),
        sa.Column("identity_distance", sa.Float),
        sa.Column("video_session_id", sa.String(32)),
        sa.Column("advisements", sa.JSON, nullable=False),
        sa.Column("signing_request_id", sa.String(32)),
        sa.Column("document_sha256", sa.String(64)),
        sa.Column("certificate_sha256", sa.String(64)),
        sa.Column("witness", sa.String(64)),
        sa.Column("reason", sa.Text),
        sa.Column("created_by", sa.String(64), nullable=False),
        sa.Column("created_at", TS, nullable=False),
        sa.Column("updated_at", TS, nullable=False),
        sa.Column("issued_at", TS),
    )
    op.create_table(
        "notary_journal",
        sa.Column("seq", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("notary", sa.String(64), nullable=False, index=True),
        sa.Column("act_id", sa.String(24), nullable=False, index=True),
        sa.Column("outcome", sa.String(16), nullable=False),
        sa.Column("recorded_at", TS, nullable=False),
        sa.Column("entry", sa.JSON, nullable=False),
    )


def downgrade() -> None:
    op.drop_table("notary_journal")
    op.drop_table("notarial_acts")
