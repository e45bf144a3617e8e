"""The node watches the hub's audit log: a rewritten entry (a forked log) or a log that
shrank is caught by the consistency check and raised as an alarm the branch can see."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import delete, select, update

from common.audit import leaf_hash, record
from common.auditlog import LeafCache
from common.auditlog.routes import AUDIT_LOG
from common.clock import FixedClock
from common.db import Database
from common.httpsig import load_or_create_key
from hub.auditlog.tables import log as hub_log
from hub.db import audit_events as hub_events
from overseas_node.db import audit_events as node_events
from overseas_node.link.treewatch import TREEWATCH
from overseas_node.seed import seed_database as seed_node
from tests.helpers import service_app, signed_in


async def _events(db: Database, clock: FixedClock, *actions: str) -> None:
    for action in actions:
        async with db.transaction() as session:
            await record(
                session,
                hub_events,
                at=clock.now(),
                actor="officer.wz",
                action=action,
                subject="APP-1",
            )


async def _pair(aiohttp_client: Any, db_url: str, tmp_path: Path) -> Any:
    clock = FixedClock()
    hub_app, hub_db = await service_app(
        "hub", db_url, tmp_path / "hub", clock=clock, audit_head_interval_s=3600
    )
    hub = await aiohttp_client(hub_app)
    node_app, node_db = await service_app(
        "node",
        f"sqlite+aiosqlite:///{tmp_path / 'node.sqlite3'}",
        tmp_path / "node",
        clock=clock,
        hub_url=str(hub.make_url("")),
        hub_audit_key_file=tmp_path / "hub" / "keys" / "hub-audit.pub.pem",
        treewatch_interval_s=3600,
    )
    passwords = await seed_node(node_db, clock.now())
    node = await aiohttp_client(node_app)
    return clock, hub, hub_db, node, node_db, passwords


async def _status(node: Any, passwords: dict[str, str]) -> dict[str, Any]:
    auth = await signed_in(node, "clerk.milan", passwords["clerk.milan"])
    resp = await node.get("/api/treewatch/status", headers=auth)
    assert resp.status == 200
    return dict(await resp.json())


async def _rebuild(hub: Any, hub_db: Database) -> None:
    """What an operator rewriting history would do: rebuild leaves and heads from the table."""
    async with hub_db.transaction() as session:
        for table in (hub_log.heads, hub_log.leaves):
            await session.execute(delete(table))
        await session.execute(update(hub_log.state).values(size=0))
    hub.app[AUDIT_LOG].cache = LeafCache()


async def test_a_forked_hub_log_raises_the_alarm(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    clock, hub, hub_db, node, node_db, passwords = await _pair(aiohttp_client, db_url, tmp_path)
    watch = node.app[TREEWATCH]
    await _events(hub_db, clock, "application.accepted", "application.forwarded", "notary.signed")
    await hub.app[AUDIT_LOG].advance()
    assert (await watch.check_once()).outcome == "accepted"
    await _events(hub_db, clock, "application.completed", "rating.given")
    await hub.app[AUDIT_LOG].advance()
    check = await watch.check_once()
    assert (check.outcome, check.tree_size) == ("accepted", 5)
    status = await _status(node, passwords)
    assert not status["alarm"] and status["latest_seen"]["tree_size"] == 5

    # rewrite the first decision ("accepted" becomes "rejected"), keep the table self-consistent
    async with hub_db.transaction() as session:
        first = (await session.execute(select(hub_events).order_by(hub_events.c.id).limit(1))).one()
        forged = first.entry.replace("application.accepted", "application.rejected")
        await session.execute(
            update(hub_events)
            .where(hub_events.c.id == first.id)
            .values(
                entry=forged, action="application.rejected", leaf_hash=leaf_hash(forged.encode())
            )
        )
    await _rebuild(hub, hub_db)
    await _events(hub_db, clock, "archive.closed")
    forked = await hub.app[AUDIT_LOG].advance()
    assert forked.tree_size == 6  # a well-signed head, larger than before: only the proof tells

    check = await watch.check_once()
    assert check.outcome == "alarm" and "not consistent" in check.detail
    await watch.check_once()  # the same forked head again: one alarm, not two
    status = await _status(node, passwords)
    assert status["alarm"] and len(status["alarms"]) == 1
    assert status["alarms"][0]["tree_size"] == 6 and status["latest_seen"]["tree_size"] == 5
    async with node_db.transaction() as session:
        actions = (await session.scalars(select(node_events.c.action))).all()
    assert actions.count("treewatch.inconsistent_hub_log") == 1


async def test_a_log_that_shrank_raises_the_alarm(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    clock, hub, hub_db, node, _node_db, passwords = await _pair(aiohttp_client, db_url, tmp_path)
    watch = node.app[TREEWATCH]
    await _events(hub_db, clock, "a", "b", "c")
    await hub.app[AUDIT_LOG].advance()
    assert (await watch.check_once()).outcome == "accepted"
    await _events(hub_db, clock, "d", "e")
    await hub.app[AUDIT_LOG].advance()
    assert (await watch.check_once()).outcome == "accepted"
    async with hub_db.transaction() as session:  # roll the published log back to size 3
        await session.execute(delete(hub_log.heads).where(hub_log.heads.c.tree_size > 3))
    check = await watch.check_once()
    assert check.outcome == "alarm" and check.tree_size == 3
    assert (await _status(node, passwords))["alarm"]


async def test_unconfigured_and_unreachable_hub_are_reported(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    _clock, _hub, _hub_db, node, _node_db, passwords = await _pair(aiohttp_client, db_url, tmp_path)
    watch = node.app[TREEWATCH]
    watch.key_file = tmp_path / "missing.pem"
    watch._key = None
    assert (await watch.check_once()).outcome == "not_configured"
    load_or_create_key(tmp_path / "other.pem")  # a head not signed by the hub's key
    watch.key_file = tmp_path / "other.pub.pem"
    check = await watch.check_once()
    assert check.outcome == "refused" and "signature" in check.detail
    watch._key = None
    watch.key_file = tmp_path / "hub" / "keys" / "hub-audit.pub.pem"
    watch.hub_url = "http://127.0.0.1:9"  # nothing listens on the discard port
    assert (await watch.check_once()).outcome == "unreachable"
    status = await _status(node, passwords)
    assert status["last_check"]["outcome"] == "unreachable" and not status["alarm"]
