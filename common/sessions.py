"""Staff sign-in sessions: opaque tokens, stored hashed, expiring on idle and absolutely.

The table is created in each service's own database; the row keeps the principal it stands for,
so authenticating a request is one indexed lookup, and a session just read is served from
memory for a few seconds. Signing out forgets the session at once on every instance: the
revocation is written to the table, then announced on the bus (Redis when configured).
"""

from __future__ import annotations

import asyncio
import contextlib
import hashlib
import logging
import secrets
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from aiohttp import web
from sqlalchemy import Column, Integer, MetaData, String, Table, select, update

from common.access import Principal, Role
from common.bus import Bus
from common.clock import Clock
from common.db import Database, UTCDateTime

__all__ = [
    "REVOKED_CHANNEL",
    "SESSION_COOKIE",
    "SessionAuthenticator",
    "SessionPolicy",
    "open_session",
    "revoke_all",
    "revoke_session",
    "sessions_table",
]

SESSION_COOKIE = "qiaolink_session"
REVOKED_CHANNEL = "sessions.revoked"
log = logging.getLogger("qiaolink.sessions")


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    touch_every: timedelta = timedelta(seconds=30)
    remember: timedelta = timedelta(seconds=5)  # served from memory this long after a read
    remember_at_most: int = 10_000  # sessions kept in memory per instance
    echo_wait: timedelta = timedelta(seconds=2)  # for a revocation to come back over the bus


def sessions_table(metadata: MetaData) -> Table:
    return Table(
        "staff_sessions",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("token_hash", String(64), nullable=False, unique=True),
        Column("subject", String(64), nullable=False, index=True),
        Column("role", String(32), nullable=False),
        Column("branch", String(16), nullable=True),
        Column("display_name", String(120), nullable=False),
        Column("created_at", UTCDateTime, nullable=False),
        Column("last_seen_at", UTCDateTime, nullable=False),
        Column("revoked_at", UTCDateTime, nullable=True),
    )


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


async def open_session(db: Database, table: Table, principal: Principal, now: datetime) -> str:
    token = secrets.token_urlsafe(32)
    async with db.transaction() as session:
        await session.execute(
            table.insert().values(
                token_hash=_digest(token),
                subject=principal.subject,
                role=principal.role.value,
                branch=principal.branch,
                display_name=principal.display_name,
                created_at=now,
                last_seen_at=now,
            )
        )
    return token


async def revoke_session(db: Database, table: Table, token: str, now: datetime) -> None:
    async with db.transaction() as session:
        await session.execute(
            update(table).where(table.c.token_hash == _digest(token)).values(revoked_at=now)
        )


async def revoke_all(db: Database, table: Table, subject: str, now: datetime) -> int:
    async with db.transaction() as session:
        result = await session.execute(
            update(table)
            .where(table.c.subject == subject, table.c.revoked_at.is_(None))
            .values(revoked_at=now)
        )
    return int(result.rowcount or 0)  # type: ignore[attr-defined]


def request_token(request: web.Request) -> str | None:
    header = request.headers.get("Authorization", "")
    if header.startswith("Bearer "):
        return header[7:].strip() or None
    return request.cookies.get(SESSION_COOKIE)


@dataclass(frozen=True)
class _Remembered:
    principal: Principal
    created_at: datetime
    last_seen_at: datetime  # as stored when the row was last read
    checked_at: datetime


class SessionAuthenticator:
    """Turns a bearer token or session cookie into the principal it was issued to.

    A session read from the database is served from memory for ``policy.remember`` (seconds);
    after that the row is read again (and its idle clock touched). Revocation goes through
    :meth:`revoke` / :meth:`revoke_all`, which forget the session here at once and, with a
    bus attached (:meth:`attach`), on every other instance before they return.
    """

    def __init__(
        self, db: Database, table: Table, clock: Clock, policy: SessionPolicy | None = None
    ) -> None:
        self.db, self.table, self.clock = db, table, clock
        self.policy = policy or SessionPolicy()
        self._memory: dict[str, _Remembered] = {}
        # one read of a session row at a time: requests that miss together share it
        self._loading: dict[str, asyncio.Future[Principal | None]] = {}
        self._evictions = 0  # a read that began before an eviction is not remembered
        self._bus: Bus | None = None
        self._echoes: dict[str, asyncio.Event] = {}

    async def authenticate(self, request: web.Request) -> Principal | None:
        token = request_token(request)
        if not token:
            return None
        digest = _digest(token)
        now = self.clock.now()
        known = self._memory.get(digest)
        if known is not None and now - known.checked_at < self.policy.remember:
            if self._live(known.created_at, known.last_seen_at, now):
                return known.principal
        loading = self._loading.get(digest)
        if loading is None:
            loading = asyncio.ensure_future(self._load(digest, now))
            self._loading[digest] = loading
            loading.add_done_callback(lambda done: self._done_loading(digest, done))
        return await asyncio.shield(loading)

    def _done_loading(self, digest: str, done: asyncio.Future[Principal | None]) -> None:
        if self._loading.get(digest) is done:
            del self._loading[digest]

    def _live(self, created_at: datetime, last_seen_at: datetime, now: datetime) -> bool:
        return now - last_seen_at <= self.policy.idle and now - created_at <= self.policy.absolute

    async def _load(self, digest: str, now: datetime) -> Principal | None:
        self._memory.pop(digest, None)
        evictions = self._evictions
        t = self.table
        async with self.db.transaction() as session:
            row = (await session.execute(select(t).where(t.c.token_hash == digest))).first()
            if row is None or row.revoked_at is not None:
                return None
            if not self._live(row.created_at, row.last_seen_at, now):
                return None
            last_seen = row.last_seen_at
            if now - last_seen > self.policy.touch_every:  # idle clock: coarse is enough
                await session.execute(update(t).where(t.c.id == row.id).values(last_seen_at=now))
                last_seen = now
        principal = Principal(
            subject=row.subject,
            role=Role(row.role),
            branch=row.branch,
            display_name=row.display_name,
        )
        if evictions != self._evictions:  # revoked while we read: read again next time
            return principal
        if len(self._memory) >= self.policy.remember_at_most:
            self._memory.pop(next(iter(self._memory)))  # the oldest entry
        self._memory[digest] = _Remembered(principal, row.created_at, last_seen, now)
        return principal

    async def revoke(self, token: str, now: datetime) -> None:
        """Sign one session out, here and on every instance."""
        await revoke_session(self.db, self.table, token, now)
        await self._forget({"token_hash": _digest(token)})

    async def revoke_all(self, subject: str, now: datetime) -> int:
        """Sign out every session of ``subject``, here and on every instance."""
        count = await revoke_all(self.db, self.table, subject, now)
        await self._forget({"subject": subject})
        return count

    def _evict(self, message: dict[str, Any]) -> None:
        digest, subject = message.get("token_hash"), message.get("subject")
        self._evictions += 1
        self._loading.clear()  # reads under way may predate the revocation
        if isinstance(digest, str):
            self._memory.pop(digest, None)
        if isinstance(subject, str):
            for key in [k for k, v in self._memory.items() if v.principal.subject == subject]:
                self._memory.pop(key, None)

    async def _forget(self, message: dict[str, Any]) -> None:
        self._evict(message)
        if self._bus is None:
            return
        echo = secrets.token_hex(8)
        arrived = self._echoes[echo] = asyncio.Event()
        try:
            await self._bus.publish(REVOKED_CHANNEL, {**message, "echo": echo})
            # Our own copy coming back means the bus has handed it to every subscriber.
            async with asyncio.timeout(self.policy.echo_wait.total_seconds()):
                await arrived.wait()
        except TimeoutError:
            log.warning(
                "the bus did not echo a revocation; other instances forget it in %s",
                self.policy.remember,
            )
        finally:
            self._echoes.pop(echo, None)

    @asynccontextmanager
    async def attach(self, bus: Bus) -> AsyncIterator[None]:
        """Hear other instances' revocations on ``bus`` (and announce ours) while inside."""
        async with bus.subscribe(REVOKED_CHANNEL) as messages:
            task = asyncio.create_task(self._listen(messages))
            self._bus = bus
            try:
                yield
            finally:
                self._bus = None
                task.cancel()
                with contextlib.suppress(asyncio.CancelledError):
                    await task

    async def _listen(self, messages: AsyncIterator[dict[str, Any]]) -> None:
        async for message in messages:
            self._evict(message)
            arrived = self._echoes.get(str(message.get("echo")))
            if arrived is not None:
                arrived.set()
