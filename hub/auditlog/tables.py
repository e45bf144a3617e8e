"""The hub's tables for the audit log and the signing stores (migration ``auditlog_0001``)."""

from __future__ import annotations

from common.auditlog import log_tables
from common.signing_stores import code_tables, replay_table
from hub.db import Base

__all__ = ["code_steps", "log", "sealed_replays"]

log = log_tables(Base.metadata)
code_steps = code_tables(Base.metadata)
sealed_replays = replay_table(Base.metadata)
