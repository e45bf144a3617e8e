"""Test harness, run inside the test's network namespace: a hub (header authenticator for its
staff, test-only) and a node that signs its clerk in for real. The hub has one power-of-attorney
act booked for a resident with an authenticator app; the node has the clerk's account and the
resident enrolled from a passport photo. Prints what the browser test needs as one JSON line."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import ClientSession, web

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from common.db import Database, migrate  # noqa: E402
from common.settings import HubSettings, NodeSettings  # noqa: E402
from tests.e2e.notary_servers import HeaderAuth, prepare  # noqa: E402

RESIDENT = "resident:E1234567"  # how the hub names the act's resident (document number)


async def start(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def enrol_at_node(node_url: str, username: str, password: str) -> None:
    from tests import facedata as fd

    photo = fd.jpeg(fd.passport_photo(fd.face("astronaut")))
    async with ClientSession(node_url) as http:
        async with http.post(
            "/api/session", json={"username": username, "password": password}
        ) as signed_in:
            token = (await signed_in.json())["token"]
        body = {"resident_id": RESIDENT, "photo": base64.b64encode(photo).decode()}
        async with http.post(
            "/api/identity/enrolments", json=body, headers={"Authorization": f"Bearer {token}"}
        ) as enrolled:
            assert enrolled.status == 201, await enrolled.text()


async def main(args: argparse.Namespace) -> None:
    import hub.app
    import overseas_node.app
    from hub.seed import seed_database as seed_hub
    from overseas_node.seed import seed_database as seed_node

    data = Path(args.data)
    hub_url = f"http://{args.hub_host}:{args.hub_port}"
    node_url = f"http://{args.node_host}:{args.node_port}"
    hub_db = Database(f"sqlite+aiosqlite:///{data / 'hub.sqlite3'}")
    node_db = Database(f"sqlite+aiosqlite:///{data / 'node.sqlite3'}")
    await migrate(hub_db.engine, hub.app.MIGRATIONS)
    await migrate(node_db.engine, overseas_node.app.MIGRATIONS)
    now = datetime.now(UTC)
    await seed_hub(hub_db, now)
    clerks = await seed_node(node_db, now)
    hub_app = hub.app.create_app(
        HubSettings(data_dir=data / "hub", public_url=hub_url, outbox_relay_enabled=False),
        database=hub_db,
        authenticator=HeaderAuth(),
    )
    node_app = overseas_node.app.create_app(
        NodeSettings(data_dir=data / "node", hub_url=hub_url, branch_code="MIL"),
        database=node_db,
    )
    runners = [
        await start(hub_app, args.hub_host, args.hub_port),
        await start(node_app, args.node_host, args.node_port),
    ]
    try:
        prepared: dict[str, Any] = await prepare(hub_url, data)
        username, password = next(iter(clerks.items()))
        await enrol_at_node(node_url, username, password)
        out = {
            "hub": hub_url,
            "node": node_url,
            "clerk": {"username": username, "password": password},
            "resident_id": RESIDENT,
            **{k: v for k, v in prepared.items() if k != "decision"},  # the node decides now
        }
        print(json.dumps(out), flush=True)
        await asyncio.Event().wait()  # until the test stops us
    finally:
        for runner in reversed(runners):
            await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    for name in ("data", "hub-host", "node-host"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--hub-port", type=int, default=8080)
    parser.add_argument("--node-port", type=int, default=8081)
    try:
        asyncio.run(main(parser.parse_args()))
    except KeyboardInterrupt:
        pass
