"""Migration steps that several services' Alembic histories share."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import sqlalchemy as sa
from alembic import context, op

from common.factors import sealed_for
from common.secretbox import SecretBox, service_box

__all__ = [
    "create_audit_events",
    "create_signin_security",
    "create_staff_sessions",
    "drop_audit_events",
    "drop_signin_security",
    "drop_staff_sessions",
    "seal_staff_factors",
    "unseal_staff_factors",
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


_FACTORS = sa.table(
    "staff_factors",
    sa.column("subject", sa.String),
    sa.column("totp_secret", sa.String),
    sa.column("totp_secret_sealed", sa.LargeBinary),
)


def _rewrite_secrets(
    source: str, target: str, change: Callable[[SecretBox, str, Any], Any]
) -> None:
    """Move every staff secret from column ``source`` to a new column ``target`` through
    ``change``, then drop ``source``. The key is found and every value changed before any
    column is touched: SQLite does not undo a column added in vain."""
    t, bind = _FACTORS, op.get_bind()
    rows = bind.execute(sa.select(t.c.subject, t.c[source]).where(t.c[source].is_not(None))).all()
    box = _service_box(len(rows)) if rows else None
    changed = [(subject, change(box, sealed_for(subject), value)) for subject, value in rows if box]
    kind = sa.LargeBinary() if target == "totp_secret_sealed" else sa.String(64)
    op.add_column("staff_factors", sa.Column(target, kind, nullable=True))
    for subject, value in changed:
        bind.execute(sa.update(t).where(t.c.subject == subject).values({target: value}))
    with op.batch_alter_table("staff_factors") as batch:
        batch.drop_column(source)


def _service_box(rows: int) -> SecretBox:
    data_dir = context.config.attributes.get("data_dir")
    if data_dir is None:
        raise RuntimeError(
            f"staff_factors holds {rows} authenticator secrets to seal or open with the "
            "service's key: run `qiaolink migrate`, which knows the data directory"
        )
    return service_box(Path(data_dir))


def seal_staff_factors() -> None:
    """Staff authenticator secrets, stored in clear until now, sealed under the service's key."""
    _rewrite_secrets("totp_secret", "totp_secret_sealed", lambda box, owner, v: box.seal(owner, v))


def unseal_staff_factors() -> None:
    _rewrite_secrets(
        "totp_secret_sealed", "totp_secret", lambda box, owner, v: box.unseal(owner, bytes(v))
    )
