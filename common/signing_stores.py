"""Database adapters of the signing library's ports: one-time code steps, sealed-message
replays, and the tree heads a watcher has seen.

Each store opens its own short transaction per call, so callers must not hold one (on SQLite
a nested ``db.transaction()`` would wait for itself).
"""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime

import sqlalchemy as sa
from sqlalchemy import (
    Column,
    Integer,
    LargeBinary,
    MetaData,
    String,
    Table,
    delete,
    func,
    insert,
    select,
    update,
)
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import Database, UTCDateTime
from signing.merkle import SignedTreeHead

__all__ = [
    "CodeTables",
    "DbCodeStore",
    "DbReplayStore",
    "DbTreeHeadStore",
    "code_tables",
    "create_code_tables",
    "create_replay_table",
    "create_seen_heads_table",
    "replay_table",
    "seen_heads_table",
]

_BIG = sa.BigInteger().with_variant(sa.Integer(), "sqlite")


@dataclass(frozen=True)
class CodeTables:
    steps: Table
    failures: Table


def code_tables(metadata: MetaData) -> CodeTables:
    steps = Table(
        "totp_steps",
        metadata,
        Column("account", String(120), primary_key=True),
        Column("last_step", _BIG, nullable=False),
    )
    failures = Table(
        "totp_failures",
        metadata,
        Column("id", _BIG, primary_key=True),
        Column("account", String(120), nullable=False, index=True),
        Column("at", UTCDateTime, nullable=False),
    )
    return CodeTables(steps, failures)


def replay_table(metadata: MetaData) -> Table:
    return Table(
        "sealed_replays",
        metadata,
        Column("sender", String(120), primary_key=True),
        Column("message_id", LargeBinary(16), primary_key=True),
        Column("until", UTCDateTime, nullable=False, index=True),
    )


def seen_heads_table(metadata: MetaData) -> Table:
    return Table(
        "seen_tree_heads",
        metadata,
        Column("id", Integer, primary_key=True),
        Column("log", String(64), nullable=False, index=True),
        Column("tree_size", _BIG, nullable=False),
        Column("root", LargeBinary(32), nullable=False),
        Column("timestamp", UTCDateTime, nullable=False),
        Column("signature", LargeBinary(64), nullable=False),
        Column("seen_at", UTCDateTime, nullable=False),
    )


def create_code_tables() -> None:
    from alembic import op

    op.create_table(
        "totp_steps",
        sa.Column("account", sa.String(120), primary_key=True),
        sa.Column("last_step", _BIG, nullable=False),
    )
    op.create_table(
        "totp_failures",
        sa.Column("id", _BIG, primary_key=True),
        sa.Column("account", sa.String(120), nullable=False),
        sa.Column("at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_totp_failures_account", "totp_failures", ["account"])


def create_replay_table() -> None:
    from alembic import op

    op.create_table(
        "sealed_replays",
        sa.Column("sender", sa.String(120), primary_key=True),
        sa.Column("message_id", sa.LargeBinary(16), primary_key=True),
        sa.Column("until", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_sealed_replays_until", "sealed_replays", ["until"])


def create_seen_heads_table() -> None:
    from alembic import op

    op.create_table(
        "seen_tree_heads",
        sa.Column("id", sa.Integer, primary_key=True),
        sa.Column("log", sa.String(64), nullable=False),
        sa.Column("tree_size", _BIG, nullable=False),
        sa.Column("root", sa.LargeBinary(32), nullable=False),
        sa.Column("timestamp", sa.DateTime(timezone=True), nullable=False),
        sa.Column("signature", sa.LargeBinary(64), nullable=False),
        sa.Column("seen_at", sa.DateTime(timezone=True), nullable=False),
    )
    op.create_index("ix_seen_tree_heads_log", "seen_tree_heads", ["log"])


class DbCodeStore:
    """``signing.totp.OneTimeCodeStore`` on a table: compare-and-set of the last step."""

    def __init__(self, db: Database, tables: CodeTables) -> None:
        self.db, self.t = db, tables

    async def last_step(self, account: str) -> int | None:
        s = self.t.steps
        async with self.db.transaction() as session:
            step = await session.scalar(select(s.c.last_step).where(s.c.account == account))
        return None if step is None else int(step)

    async def claim_step(self, account: str, *, previous: int | None, step: int) -> bool:
        s = self.t.steps
        if previous is None:  # first use: the primary key lets one insert win
            try:
                async with self.db.transaction() as session:
                    await session.execute(insert(s).values(account=account, last_step=step))
            except IntegrityError:
                return False
            return True
        async with self.db.transaction() as session:
            result = await session.execute(
                update(s)
                .where(s.c.account == account, s.c.last_step == previous)
                .values(last_step=step)
            )
        return int(result.rowcount or 0) == 1  # type: ignore[attr-defined]

    async def failures_since(self, account: str, since: datetime) -> int:
        f = self.t.failures
        async with self.db.transaction() as session:
            count = await session.scalar(
                select(func.count()).where(f.c.account == account, f.c.at >= since)
            )
        return int(count or 0)

    async def add_failure(self, account: str, at: datetime) -> None:
        async with self.db.transaction() as session:
            await session.execute(insert(self.t.failures).values(account=account, at=at))

    async def clear_failures(self, account: str) -> None:
        async with self.db.transaction() as session:
            await session.execute(
                delete(self.t.failures).where(self.t.failures.c.account == account)
            )


class DbReplayStore:
    """``signing.sealed.ReplayStore`` on a table keyed by (sender, message id)."""

    def __init__(self, db: Database, table: Table) -> None:
        self.db, self.t = db, table

    async def remember(
        self, sender: str, message_id: bytes, *, now: datetime, until: datetime
    ) -> bool:
        async with self.db.transaction() as session:
            await session.execute(delete(self.t).where(self.t.c.until < now))
        try:
            async with self.db.transaction() as session:
                await session.execute(
                    insert(self.t).values(sender=sender, message_id=message_id, until=until)
                )
        except IntegrityError:
            return False
        return True


class DbTreeHeadStore:
    """``signing.merkle.TreeHeadStore`` (a synchronous port) over a table: :meth:`load` the
    heads before checking, :meth:`flush` what the checker added in the caller's transaction."""

    def __init__(self, table: Table, log: str) -> None:
        self.t, self.log = table, log
        self._heads: list[SignedTreeHead] = []
        self._pending: list[SignedTreeHead] = []

    async def load(self, session: AsyncSession) -> None:
        rows = await session.execute(
            select(self.t).where(self.t.c.log == self.log).order_by(self.t.c.id)
        )
        self._heads = [
            SignedTreeHead(r.tree_size, bytes(r.root), r.timestamp, bytes(r.signature))
            for r in rows
        ]
        self._pending = []

    def heads(self) -> list[SignedTreeHead]:
        return list(self._heads)

    def add(self, head: SignedTreeHead) -> None:
        if any(h.tree_size == head.tree_size and h.root == head.root for h in self._heads):
            return  # seen already: one row per distinct head
        self._heads.append(head)
        self._pending.append(head)

    async def flush(self, session: AsyncSession, *, seen_at: datetime) -> int:
        for head in self._pending:
            await session.execute(
                insert(self.t).values(
                    log=self.log,
                    tree_size=head.tree_size,
                    root=head.root,
                    timestamp=head.timestamp,
                    signature=head.signature,
                    seen_at=seen_at,
                )
            )
        count, self._pending = len(self._pending), []
        return count
