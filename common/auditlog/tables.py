"""Tables of the Merkle log beside ``audit_events``, and the migration steps that make them."""

from __future__ import annotations

from dataclasses import dataclass

import sqlalchemy as sa
from sqlalchemy import BigInteger, Column, ForeignKey, Integer, LargeBinary, MetaData, Table

from common.db import UTCDateTime

__all__ = ["LogTables", "create_log_tables", "drop_log_tables", "log_tables"]

_ID = BigInteger().with_variant(Integer(), "sqlite")


@dataclass(frozen=True)
class LogTables:
    leaves: Table  # gapless index → audit event and its leaf hash
    heads: Table  # every signed tree head the log published
    state: Table  # one row: the log's size; locked by the sequencer


def log_tables(metadata: MetaData) -> LogTables:
    leaves = Table(
        "audit_leaves",
        metadata,
        Column("idx", _ID, primary_key=True, autoincrement=False),
        Column("event_id", _ID, ForeignKey("audit_events.id"), nullable=False, unique=True),
        Column("leaf_hash", LargeBinary(32), nullable=False),
    )
    heads = Table(
        "audit_tree_heads",
        metadata,
        Column("tree_size", _ID, primary_key=True, autoincrement=False),
        Column("root", LargeBinary(32), nullable=False),
        Column("timestamp", UTCDateTime, nullable=False),
        Column("signature", LargeBinary(64), nullable=False),
    )
    state = Table(
        "audit_log_state",
        metadata,
        Column("id", Integer, primary_key=True, autoincrement=False),
        Column("size", _ID, nullable=False),
    )
    return LogTables(leaves, heads, state)


def create_log_tables() -> None:
    """Alembic steps (call inside a migration's ``upgrade``)."""
    from alembic import op

    big = sa.BigInteger().with_variant(sa.Integer(), "sqlite")
    op.create_table(
        "audit_leaves",
        sa.Column("idx", big, primary_key=True, autoincrement=False),
        sa.Column("event_id", big, sa.ForeignKey("audit_events.id"), nullable=False, unique=True),
        sa.Column("leaf_hash", sa.LargeBinary(32), nullable=False),
    )
    op.create_table(
        "audit_tree_heads",
        sa.Column("tree_size", big, primary_key=True, autoincrement=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signature", sa.LargeBinary(64), nullable=False),
    )
    state = op.create_table(
        "audit_log_state",
        sa.Column("id", sa.Integer, primary_key=True, autoincrement=False),
        sa.Column("size", big, nullable=False),
    )
    op.bulk_insert(state, [{"id": 1, "size": 0}])


def drop_log_tables() -> None:
    from alembic import op

    for name in ("audit_log_state", "audit_tree_heads", "audit_leaves"):
        op.drop_table(name)
