"""Identity: templates, verification attempts, frames, replay ledger, lock-outs.

Revision ID: identity_0001
Revises: node_0001
"""

import sqlalchemy as sa
from alembic import op

revision = "identity_0001"
down_revision = "node_0001"
branch_labels = ("identity",)
depends_on = None


def upgrade() -> None:
    op.create_table(
        "identity_templates",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("resident_id", sa.String(120), nullable=False),
        sa.Column("branch", sa.String(16), nullable=False),
        sa.Column("sealed", sa.LargeBinary, nullable=True),
        sa.Column("photo_sha256", sa.String(64), nullable=False),
        sa.Column("quality", sa.Text, nullable=False),
        sa.Column("review_match", sa.String(120), nullable=True),
        sa.Column("enrolled_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("enrolled_by", sa.String(120), nullable=False),
        sa.Column("deleted_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_identity_templates_resident_id", "identity_templates", ["resident_id"])
    op.create_table(
        "identity_attempts",
        sa.Column("id", sa.String(36), primary_key=True),
        sa.Column("resident_id", sa.String(120), nullable=False),
        sa.Column("branch", sa.String(16), nullable=False),
        sa.Column("challenge", sa.String(80), nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("issued_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("expires_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("accepted", sa.Boolean, nullable=True),
        sa.Column("distance", sa.Float, nullable=True),
        sa.Column("decision", sa.Text, nullable=True),
        sa.Column("key_id", sa.String(64), nullable=True),
        sa.Column("signature", sa.LargeBinary, nullable=True),
        sa.Column("decided_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_identity_attempts_resident_id", "identity_attempts", ["resident_id"])
    op.create_table(
        "identity_frames",
        sa.Column(
            "attempt_id",
            sa.String(36),
            sa.ForeignKey(
                "identity_attempts.id", name="fk_identity_frames_attempt_id_identity_attempts"
            ),
            primary_key=True,
        ),
        sa.Column("idx", sa.Integer, primary_key=True),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("content_type", sa.String(32), nullable=False),
        sa.Column("sealed", sa.LargeBinary, nullable=False),
        sa.Column("stored_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "identity_frame_hashes",
        sa.Column("sha256", sa.String(64), primary_key=True),
        sa.Column("attempt_id", sa.String(36), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_table(
        "identity_lockouts",
        sa.Column("resident_id", sa.String(120), primary_key=True),
        sa.Column("failures", sa.Integer, nullable=False),
        sa.Column("last_failure_at", sa.DateTime(timezone=True), nullable=True),
    )


def downgrade() -> None:
    op.drop_table("identity_lockouts")
    op.drop_table("identity_frame_hashes")
    op.drop_table("identity_frames")
    op.drop_index("ix_identity_attempts_resident_id", "identity_attempts")
    op.drop_table("identity_attempts")
    op.drop_index("ix_identity_templates_resident_id", "identity_templates")
    op.drop_table("identity_templates")
