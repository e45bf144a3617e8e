"""Staff sign-in sessions: opaque tokens, stored hashed, expiring on idle and absolutely.

The table is created in each service's own database; the row keeps the principal it stands for,
so authenticating a request is one indexed lookup.
"""

from __future__ import annotations

import hashlib
import secrets
from dataclasses import dataclass
from datetime import datetime, timedelta

from aiohttp import web
from sqlalchemy import Column, Integer, MetaData, String, Table, select, update

from common.access import Principal, Role
from common.clock import Clock
from common.db import Database, UTCDateTime

__all__ = [
    "SESSION_COOKIE",
    "SessionAuthenticator",
    "SessionPolicy",
    "open_session",
    "revoke_all",
    "revoke_session",
    "sessions_table",
]

SESSION_COOKIE = "qiaolink_session"


@dataclass(frozen=True)
class SessionPolicy:
    idle: timedelta = timedelta(minutes=30)
    absolute: timedelta = timedelta(hours=12)
    touch_every: timedelta = timedelta(seconds=30)


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


class SessionAuthenticator:
    """Turns a bearer token or session cookie into the principal it was issued to."""

    def __init__(
        self, db: Database, table: Table, clock: Clock, policy: SessionPolicy | None = None
    ) -> None:
        self.db, self.table, self.clock = db, table, clock
        self.policy = policy or SessionPolicy()

    async def authenticate(self, request: web.Request) -> Principal | None:
        token = request_token(request)
        if not token:
            return None
        now = self.clock.now()
        t = self.table
        async with self.db.transaction() as session:
            row = (await session.execute(select(t).where(t.c.token_hash == _digest(token)))).first()
            if row is None or row.revoked_at is not None:
                return None
            if now - row.last_seen_at > self.policy.idle or (
                now - row.created_at > self.policy.absolute
            ):
                return None
            if now - row.last_seen_at > self.policy.touch_every:  # idle clock: coarse is enough
                await session.execute(update(t).where(t.c.id == row.id).values(last_seen_at=now))
        return Principal(
            subject=row.subject,
            role=Role(row.role),
            branch=row.branch,
            display_name=row.display_name,
        )
