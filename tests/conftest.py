"""Fixtures shared by every tier: databases (SQLite and PostgreSQL), clocks, free ports."""

from __future__ import annotations

import asyncio
import os
import socket
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest

from common.clock import FixedClock

PG_URL = os.environ.get(
    "QIAOLINK_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
)
REQUIRE_PG = os.environ.get("QIAOLINK_REQUIRE_POSTGRES") == "1"


def _pg_reachable() -> bool:
    import asyncpg

    async def probe() -> bool:
        try:
            conn = await asyncpg.connect(
                PG_URL.replace("postgresql+asyncpg", "postgresql"), timeout=3
            )
        except (OSError, asyncpg.PostgresError):
            return False
        await conn.close()
        return True

    return asyncio.run(probe())


@pytest.fixture(scope="session")
def postgres_available() -> bool:
    ok = _pg_reachable()
    if not ok and REQUIRE_PG:
        pytest.fail(f"PostgreSQL is required here but unreachable at {PG_URL}")
    return ok


async def _pg_schema(action: str, schema: str) -> None:
    import asyncpg

    conn = await asyncpg.connect(PG_URL.replace("postgresql+asyncpg", "postgresql"))
    try:
        if action == "create":
            await conn.execute(f'CREATE SCHEMA "{schema}"')
        else:
            # A connection a test leaked inside a transaction would block this forever:
            # fail the teardown loudly instead.
            # Background tasks of an app under test (relays, processors) that were cut off
            # mid-transaction can leave connections behind: end those of this schema first.
            await conn.execute(
                "SELECT pg_terminate_backend(pid) FROM pg_stat_activity "
                "WHERE application_name = $1 AND pid <> pg_backend_pid()",
                f"qiaolink:{schema}",
            )
            await conn.execute("SET lock_timeout = '20s'")
            await conn.execute(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE')
    finally:
        await conn.close()


@pytest.fixture(params=["sqlite", "postgresql"])
def db_url(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[str]:
    """A fresh, empty database: a SQLite file, or a PostgreSQL schema of its own."""
    if request.param == "sqlite":
        yield f"sqlite+aiosqlite:///{tmp_path / 'test.sqlite3'}"
        return
    if not request.getfixturevalue("postgres_available"):
        pytest.skip(f"PostgreSQL unreachable at {PG_URL}; set QIAOLINK_TEST_POSTGRES_URL")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    asyncio.run(_pg_schema("create", schema))
    sep = "&" if "?" in PG_URL else "?"
    yield f"{PG_URL}{sep}search_path={schema}"
    asyncio.run(_pg_schema("drop", schema))


@pytest.fixture
def clock() -> FixedClock:
    return FixedClock()


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])
