"""An application the hub refused before the branch recorded refusals said "queued" forever;
the upgrade shows it to the clerk as refused, with the hub's code, and leaves the others."""

from __future__ import annotations

from datetime import UTC, datetime

from sqlalchemy import select

from common.db import make_engine, migrate
from overseas_node.db import outbox_messages
from overseas_node.intake.tables import node_applications

SCRIPT = "overseas_node:migrations"
REFUSED = "refused by the receiver: hub 409"  # as the relay wrote it


async def test_the_upgrade_marks_dead_deliveries_refused(db_url: str) -> None:
    engine = make_engine(db_url)
    now = datetime(2026, 12, 1, 9, 30, tzinfo=UTC)
    try:
        for revision in ("intake_0001", "outbox_0002"):
            await migrate(engine, SCRIPT, revision)
        async with engine.begin() as conn:
            for number, error, state in (
                ("MIL-20261201-AAAAAA", f"{REFUSED}: application.still_deficient", "dead"),
                ("MIL-20261201-BBBBBB", None, "pending"),
            ):
                await conn.execute(
                    node_applications.insert(),
                    {
                        "number": number,
                        "query_code": "ABCDEFGH",
                        "item_code": "HR-005",
                        "item_version": 1,
                        "clerk": "clerk.milan",
                        "resident": {},
                        "state": "queued",
                        "hub_state": "correction",
                        "hub_history": [],
                        "rounds": 2,
                        "created_at": now,
                        "updated_at": now,
                    },
                )
                await conn.execute(
                    outbox_messages.insert(),
                    {
                        "destination": "hub",
                        "kind": "intake.resubmit",
                        "key": f"intake:{number}:2",
                        "order_key": number,
                        "payload": "{}",
                        "state": state,
                        "attempts": 1,
                        "created_at": now,
                        "updated_at": now,
                        "due_at": now,
                        "last_error": error,
                    },
                )
        await migrate(engine, SCRIPT, "heads")
        async with engine.connect() as conn:
            rows = {r.number: r for r in (await conn.execute(select(node_applications))).all()}
        stuck, waiting = rows["MIL-20261201-AAAAAA"], rows["MIL-20261201-BBBBBB"]
        assert stuck.state == "refused" and stuck.rounds == 1
        assert stuck.refusal["code"] == "application.still_deficient"
        assert datetime.fromisoformat(stuck.refusal["at"]) == now
        assert waiting.state == "queued" and waiting.refusal is None
    finally:
        await engine.dispose()
