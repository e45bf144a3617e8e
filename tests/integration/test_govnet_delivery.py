"""Hub → platform delivery through real HTTP on 127.0.0.1 with the simulator's faults on:
a third of requests fail or time out, callbacks are dropped or duplicated. In the end every
application exists once at the platform, the hub's statuses match, and nothing is queued."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from sqlalchemy import func, select

from common.db import Database
from common.service import CLOCK
from common.settings import HubSettings
from govnet_sim.tables import cases as platform_cases
from govnet_sim.tables import outbox as platform_outbox
from hub.app import create_app as create_hub
from hub.db import audit_events, outbox_messages
from hub.govnet.service import forward_to_govnet
from hub.govnet.tables import govnet_cases
from tests.conftest import free_port
from tests.govnet_support import simulator
from tests.helpers import migrated_database

N = 150


async def _counts(db: Database, column) -> dict[str, int]:  # type: ignore[no-untyped-def]
    async with db.transaction() as s:
        rows = await s.execute(select(column, func.count()).group_by(column))
        return {str(k): int(v) for k, v in rows}


async def test_delivery_with_faults_ends_exactly_once_and_in_agreement(
    aiohttp_server, db_url: str, tmp_path: Path
) -> None:
    hub_port, sim_port = free_port(), free_port()
    sim_db_url = f"sqlite+aiosqlite:///{tmp_path / 'platform.sqlite3'}"
    sim_app = await simulator(
        sim_db_url,
        tmp_path,
        callback_url=f"http://127.0.0.1:{hub_port}/api/v1/govnet/callbacks",
        step_delay_s=0.1,
        return_rate=0.2,
        fault_error_rate=0.2,
        fault_timeout_rate=0.13,
        fault_timeout_s=1.2,
        fault_drop_callback_rate=0.15,
        fault_duplicate_callback_rate=0.3,
    )
    hub_db = await migrated_database(db_url, "hub:migrations")
    hub_app = create_hub(
        HubSettings(
            data_dir=tmp_path,
            database_url=db_url,
            govnet_url=f"http://127.0.0.1:{sim_port}",
            govnet_timeout_s=0.8,
            govnet_reconcile_interval_s=1.0,
            outbox_relay_interval_s=0.05,
            outbox_base_delay_s=0.05,
            outbox_max_delay_s=0.5,
            outbox_lease_s=3.0,
            outbox_max_attempts=40,
        ),
        database=hub_db,
    )
    await aiohttp_server(sim_app, port=sim_port)
    await aiohttp_server(hub_app, port=hub_port)
    sim_db = Database(sim_db_url)

    clock = hub_app[CLOCK]
    for n in range(N):
        async with hub_db.transaction() as s:
            await forward_to_govnet(
                s,
                reference=f"WC-2026-{n:05d}",
                payload={"item": "hukou", "n": n},
                now=clock.now(),
            )

    async def settled() -> bool:
        hub = await _counts(hub_db, govnet_cases.c.status)
        queued = await _counts(hub_db, outbox_messages.c.state)
        platform_queue = await _counts(sim_db, platform_outbox.c.state)
        final = hub.get("completed", 0) + hub.get("returned", 0)
        return final == N and set(queued) == {"delivered"} and set(platform_queue) <= {"delivered"}

    deadline = asyncio.get_running_loop().time() + 45
    while not await settled():
        assert asyncio.get_running_loop().time() < deadline, "delivery did not settle"
        await asyncio.sleep(0.25)

    async with sim_db.transaction() as s:
        platform = {
            r.reference: (r.status, r.version) for r in await s.execute(select(platform_cases))
        }
    async with hub_db.transaction() as s:
        hub = {r.reference: (r.status, r.version) for r in await s.execute(select(govnet_cases))}
        repairs = (
            await s.execute(
                select(func.count()).where(audit_events.c.action == "govnet.drift_repaired")
            )
        ).scalar_one()
    outbox = await _counts(hub_db, outbox_messages.c.state)
    await sim_db.close()
    print(
        json.dumps(
            {
                "applications": N,
                "at_platform": len(platform),
                "hub_matches": sum(hub[r] == platform.get(r) for r in hub),
                "outbox": outbox,
                "drift_repaired": repairs,
            }
        )
    )
    assert len(platform) == N  # each exactly once: references are unique at the platform
    assert hub == platform  # same status and version for every case
    assert outbox == {"delivered": N}
    assert repairs > 0  # dropped callbacks were caught up by reconciliation
