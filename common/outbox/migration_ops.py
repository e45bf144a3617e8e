"""Migration steps creating the outbox and inbox tables, shared by the services' histories.

Written out here (not generated from :mod:`common.outbox.store`) so that a migration keeps
meaning what it meant when it ran, whatever the table factory becomes later.
"""

from __future__ import annotations

import sqlalchemy as sa
from alembic import op

__all__ = ["add_request_id", "create_outbox_tables", "drop_outbox_tables", "drop_request_id"]


def create_outbox_tables(outbox: str = "outbox_messages", inbox: str = "inbox_keys") -> None:
    op.create_table(
        outbox,
        sa.Column("id", sa.BigInteger().with_variant(sa.Integer(), "sqlite"), primary_key=True),
        sa.Column("destination", sa.String(64), nullable=False),
        sa.Column("kind", sa.String(64), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("order_key", sa.String(200), nullable=False),
        sa.Column("payload", sa.Text, nullable=False),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("attempts", sa.Integer, nullable=False),
        sa.Column("created_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("updated_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("due_at", sa.DateTime(timezone=True), nullable=False),
        sa.Column("lease_token", sa.String(32), nullable=True),
        sa.Column("lease_until", sa.DateTime(timezone=True), nullable=True),
        sa.Column("delivered_at", sa.DateTime(timezone=True), nullable=True),
        sa.Column("last_error", sa.Text, nullable=True),
        sa.PrimaryKeyConstraint("id", name=f"pk_{outbox}"),
        sa.UniqueConstraint("destination", "key", name=f"uq_{outbox}_destination_key"),
    )
    op.create_index(f"ix_{outbox}_state_due", outbox, ["state", "due_at"])
    op.create_index(f"ix_{outbox}_order", outbox, ["order_key", "id"])
    op.create_table(
        inbox,
        sa.Column("source", sa.String(64), nullable=False),
        sa.Column("key", sa.String(200), nullable=False),
        sa.Column("received_at", sa.DateTime(timezone=True), nullable=False),
        sa.PrimaryKeyConstraint("source", "key", name=f"pk_{inbox}"),
    )


def drop_outbox_tables(outbox: str = "outbox_messages", inbox: str = "inbox_keys") -> None:
    op.drop_table(inbox)
    op.drop_index(f"ix_{outbox}_order", outbox)
    op.drop_index(f"ix_{outbox}_state_due", outbox)
    op.drop_table(outbox)


def add_request_id(outbox: str = "outbox_messages") -> None:
    """The id of the request that queued a message (outbox_0002): logs across services join."""
    with op.batch_alter_table(outbox) as batch:
        batch.add_column(sa.Column("request_id", sa.String(64), nullable=True))


def drop_request_id(outbox: str = "outbox_messages") -> None:
    with op.batch_alter_table(outbox) as batch:
        batch.drop_column("request_id")
