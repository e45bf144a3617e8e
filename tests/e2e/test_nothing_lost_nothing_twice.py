"""Issue 5's fault test: applications pushed node → hub → platform while the node–hub link goes
down and comes back, the platform fails or times out a third of requests and duplicates
callbacks, and the relays are killed and restarted mid-run. In the end every application
exists exactly once at the platform, the hub agrees with it, and nothing is queued.

QIAOLINK_FAULT_N sets the number of applications (2,000 by default)."""

from __future__ import annotations

import asyncio
import json
import os
import random
import shutil
from datetime import UTC, datetime, timedelta
from pathlib import Path

import aiohttp
import pytest
from sqlalchemy import func, select

from common.access import Principal, Role
from common.clock import SystemClock
from common.db import Database
from common.filestore import FileStore
from common.httpsig import load_or_create_key
from common.outbox import Relay, RetryPolicy
from common.settings import HubSettings
from common.uploads import inspect_upload
from govnet_sim.tables import cases as platform_cases
from govnet_sim.tables import outbox as platform_outbox
from hub.app import create_app as create_hub
from hub.applications import service as hub_service
from hub.applications.model import State
from hub.applications.tables import Application
from hub.db import outbox_messages as hub_outbox
from hub.govnet.reconcile import reconcile_once
from hub.govnet.runtime import GOVNET, STATUS_SINKS
from hub.govnet.tables import govnet_cases
from hub.seed import seed_database as seed_hub
from overseas_node.db import outbox_messages as node_outbox
from overseas_node.intake import service as node_service
from overseas_node.intake.link import HubLink, delivered
from overseas_node.intake.tables import catalogue_copy
from tests.conftest import free_port
from tests.faultproxy import FaultProxy
from tests.govnet_support import simulator
from tests.helpers import migrated_database, png_bytes

N = int(os.environ.get("QIAOLINK_FAULT_N", "2000"))
FAST = RetryPolicy(
    base_delay=timedelta(seconds=0.05),
    max_delay=timedelta(seconds=1),
    max_attempts=10_000,
    lease=timedelta(seconds=3),
)
CLERK = Principal(subject="clerk.milan", role=Role.CLERK, branch="MIL")
OFFICER = Principal(subject="officer.wz", role=Role.OFFICER, branch="WZ")


async def counts(db: Database, column) -> dict[str, int]:  # type: ignore[no-untyped-def]
    async with db.sessions() as s:
        return {
            str(k): int(v)
            for k, v in await s.execute(select(column, func.count()).group_by(column))
        }


class Crashy:
    """A relay that is killed now and then (its task cancelled mid-round) and started anew."""

    def __init__(self, make: object) -> None:
        self.make = make
        self.task: asyncio.Task[None] | None = None
        self.kills = 0

    def start(self) -> None:
        self.task = asyncio.create_task(self.make().run(interval=0.05))  # type: ignore[attr-defined]

    async def kill_and_restart(self) -> None:
        assert self.task is not None
        self.task.cancel()
        await asyncio.gather(self.task, return_exceptions=True)
        self.kills += 1
        self.start()

    async def stop(self) -> None:
        if self.task:
            self.task.cancel()
            await asyncio.gather(self.task, return_exceptions=True)


async def take_in(node_db: Database, files: FileStore, count: int) -> None:
    upload = inspect_upload(png_bytes(), "passport.png")
    now = datetime.now(UTC)
    for _ in range(count):
        async with node_db.transaction() as s:
            number, _code = await node_service.open_application(
                s,
                item_code="SS-005",
                resident={
                    "name": "Hu",
                    "document": "E1234567",
                    "country": "IT",
                    "zone": "Europe/Rome",
                    "lang": "it",
                },
                clerk=CLERK,
                now=now,
            )
            await node_service.attach_material(
                s,
                number=number,
                material_code="passport",
                trust="B",
                upload=upload,
                clerk=CLERK,
                now=now,
                files=files,
            )
            await node_service.submit(s, number=number, clerk=CLERK, now=now, files=files)


async def accept_and_forward(hub_db: Database) -> int:
    """The officer's part, for every submitted application at the hub."""
    async with hub_db.sessions() as s:
        numbers = list(
            (
                await s.scalars(
                    select(Application.number).where(Application.state == State.SUBMITTED.value)
                )
            ).all()
        )
    for number in numbers:
        async with hub_db.transaction() as s:
            app = await hub_service.load_for(s, number, OFFICER)
            # accepting queues the platform message in the same transaction (forwarded)
            await hub_service.accept(s, app=app, pending=[], actor=OFFICER, now=datetime.now(UTC))
    return len(numbers)


@pytest.mark.slow
@pytest.mark.timeout(1200)
async def test_nothing_lost_nothing_twice(aiohttp_server, tmp_path: Path) -> None:
    hub_dir, node_dir, sim_dir = tmp_path / "hub", tmp_path / "node", tmp_path / "sim"
    hub_port, sim_port = free_port(), free_port()
    sim = await simulator(
        f"sqlite+aiosqlite:///{sim_dir}/p.sqlite3",
        sim_dir,
        return_rate=0.0,
        step_delay_s=0.05,
        callback_url=f"http://127.0.0.1:{hub_port}/api/v1/govnet/callbacks",
        fault_error_rate=0.2,
        fault_timeout_rate=0.13,
        fault_timeout_s=0.6,
        fault_drop_callback_rate=0.1,
        fault_duplicate_callback_rate=0.3,
    )
    hub_url = f"sqlite+aiosqlite:///{hub_dir}/hub.sqlite3"
    hub_db = await migrated_database(hub_url, "hub:migrations")
    await seed_hub(hub_db, datetime.now(UTC))
    hub = create_hub(
        HubSettings(
            data_dir=hub_dir,
            database_url=hub_url,
            govnet_url=f"http://127.0.0.1:{sim_port}",
            govnet_timeout_s=0.5,
            outbox_relay_enabled=False,
        ),
        database=hub_db,
    )
    shutil.copy(sim_dir / "keys" / "govnet-sim.pub.pem", hub_dir / "keys")
    shutil.copy(hub_dir / "keys" / "hub-govnet.pub.pem", sim_dir / "keys")
    node_key = load_or_create_key(node_dir / "keys" / "node-MIL.pem")
    shutil.copy(node_dir / "keys" / "node-MIL.pub.pem", hub_dir / "keys")
    await aiohttp_server(hub, port=hub_port)
    await aiohttp_server(sim, port=sim_port)
    link = await FaultProxy(hub_port).start()

    node_url = f"sqlite+aiosqlite:///{node_dir}/node.sqlite3"
    node_db = await migrated_database(node_url, "overseas_node:migrations")
    files = FileStore(node_dir / "intake")
    async with aiohttp.ClientSession() as http:
        hub_link = HubLink(
            f"http://127.0.0.1:{link.port}", "MIL", node_key, SystemClock(), http, timeout_s=2.0
        )
        await hub_link.sync_catalogue(node_db)
        async with node_db.sessions() as s:
            assert await s.scalar(select(func.count()).select_from(catalogue_copy)) == 59

        node_relay = Crashy(
            lambda: Relay(
                node_db,
                node_outbox,
                {"hub": hub_link},
                clock=SystemClock(),
                policy=FAST,
                batch=50,
                hooks={"hub": delivered},
            )
        )
        runtime = hub[GOVNET]
        hub_relay = Crashy(
            lambda: Relay(
                hub_db,
                hub_outbox,
                runtime.relay.senders,
                clock=SystemClock(),
                policy=FAST,
                batch=50,
                hooks=runtime.relay.hooks,
            )
        )
        node_relay.start()
        hub_relay.start()
        rng = random.Random(5)

        taking = asyncio.create_task(take_in(node_db, files, N))
        forwarded = 0
        loop = asyncio.get_running_loop()
        give_up = loop.time() + 900  # a stuck application fails the test, not the whole run
        for round_ in range(10_000):
            if loop.time() > give_up:
                raise AssertionError(
                    f"only {forwarded} of {N} applications reached the hub in 15 minutes; "
                    f"node queue: {await counts(node_db, node_outbox.c.state)}"
                )
            await asyncio.sleep(0.3)
            if round_ % 10 == 3:
                link.cut()
            if round_ % 10 == 6:
                link.restore()
            if round_ in (2, 5) or rng.random() < 0.15:  # both relays die at least once
                await (
                    node_relay
                    if round_ == 2
                    else hub_relay
                    if round_ == 5
                    else rng.choice([node_relay, hub_relay])
                ).kill_and_restart()
            forwarded += await accept_and_forward(hub_db)
            if taking.done() and taking.exception() is not None:
                raise AssertionError("taking applications in failed") from taking.exception()
            if taking.done() and forwarded >= N:
                break
        link.restore()
        await taking

        async def settled() -> bool:
            node_q = await counts(node_db, node_outbox.c.state)
            hub_q = await counts(hub_db, hub_outbox.c.state)
            sim_q = await counts(
                Database(f"sqlite+aiosqlite:///{sim_dir}/p.sqlite3"), platform_outbox.c.state
            )
            return (
                set(node_q) == {"delivered"}
                and set(hub_q) == {"delivered"}
                and set(sim_q) <= {"delivered"}
            )

        deadline = loop.time() + 300
        while not await settled():
            assert loop.time() < deadline, "delivery did not settle"
            await asyncio.sleep(0.5)
        # dropped callbacks are the reconciliation job's to repair; the platform may still be
        # finishing its last cases on a busy machine, so reconcile until it has (bounded)
        deadline = loop.time() + 180
        while True:
            await reconcile_once(hub_db, runtime.client, hub[STATUS_SINKS], clock=SystemClock())
            if await counts(hub_db, Application.state) == {"completed": N}:
                break
            if loop.time() > deadline:
                break  # the assertions below say what is missing
            await asyncio.sleep(1.0)
        await node_relay.stop()
        await hub_relay.stop()

    sim_db = Database(f"sqlite+aiosqlite:///{sim_dir}/p.sqlite3")
    async with sim_db.sessions() as s:
        platform = {r.reference: r.status for r in await s.execute(select(platform_cases))}
        references = list((await s.scalars(select(platform_cases.c.reference))).all())
    async with hub_db.sessions() as s:
        hub_status = {r.reference: r.status for r in await s.execute(select(govnet_cases))}
        app_states = await counts(hub_db, Application.state)
    report = {
        "applications": N,
        "at_platform": len(platform),
        "duplicates_at_platform": len(references) - len(set(references)),
        "hub_matches_platform": sum(hub_status.get(k) == v for k, v in platform.items()),
        "hub_application_states": app_states,
        "queued": {
            "node": await counts(node_db, node_outbox.c.state),
            "hub": await counts(hub_db, hub_outbox.c.state),
        },
        "relay_kills": node_relay.kills + hub_relay.kills,
    }
    print(json.dumps(report))
    assert node_relay.kills and hub_relay.kills
    assert len(platform) == N and len(references) == N
    assert report["hub_matches_platform"] == N
    assert app_states == {"completed": N}
    await sim_db.close()
    await link.close()
