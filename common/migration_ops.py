"""Migration steps that several services' Alembic histories share."""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__ = [
    "create_audit_events",
    "create_signin_security",
    "create_staff_sessions",
    "drop_audit_events",
    "drop_signin_security",
    "drop_staff_sessions",
]


def create_audit_events() -> None:
    op.create_table(
        "audit_events",
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("actor", sa.String(120), nullable=False),
        sa.Column("actor_role", sa.String(32), nullable=False),
        sa.Column("action", sa.String(80), nullable=False),
        sa.Column("subject", sa.String(160), nullable=False),
        sa.Column("entry", sa.Text, nullable=False),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_index("ix_audit_events_action", "audit_events", ["action"])
    op.create_index("ix_audit_events_subject", "audit_events", ["subject"])


def drop_audit_events() -> None:
    op.drop_index("ix_audit_events_subject", "audit_events")
    op.drop_index("ix_audit_events_action", "audit_events")
    op.drop_table("audit_events")


def create_staff_sessions() -> None:
    op.create_table(
        "staff_sessions",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("token_hash", sa.String(64), nullable=False, unique=True),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("branch", sa.String(16), nullable=True),
        sa.Column("display_name", sa.String(120), nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("last_seen_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("revoked_at", sa.DateTime(timezone=True), nullable=True),
    )
    op.create_index("ix_staff_sessions_subject", "staff_sessions", ["subject"])


def drop_staff_sessions() -> None:
    op.drop_index("ix_staff_sessions_subject", "staff_sessions")
    op.drop_table("staff_sessions")


def create_signin_security() -> None:
    """Staff second factors and the failed sign-ins that lock an account out."""
    op.create_table(
        "staff_factors",
        sa.Column("subject", sa.String(64), primary_key=True),
        sa.Column("totp_secret", sa.String(64), nullable=True),
        sa.Column("confirmed_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("required", sa.Boolean, nullable=False, server_default=sa.false()),
        sa.Column("last_step", sa.BigInteger, nullable=True),
    )
    op.create_table(
        "signin_failures",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("subject", sa.String(64), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_signin_failures_subject", "signin_failures", ["subject"])


def drop_signin_security() -> None:
    op.drop_index("ix_signin_failures_subject", "signin_failures")
    op.drop_table("signin_failures")
    op.drop_table("staff_factors")
