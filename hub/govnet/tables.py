"""The hub's record of each case's status at the platform."""

from __future__ import annotations

from sqlalchemy import Column, Index, Integer, String, Table, Text

from common.db import UTCDateTime
from hub.db import Base

__all__ = ["govnet_cases"]

govnet_cases = Table(
    "govnet_cases",
    Base.metadata,
    Column("reference", String(64), primary_key=True),
    Column("case_no", String(64), nullable=True),
    Column("status", String(32), nullable=False),
    Column("version", Integer, nullable=False),
    Column("reason", Text, nullable=True),
    Column("source", String(16), nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    Index("ix_govnet_cases_status", "status"),
)
