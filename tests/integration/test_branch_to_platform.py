"""One application from the Milan counter to the provincial platform and its status back,
across a link that is down when the clerk takes the application in."""

from __future__ import annotations

import asyncio
import shutil
from collections.abc import Awaitable, Callable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import FormData

from common.httpsig import load_or_create_key
from common.settings import HubSettings, NodeSettings
from hub.app import create_app as create_hub
from hub.seed import seed_database as seed_hub
from overseas_node.app import create_app as create_node
from overseas_node.seed import seed_database as seed_node
from tests.conftest import free_port
from tests.faultproxy import FaultProxy
from tests.govnet_support import simulator
from tests.helpers import migrated_database, png_bytes, signed_in


async def eventually(check: Callable[[], Awaitable[Any]], seconds: float = 30) -> Any:
    deadline = asyncio.get_running_loop().time() + seconds
    while True:
        value = await check()
        if value:
            return value
        assert asyncio.get_running_loop().time() < deadline, f"{check.__name__} never held"
        await asyncio.sleep(0.1)


async def test_branch_intake_reaches_the_platform_and_status_comes_back(
    aiohttp_server, aiohttp_client, db_url: str, tmp_path: Path
) -> None:
    hub_dir, node_dir, sim_dir = tmp_path / "hub", tmp_path / "node", tmp_path / "sim"
    hub_port, sim_port = free_port(), free_port()
    sim = await simulator(
        f"sqlite+aiosqlite:///{sim_dir}/p.sqlite3",
        sim_dir,
        return_rate=0.0,
        callback_url=f"http://127.0.0.1:{hub_port}/api/v1/govnet/callbacks",
    )
    hub_db = await migrated_database(db_url, "hub:migrations")
    passwords = await seed_hub(hub_db, datetime.now(UTC))
    hub = create_hub(
        HubSettings(
            data_dir=hub_dir,
            database_url=db_url,
            govnet_url=f"http://127.0.0.1:{sim_port}",
            outbox_relay_interval_s=0.05,
            outbox_base_delay_s=0.05,
            outbox_max_delay_s=0.5,
            govnet_reconcile_interval_s=1.0,
        ),
        database=hub_db,
    )
    # the hub and the platform know each other's request-signing keys
    shutil.copy(sim_dir / "keys" / "govnet-sim.pub.pem", hub_dir / "keys")
    shutil.copy(hub_dir / "keys" / "hub-govnet.pub.pem", sim_dir / "keys")
    await aiohttp_server(hub, port=hub_port)
    await aiohttp_server(sim, port=sim_port)
    link = await FaultProxy(hub_port).start()

    # The Milan node, registered with the hub by its public key.
    node_key = node_dir / "keys" / "node-MIL.pem"
    load_or_create_key(node_key)
    shutil.copy(node_dir / "keys" / "node-MIL.pub.pem", hub_dir / "keys")
    node_url = f"sqlite+aiosqlite:///{node_dir}/node.sqlite3"
    node_db = await migrated_database(node_url, "overseas_node:migrations")
    node_passwords = await seed_node(node_db, datetime.now(UTC))
    node = await aiohttp_client(
        create_node(
            NodeSettings(
                data_dir=node_dir,
                database_url=node_url,
                hub_url=f"http://127.0.0.1:{link.port}",
                link_interval_s=0.1,
                link_timeout_s=2.0,
            ),
            database=node_db,
        )
    )
    hub_client = await aiohttp_client(hub)
    clerk = await signed_in(node, "clerk.milan", node_passwords["clerk.milan"])
    officer = await signed_in(hub_client, "officer.wz", passwords["officer.wz"])

    async def catalogue_copied() -> bool:
        return len(await (await node.get("/api/catalogue")).json()) == 59

    await eventually(catalogue_copied)

    # The link goes down; the branch keeps working.
    link.cut()
    opened = await node.post(
        "/api/intake/applications",
        headers=clerk,
        json={
            "item_code": "HR-005",
            "resident": {"name": "Hu Xiaoming 胡小明", "document": "E1234567", "country": "IT"},
        },
    )
    assert opened.status == 201
    number, code = (await opened.json())["number"], (await opened.json())["query_code"]
    for material in ("passport", "hukou"):
        form = FormData()
        form.add_field("material", material)
        form.add_field("trust", "B")
        form.add_field("file", png_bytes(), filename=f"{material}.png")
        resp = await node.post(
            f"/api/intake/applications/{number}/materials", data=form, headers=clerk
        )
        assert resp.status == 201, await resp.text()
    assert (
        await node.post(f"/api/intake/applications/{number}/submit", headers=clerk)
    ).status == 200

    async def link_reported_down() -> bool:
        state = await (await node.get("/api/link", headers=clerk)).json()
        return not state["up"] and state["queue"].get("hub", {}).get("waiting") == 1

    await eventually(link_reported_down)
    assert (await hub_client.get(f"/api/applications/{number}", headers=officer)).status == 404

    link.restore()

    async def delivered() -> dict[str, Any] | None:
        view = await (await node.get(f"/api/intake/applications/{number}", headers=clerk)).json()
        return view if view["state"] == "delivered" else None

    await eventually(delivered)
    at_hub = await (await hub_client.get(f"/api/applications/{number}", headers=officer)).json()
    assert at_hub["state"] == "submitted" and at_hub["owner"] == "clerk.milan"
    assert {(m["material"], m["trust"], m["checked_by"]) for m in at_hub["materials"]} == {
        ("passport", "B", "clerk.milan"),
        ("hukou", "B", "clerk.milan"),
    }
    # the resident's query code, made at the branch while offline, works at the hub
    progress = await hub_client.get(f"/api/progress/{number}", headers={"X-Query-Code": code})
    assert progress.status == 200

    # accepting forwards in the same transaction
    forwarded = await hub_client.post(
        f"/api/applications/{number}/accept", json={}, headers=officer
    )
    assert (await forwarded.json())["state"] == "forwarded"

    async def completed_at_the_branch() -> bool:
        view = await (await node.get(f"/api/intake/applications/{number}", headers=clerk)).json()
        return view["hub_state"] == "completed"

    await eventually(completed_at_the_branch, seconds=45)
    final = await (await hub_client.get(f"/api/applications/{number}", headers=officer)).json()
    assert [e["to"] for e in final["events"]][-3:] == ["forwarded", "in_process", "completed"]
    await link.close()
