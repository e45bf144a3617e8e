"""The simulator's tables: cases, idempotency keys, and the shared outbox (callbacks) and inbox
(nonces seen)."""

from __future__ import annotations

from sqlalchemy import (
    Boolean,
    Column,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
)

from common.audit import audit_table
from common.db import NAMING, UTCDateTime
from common.outbox.store import inbox_table, outbox_table

__all__ = ["audit_events", "cases", "idempotency_keys", "inbox_keys", "metadata", "outbox"]

metadata = MetaData(naming_convention=NAMING)
audit_events = audit_table(metadata)
outbox = outbox_table(metadata)
inbox_keys = inbox_table(metadata)

cases = Table(
    "platform_cases",
    metadata,
    Column("case_no", String(32), primary_key=True),
    Column("client_id", String(64), nullable=False),
    Column("idempotency_key", String(200), nullable=False),
    Column("reference", String(64), nullable=False),
    Column("status", String(16), nullable=False, index=True),
    Column("version", Integer, nullable=False),
    Column("reason", Text, nullable=True),
    Column("payload", Text, nullable=False),
    Column("callback_url", Text, nullable=False),
    Column("received_at", UTCDateTime, nullable=False),
    Column("updated_at", UTCDateTime, nullable=False),
    UniqueConstraint("client_id", "reference", name="uq_platform_cases_client_reference"),
)

idempotency_keys = Table(
    "platform_idempotency_keys",
    metadata,
    Column("client_id", String(64), nullable=False),
    Column("key", String(200), nullable=False),
    Column("request_hash", String(64), nullable=False),
    Column("answered", Boolean, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("response_status", Integer, nullable=True),
    Column("response_body", Text, nullable=True),
    PrimaryKeyConstraint("client_id", "key", name="pk_platform_idempotency_keys"),
)
