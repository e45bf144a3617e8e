"""Every service's migrations run up and down on SQLite and PostgreSQL."""

from __future__ import annotations

import pytest
from sqlalchemy import inspect

from common.db import current_revisions, head_revisions, make_engine, migrate

SCRIPTS = {
    "hub": (
        "hub:migrations",
        {
            "audit_events",
            "offices",
            "staff",
            "bookings",
            "booking_claims",
            "notifications",
            "outbox_messages",
            "inbox_keys",
            "govnet_cases",
            "hub_instances",
            "session_pins",
        },
    ),
    "node": ("overseas_node:migrations", {"audit_events", "outbox_messages", "inbox_keys"}),
    "govnet-sim": ("govnet_sim:migrations", {"audit_events"}),
}


async def _tables(engine) -> set[str]:  # type: ignore[no-untyped-def]
    async with engine.connect() as conn:
        names = await conn.run_sync(lambda c: set(inspect(c).get_table_names()))
    return names - {"alembic_version"}


@pytest.mark.parametrize("service", sorted(SCRIPTS))
async def test_migrations_up_down_up(db_url: str, service: str) -> None:
    script, expected = SCRIPTS[service]
    engine = make_engine(db_url)
    try:
        assert await _tables(engine) == set()
        await migrate(engine, script, "heads")
        assert expected <= await _tables(engine)
        assert await current_revisions(engine) == head_revisions(script)

        await migrate(engine, script, "base")
        assert await _tables(engine) == set()
        assert await current_revisions(engine) == set()

        await migrate(engine, script, "heads")
        assert expected <= await _tables(engine)
    finally:
        await engine.dispose()
