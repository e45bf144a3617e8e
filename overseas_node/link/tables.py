"""The node's tables for its own audit log, the hub heads it has seen and the alarms raised."""

from __future__ import annotations

from sqlalchemy import BigInteger, Column, Integer, String, Table, Text

from common.auditlog import log_tables
from common.db import UTCDateTime
from common.signing_stores import replay_table, seen_heads_table
from overseas_node.db import Base

__all__ = ["log", "sealed_replays", "seen_heads", "treewatch_alarms"]

log = log_tables(Base.metadata)
seen_heads = seen_heads_table(Base.metadata)
sealed_replays = replay_table(Base.metadata)
treewatch_alarms = Table(
    "treewatch_alarms",
    Base.metadata,
    Column("id", Integer, primary_key=True),
    Column("at", UTCDateTime, nullable=False),
    Column("log", String(64), nullable=False),
    Column("tree_size", BigInteger().with_variant(Integer(), "sqlite"), nullable=False),
    Column("reason", Text, nullable=False),
    Column("head", Text, nullable=False),  # the offending signed head, as JSON
)
