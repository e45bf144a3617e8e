"""The one audit function: every decision of a service is recorded through :func:`record`.

Each entry is canonically encoded (versioned JSON) and its RFC 9162 leaf hash stored beside it,
so the entries can be arranged in a Merkle tree and proved later.
"""

from __future__ import annotations

import hashlib
import json
from datetime import datetime
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    Text,
    insert,
)
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import Principal
from common.db import UTCDateTime

__all__ = ["audit_row", "audit_table", "canonical_entry", "leaf_hash", "record"]

ENTRY_VERSION = 1


def audit_table(metadata: MetaData) -> Table:
    return Table(
        "audit_events",
        metadata,
        Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
        Column("at", UTCDateTime, nullable=False),
        Column("actor", String(120), nullable=False),
        Column("actor_role", String(32), nullable=False),
        Column("action", String(80), nullable=False, index=True),
        Column("subject", String(160), nullable=False, index=True),
        Column("entry", Text, nullable=False),
        Column("leaf_hash", LargeBinary(32), nullable=False),
    )


def canonical_entry(
    *, at: datetime, actor: str, actor_role: str, action: str, subject: str, detail: dict[str, Any]
) -> bytes:
    if at.tzinfo is None:
        raise ValueError("audit times are timezone-aware")
    doc = {
        "v": ENTRY_VERSION,
        "at": at.isoformat(),
        "actor": actor,
        "role": actor_role,
        "action": action,
        "subject": subject,
        "detail": detail,
    }
    return json.dumps(doc, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def leaf_hash(entry: bytes) -> bytes:
    return hashlib.sha256(b"\x00" + entry).digest()


def audit_row(
    *,
    at: datetime,
    actor: Principal | str,
    action: str,
    subject: str,
    detail: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """The row that records one decision: its canonical entry and the entry's leaf hash."""
    name, role = (
        (actor.subject, actor.role.value) if isinstance(actor, Principal) else (actor, "system")
    )
    entry = canonical_entry(
        at=at, actor=name, actor_role=role, action=action, subject=subject, detail=detail or {}
    )
    return {
        "at": at,
        "actor": name,
        "actor_role": role,
        "action": action,
        "subject": subject,
        "entry": entry.decode(),
        "leaf_hash": leaf_hash(entry),
    }


async def record(
    session: AsyncSession,
    table: Table,
    *,
    at: datetime,
    actor: Principal | str,
    action: str,
    subject: str,
    detail: dict[str, Any] | None = None,
) -> bytes:
    """Record one decision in the caller's transaction; returns the entry's leaf hash."""
    row = audit_row(at=at, actor=actor, action=action, subject=subject, detail=detail)
    await session.execute(insert(table).values(row))
    digest: bytes = row["leaf_hash"]
    return digest
