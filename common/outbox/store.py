"""The outbox and inbox tables and the statements on them.

Every function takes the caller's session, so a state change and the message it causes commit
in one transaction (``enqueue``), and a receiver's effect commits with its dedup mark
(``accept_once``). Claiming is safe between several relays: PostgreSQL skips rows another
relay holds (``FOR UPDATE SKIP LOCKED``); SQLite serialises writers, and the claim is a
compare-and-set on the lease columns re-checked inside the one ``UPDATE``.
"""

from __future__ import annotations

import json
import uuid
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Any

from sqlalchemy import (
    BigInteger,
    Column,
    Index,
    Integer,
    MetaData,
    PrimaryKeyConstraint,
    String,
    Table,
    Text,
    UniqueConstraint,
    and_,
    case,
    exists,
    func,
    insert,
    or_,
    select,
    update,
)
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.sql.elements import ColumnElement

from common.db import UTCDateTime
from common.errors import N_, Conflict, NotFound
from common.logs import REQUEST_ID
from common.outbox.model import MessageState, NextStep

__all__ = [
    "DeadLetter",
    "DestinationStats",
    "OutboxMessage",
    "accept_once",
    "claim_due",
    "dead_letters",
    "enqueue",
    "finish",
    "inbox_table",
    "outbox_table",
    "queue_stats",
    "requeue",
]


def outbox_table(metadata: MetaData, name: str = "outbox_messages") -> Table:
    return Table(
        name,
        metadata,
        Column("id", BigInteger().with_variant(Integer(), "sqlite"), primary_key=True),
        Column("destination", String(64), nullable=False),
        Column("kind", String(64), nullable=False),
        Column("key", String(200), nullable=False),
        Column("order_key", String(200), nullable=False),
        Column("payload", Text, nullable=False),
        Column("state", String(16), nullable=False),
        Column("attempts", Integer, nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("updated_at", UTCDateTime, nullable=False),
        Column("due_at", UTCDateTime, nullable=False),
        Column("lease_token", String(32), nullable=True),
        Column("lease_until", UTCDateTime, nullable=True),
        Column("delivered_at", UTCDateTime, nullable=True),
        Column("last_error", Text, nullable=True),
        Column("request_id", String(64), nullable=True),  # the request that queued it
        UniqueConstraint("destination", "key", name=f"uq_{name}_destination_key"),
        Index(f"ix_{name}_state_due", "state", "due_at"),
        Index(f"ix_{name}_order", "order_key", "id"),
    )


def inbox_table(metadata: MetaData, name: str = "inbox_keys") -> Table:
    return Table(
        name,
        metadata,
        Column("source", String(64), nullable=False),
        Column("key", String(200), nullable=False),
        Column("received_at", UTCDateTime, nullable=False),
        PrimaryKeyConstraint("source", "key", name=f"pk_{name}"),
    )


@dataclass(frozen=True)
class OutboxMessage:
    id: int
    destination: str
    kind: str
    key: str  # the idempotency key the receiver dedups on
    order_key: str
    payload: dict[str, Any]
    attempts: int  # including the one now under way
    created_at: datetime
    lease_token: str
    request_id: str | None = None  # of the request that queued it: the relay sends under it


def _dialect(session: AsyncSession) -> str:
    return session.get_bind().dialect.name


def _encode(payload: dict[str, Any]) -> str:
    return json.dumps(payload, sort_keys=True, separators=(",", ":"), ensure_ascii=False)


async def enqueue(
    session: AsyncSession,
    table: Table,
    *,
    destination: str,
    kind: str,
    key: str,
    payload: dict[str, Any],
    order_key: str,
    now: datetime,
) -> int:
    """Add a message in the caller's transaction; the same key and payload again is a no-op."""
    text = _encode(payload)
    existing = (
        await session.execute(
            select(table.c.id, table.c.payload).where(
                table.c.destination == destination, table.c.key == key
            )
        )
    ).first()
    if existing is not None:
        if existing.payload != text:
            raise Conflict(
                "outbox.key_reused",
                N_("This message key was already used for different content."),
                params={"key": key},
            )
        return int(existing.id)
    result = await session.execute(
        insert(table)
        .values(
            destination=destination,
            kind=kind,
            key=key,
            order_key=order_key,
            payload=text,
            state=MessageState.PENDING.value,
            attempts=0,
            created_at=now,
            updated_at=now,
            due_at=now,
            request_id=None if REQUEST_ID.get() == "-" else REQUEST_ID.get(),
        )
        .returning(table.c.id)
    )
    return int(result.scalar_one())


def _due(table: Table, now: datetime, destinations: list[str] | None) -> ColumnElement[bool]:
    earlier = table.alias("earlier")
    blocked = exists().where(
        earlier.c.order_key == table.c.order_key,
        earlier.c.id < table.c.id,
        earlier.c.state != MessageState.DELIVERED.value,
    )
    conditions = [
        table.c.state == MessageState.PENDING.value,
        table.c.due_at <= now,
        or_(table.c.lease_until.is_(None), table.c.lease_until <= now),
        ~blocked,
    ]
    if destinations is not None:
        conditions.append(table.c.destination.in_(destinations))
    return and_(*conditions)


async def claim_due(
    session: AsyncSession,
    table: Table,
    *,
    now: datetime,
    lease: timedelta,
    limit: int,
    destinations: list[str] | None = None,
) -> list[OutboxMessage]:
    """Lease up to ``limit`` due messages, at most the oldest undelivered one per order key."""
    token = uuid.uuid4().hex
    due = _due(table, now, destinations)
    candidates = select(table.c.id).where(due).order_by(table.c.id).limit(limit)
    if _dialect(session) == "postgresql":
        ids = list(
            (
                await session.execute(candidates.with_for_update(skip_locked=True, of=table))
            ).scalars()
        )
        if not ids:
            return []
        target: ColumnElement[bool] = table.c.id.in_(ids)
    else:
        # compare-and-set: the due conditions are checked again by the UPDATE itself
        target = and_(table.c.id.in_(candidates.scalar_subquery()), due)
    rows = await session.execute(
        update(table)
        .where(target)
        .values(
            lease_token=token,
            lease_until=now + lease,
            attempts=table.c.attempts + 1,
            updated_at=now,
        )
        .returning(*table.c)
    )
    claimed = [
        OutboxMessage(
            id=int(r.id),
            destination=r.destination,
            kind=r.kind,
            key=r.key,
            order_key=r.order_key,
            payload=json.loads(r.payload),
            attempts=int(r.attempts),
            created_at=r.created_at,
            lease_token=token,
            request_id=r.request_id,
        )
        for r in rows
    ]
    return sorted(claimed, key=lambda m: m.id)


async def finish(
    session: AsyncSession,
    table: Table,
    message: OutboxMessage,
    step: NextStep,
    *,
    now: datetime,
) -> bool:
    """Record the end of an attempt; False if the lease was lost (another relay took over)."""
    values: dict[str, Any] = {
        "state": step.state.value,
        "updated_at": now,
        "lease_token": None,
        "lease_until": None,
        "last_error": step.reason or None,
    }
    if step.state is MessageState.DELIVERED:
        values["delivered_at"] = now
    if step.due_at is not None:
        values["due_at"] = step.due_at
    result = await session.execute(
        update(table)
        .where(
            table.c.id == message.id,
            table.c.lease_token == message.lease_token,
            table.c.state == MessageState.PENDING.value,
        )
        .values(**values)
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]


async def requeue(session: AsyncSession, table: Table, message_id: int, *, now: datetime) -> str:
    """Put a dead letter back in the queue with a fresh attempt count; returns its key."""
    row = (
        await session.execute(select(table.c.state, table.c.key).where(table.c.id == message_id))
    ).first()
    if row is None:
        raise NotFound("outbox.no_message", N_("No such message in the outbox."))
    if row.state != MessageState.DEAD.value:
        raise Conflict(
            "outbox.not_dead",
            N_("Only a dead letter can be requeued; this message is {state}."),
            params={"state": row.state},
        )
    await session.execute(
        update(table)
        .where(table.c.id == message_id, table.c.state == MessageState.DEAD.value)
        .values(state=MessageState.PENDING.value, attempts=0, due_at=now, updated_at=now)
    )
    return str(row.key)


@dataclass(frozen=True)
class DestinationStats:
    destination: str
    depth: int  # undelivered messages still being tried
    oldest_undelivered: datetime | None
    dead: int
    attempts: int  # send attempts in the window
    failures: int  # of which failed

    @property
    def error_rate(self) -> float:
        return self.failures / self.attempts if self.attempts else 0.0


async def queue_stats(
    session: AsyncSession, table: Table, *, now: datetime, window: timedelta
) -> list[DestinationStats]:
    """Per destination: depth, oldest undelivered, dead letters and recent error rate."""
    pending = table.c.state == MessageState.PENDING.value
    delivered = table.c.state == MessageState.DELIVERED.value
    in_flight = and_(pending, table.c.lease_until > now)
    recent = table.c.updated_at >= now - window

    def count(cond: ColumnElement[bool]) -> Any:
        return func.coalesce(func.sum(case((cond, 1), else_=0)), 0)

    rows = await session.execute(
        select(
            table.c.destination,
            count(pending).label("depth"),
            func.min(case((pending, table.c.created_at), else_=None)).label("oldest"),
            count(table.c.state == MessageState.DEAD.value).label("dead"),
            count(and_(recent, delivered)).label("delivered_recent"),
            count(and_(recent, in_flight)).label("in_flight_recent"),
            func.coalesce(func.sum(case((recent, table.c.attempts), else_=0)), 0).label(
                "attempts_recent"
            ),
        ).group_by(table.c.destination)
    )
    stats = []
    for r in rows:
        attempts = int(r.attempts_recent)
        failures = max(0, attempts - int(r.delivered_recent) - int(r.in_flight_recent))
        oldest = r.oldest
        if isinstance(oldest, str):  # SQLite loses the type through CASE
            oldest = datetime.fromisoformat(oldest)
        if isinstance(oldest, datetime) and oldest.tzinfo is None:
            oldest = oldest.replace(tzinfo=UTC)
        stats.append(
            DestinationStats(
                destination=r.destination,
                depth=int(r.depth),
                oldest_undelivered=oldest,
                dead=int(r.dead),
                attempts=attempts,
                failures=failures,
            )
        )
    return sorted(stats, key=lambda s: s.destination)


@dataclass(frozen=True)
class DeadLetter:
    id: int
    destination: str
    kind: str
    key: str
    reason: str
    attempts: int
    since: datetime


async def dead_letters(
    session: AsyncSession, table: Table, *, limit: int = 100
) -> list[DeadLetter]:
    rows = await session.execute(
        select(table)
        .where(table.c.state == MessageState.DEAD.value)
        .order_by(table.c.updated_at)
        .limit(limit)
    )
    return [
        DeadLetter(
            int(r.id), r.destination, r.kind, r.key, r.last_error or "", r.attempts, r.updated_at
        )
        for r in rows
    ]


async def accept_once(
    session: AsyncSession, table: Table, *, source: str, key: str, now: datetime
) -> bool:
    """Mark ``(source, key)`` as received; False if it was already (a duplicate to ignore)."""
    stmt = pg_insert(table) if _dialect(session) == "postgresql" else sqlite_insert(table)
    result = await session.execute(
        stmt.values(source=source, key=key, received_at=now).on_conflict_do_nothing()
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
