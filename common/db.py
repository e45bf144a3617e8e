"""Database engines (SQLite embedded, PostgreSQL in production) and Alembic migrations."""

from __future__ import annotations

import asyncio
import os
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import DateTime, MetaData, event, text
from sqlalchemy.engine import Connection, Dialect, make_url
from sqlalchemy.ext.asyncio import (
    AsyncEngine,
    AsyncSession,
    async_sessionmaker,
    create_async_engine,
)
from sqlalchemy.types import TypeDecorator

__all__ = [
    "NAMING",
    "Database",
    "UTCDateTime",
    "compare_and_set",
    "current_revisions",
    "head_revisions",
    "make_engine",
    "migrate",
    "run_migrations_env",
]

NAMING = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


class UTCDateTime(TypeDecorator[datetime]):
    """A timezone-aware instant, stored in UTC; naive datetimes are refused on the way in.

    SQLite keeps no zone, so values read back are marked UTC again here.
    """

    impl = DateTime(timezone=True)
    cache_ok = True

    def process_bind_param(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        if value.tzinfo is None:
            raise ValueError("naive datetime: times are stored timezone-aware")
        return value.astimezone(UTC)

    def process_result_value(self, value: datetime | None, dialect: Dialect) -> datetime | None:
        if value is None:
            return None
        return value.replace(tzinfo=UTC) if value.tzinfo is None else value.astimezone(UTC)


def make_engine(url: str, **kw: Any) -> AsyncEngine:
    """An async engine; ``?search_path=`` on a PostgreSQL URL selects a schema."""
    parsed = make_url(url)
    connect_args: dict[str, Any] = {}
    if parsed.drivername.startswith("sqlite"):
        if parsed.database and parsed.database != ":memory:":
            _private_file(Path(parsed.database))
        connect_args["timeout"] = 30
        engine = create_async_engine(parsed, connect_args=connect_args, **kw)
        event.listen(engine.sync_engine, "connect", _sqlite_pragmas)
        return engine
    search_path = parsed.query.get("search_path")
    if search_path:
        parsed = parsed.difference_update_query(["search_path"])
        # the application name tells an operator (and the test suite) whose connections these are
        connect_args["server_settings"] = {
            "search_path": str(search_path),
            "application_name": f"qiaolink:{search_path}"[:63],
        }
    kw.setdefault("pool_size", 10)
    kw.setdefault("max_overflow", 20)
    # No ping before each checkout: it was one more round trip on every transaction. A
    # connection the server dropped fails its request once and SQLAlchemy then invalidates the
    # pool; connections are renewed before idle timeouts in between usually cut them.
    kw.setdefault("pool_recycle", 1800)
    return create_async_engine(parsed, connect_args=connect_args, **kw)


def _private_file(path: Path) -> None:
    """The database file exists and only its owner may read or write it: it holds residents'
    names, documents and staff sign-in data. SQLite gives its -wal and -shm files the same
    mode as the database file."""
    path.parent.mkdir(parents=True, exist_ok=True)
    os.close(os.open(path, os.O_RDWR | os.O_CREAT, 0o600))
    os.chmod(path, 0o600)


def _sqlite_pragmas(dbapi_connection: Any, _record: Any) -> None:
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA synchronous=NORMAL")
    cursor.execute("PRAGMA busy_timeout=30000")
    cursor.close()


class Database:
    """One engine and its session factory; opened and closed by the app's cleanup context."""

    def __init__(self, url: str, **kw: Any) -> None:
        self.url = url
        self.engine = make_engine(url, **kw)
        self.sessions = async_sessionmaker(self.engine, expire_on_commit=False)
        self._writer = asyncio.Lock() if self.engine.dialect.name == "sqlite" else None

    @property
    def is_sqlite(self) -> bool:
        return self.engine.dialect.name == "sqlite"

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[AsyncSession]:
        """A unit of work. SQLite allows one writer at a time: rather than let concurrent
        transactions of this process sleep in SQLite's busy handler, they queue here."""
        if self._writer is None:
            async with self.sessions() as session, session.begin():
                yield session
            return
        async with self._writer, self.sessions() as session, session.begin():
            yield session

    async def ping(self) -> bool:
        async with self.engine.connect() as conn:
            return (await conn.execute(text("SELECT 1"))).scalar() == 1

    async def close(self) -> None:
        await self.engine.dispose()


def _config(
    script_location: str, connection: Connection | None = None, data_dir: Path | None = None
) -> Config:
    cfg = Config()
    cfg.set_main_option("script_location", script_location)
    if connection is not None:
        cfg.attributes["connection"] = connection
    if data_dir is not None:  # for steps that need the service's keys (sealing secrets)
        cfg.attributes["data_dir"] = data_dir
    return cfg


async def migrate(
    engine: AsyncEngine,
    script_location: str,
    revision: str = "heads",
    *,
    data_dir: Path | None = None,
) -> None:
    """Upgrade to ``revision``; a revision starting with ``-`` or ``base`` downgrades.
    ``data_dir`` is the service's data directory, where a step finds the keys it needs."""

    def run(connection: Connection) -> None:
        cfg = _config(script_location, connection, data_dir)
        if revision == "base" or revision.startswith("-"):
            command.downgrade(cfg, revision)
        else:
            command.upgrade(cfg, revision)

    async with engine.begin() as conn:
        await conn.run_sync(run)


def head_revisions(script_location: str) -> set[str]:
    return set(ScriptDirectory.from_config(_config(script_location)).get_heads())


async def current_revisions(engine: AsyncEngine) -> set[str]:
    def read(connection: Connection) -> set[str]:
        return set(MigrationContext.configure(connection).get_current_heads())

    async with engine.connect() as conn:
        return await conn.run_sync(read)


def run_migrations_env(context: Any, target_metadata: MetaData | None = None) -> None:
    """Body of every service's ``migrations/env.py``: run on the connection we were handed."""
    connection = context.config.attributes.get("connection")
    if connection is None:
        raise RuntimeError("run migrations through `qiaolink migrate`, not the alembic command")
    context.configure(
        connection=connection,
        target_metadata=target_metadata,
        render_as_batch=connection.dialect.name == "sqlite",
    )
    with context.begin_transaction():
        context.run_migrations()


async def compare_and_set(session: AsyncSession, statement: Any, refusal: Exception) -> None:
    """Run an ``UPDATE … WHERE <the state as it was read>``; unless exactly one row moved,
    someone else moved it first and ``refusal`` is raised (the transaction then rolls back)."""
    moved = await session.execute(statement)
    if int(getattr(moved, "rowcount", 0) or 0) != 1:
        raise refusal
