"""Several hub instances: a registry kept by heartbeats in the database, and each video session
pinned to one media-handling instance.

A session is pinned when it is first asked for (:func:`pin_session`, the seam the video-session
code calls at creation): to the live instance with the fewest pinned sessions. It stays there
while that instance's heartbeat is fresh; once the heartbeat lapses (the instance died or was
stopped), the next request for the session moves it to a live instance. Both steps are
compare-and-set statements, so two instances racing for one session agree on one pin.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from datetime import datetime, timedelta

from sqlalchemy import Column, Integer, String, Table, Text, delete, func, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import UTCDateTime
from common.errors import N_, DomainError
from hub.db import Base

__all__ = [
    "NoLiveInstance",
    "Pin",
    "choose_instance",
    "heartbeat",
    "hub_instances",
    "leave",
    "live_instances",
    "pin_session",
    "session_pins",
]

hub_instances = Table(
    "hub_instances",
    Base.metadata,
    Column("id", String(64), primary_key=True),
    Column("address", Text, nullable=False),
    Column("started_at", UTCDateTime, nullable=False),
    Column("heartbeat_at", UTCDateTime, nullable=False),
)

session_pins = Table(
    "session_pins",
    Base.metadata,
    Column("session_id", String(64), primary_key=True),
    Column("instance_id", String(64), nullable=False, index=True),
    Column("pinned_at", UTCDateTime, nullable=False),
    Column("moves", Integer, nullable=False),
)


class NoLiveInstance(DomainError):
    status = 503


@dataclass(frozen=True)
class Pin:
    session_id: str
    instance_id: str
    moves: int  # how often the session changed instance


def choose_instance(live: Sequence[str], load: Mapping[str, int]) -> str:
    """The live instance with the fewest pinned sessions (ties: the smallest id)."""
    if not live:
        raise NoLiveInstance(
            "instances.none_live", N_("No hub instance can take video sessions right now.")
        )
    return min(live, key=lambda i: (load.get(i, 0), i))


async def heartbeat(
    session: AsyncSession, *, instance_id: str, address: str, now: datetime
) -> None:
    """Report this instance alive (registering it on its first beat)."""
    values = {"id": instance_id, "address": address, "started_at": now, "heartbeat_at": now}
    dialect = session.get_bind().dialect.name
    stmt = (pg_insert if dialect == "postgresql" else sqlite_insert)(hub_instances).values(values)
    await session.execute(
        stmt.on_conflict_do_update(
            index_elements=[hub_instances.c.id],
            set_={"address": address, "heartbeat_at": now},
        )
    )


async def leave(session: AsyncSession, *, instance_id: str) -> None:
    """A clean stop: the instance's sessions move at their next request, without waiting."""
    await session.execute(delete(hub_instances).where(hub_instances.c.id == instance_id))


async def live_instances(session: AsyncSession, *, now: datetime, ttl: timedelta) -> list[str]:
    rows = await session.execute(
        select(hub_instances.c.id)
        .where(hub_instances.c.heartbeat_at > now - ttl)
        .order_by(hub_instances.c.id)
    )
    return [str(r) for r in rows.scalars()]


async def _load(session: AsyncSession, live: Sequence[str]) -> dict[str, int]:
    rows = await session.execute(
        select(session_pins.c.instance_id, func.count())
        .where(session_pins.c.instance_id.in_(live))
        .group_by(session_pins.c.instance_id)
    )
    return {str(i): int(n) for i, n in rows}


async def _current(session: AsyncSession, session_id: str) -> Pin | None:
    row = (
        await session.execute(select(session_pins).where(session_pins.c.session_id == session_id))
    ).first()
    return None if row is None else Pin(row.session_id, row.instance_id, int(row.moves))


async def pin_session(
    session: AsyncSession, *, session_id: str, now: datetime, ttl: timedelta
) -> Pin:
    """The instance handling ``session_id``'s media: kept if alive, else chosen anew."""
    live = await live_instances(session, now=now, ttl=ttl)
    current = await _current(session, session_id)
    if current is not None and current.instance_id in live:
        return current
    chosen = choose_instance(live, await _load(session, live))
    if current is None:
        make = pg_insert if session.get_bind().dialect.name == "postgresql" else sqlite_insert
        values = {"session_id": session_id, "instance_id": chosen, "pinned_at": now, "moves": 0}
        # a racing instance may have pinned it meanwhile: its pin stands, read back below
        await session.execute(make(session_pins).values(values).on_conflict_do_nothing())
    else:  # the pinned instance is gone: move, unless another instance moved it first
        await session.execute(
            update(session_pins)
            .where(
                session_pins.c.session_id == session_id,
                session_pins.c.instance_id == current.instance_id,
            )
            .values(instance_id=chosen, pinned_at=now, moves=session_pins.c.moves + 1)
        )
    pinned = await _current(session, session_id)
    assert pinned is not None
    return pinned
