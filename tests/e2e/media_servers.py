"""Test harness, run inside the test's network namespace: a hub and a node, both migrated,
with a header authenticator (test-only; the product authenticates for real), seeded as the demo
is, a notarial act opened by the branch clerk on the demo notary's booking, its session opened
at the hub by that notary and joined by the node's kiosk. Prints the invitations as one JSON
line."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from collections.abc import Awaitable
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from common.access import Principal, Role  # noqa: E402
from common.db import Database, migrate  # noqa: E402
from common.settings import HubSettings, NodeSettings  # noqa: E402

# The seeded staff a test role stands for: the session belongs to notary.wz's act.
SEEDED = {"notary": ("notary.wz", None), "clerk": ("clerk.milan", "MIL")}


class HeaderAuth:
    async def authenticate(self, request: web.Request) -> Principal | None:
        role = request.headers.get("X-Test-Role")
        if not role:
            return None
        subject, branch = SEEDED.get(role, (f"{role}-1", None))
        return Principal(subject=subject, role=Role(role), branch=branch)


async def start(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def on_plane(janus: bool, folder: Path, host: str, serve: Awaitable[None]) -> None:
    """Run ``serve`` with the hub's video sessions on the in-process relay, or on a Janus
    started here (in the harness's network namespace, on ``host``) for as long as it runs."""
    if not janus:
        await serve
        return
    import os

    from media.janus import JanusLayout, running_janus

    layout = JanusLayout(folder / "janus", address=host)
    async with running_janus(layout):  # the hub's media plane, in this namespace too
        os.environ["QIAOLINK_MEDIA_JANUS_URLS"] = json.dumps([layout.url])
        await serve


async def main(args: argparse.Namespace) -> None:
    await on_plane(args.janus, Path(args.data), args.hub_host, serve(args))


async def serve(args: argparse.Namespace) -> None:
    import hub.app
    import overseas_node.app

    data = Path(args.data)
    hub_url = f"http://{args.hub_host}:{args.hub_port}"
    node_url = f"http://{args.node_host}:{args.node_port}"
    hub_db = Database(f"sqlite+aiosqlite:///{data / 'hub.sqlite3'}")
    node_db = Database(f"sqlite+aiosqlite:///{data / 'node.sqlite3'}")
    await migrate(hub_db.engine, hub.app.MIGRATIONS)
    await migrate(node_db.engine, overseas_node.app.MIGRATIONS)
    hub_app = hub.app.create_app(
        HubSettings(data_dir=data / "hub"), database=hub_db, authenticator=HeaderAuth()
    )
    node_app = overseas_node.app.create_app(
        NodeSettings(data_dir=data / "node", hub_url=hub_url),
        database=node_db,
        authenticator=HeaderAuth(),
    )
    runners = [
        await start(hub_app, args.hub_host, args.hub_port),
        await start(node_app, args.node_host, args.node_port),
    ]
    import aiohttp

    from tests.helpers import booked_act_form

    form = await booked_act_form(hub_db, datetime.now(UTC))
    async with aiohttp.ClientSession() as http:
        async with http.post(
            f"{hub_url}/api/notarizations", json=form, headers={"X-Test-Role": "clerk"}
        ) as response:
            act = await response.json()
            assert response.status == 201, act
        body = {
            "case_id": act["number"],
            "kind": "notarization",
            "participants": [
                {"participant": "notary-li", "role": "notary"},
                {"participant": "milan-node", "role": "node"},
            ],
        }
        async with http.post(
            f"{hub_url}/api/sessions", json=body, headers={"X-Test-Role": "notary"}
        ) as response:
            opened = await response.json()
        invites = {i["participant"]: i for i in opened["invitations"]}
        kiosk_body = {
            "session_id": opened["session_id"],
            "hub_token": invites["milan-node"]["token"],
            "participant": "kiosk-1",
        }
        async with http.post(
            f"{node_url}/api/kiosk-sessions", json=kiosk_body, headers={"X-Test-Role": "clerk"}
        ) as response:
            kiosk = await response.json()
    print(
        json.dumps(
            {
                "session_id": opened["session_id"],
                "act_number": act["number"],
                "notary_page": hub_url + invites["notary-li"]["page"],
                "kiosk_page": node_url + kiosk["page"],
            }
        ),
        flush=True,
    )
    try:
        await asyncio.Event().wait()  # until the test terminates us
    finally:
        for runner in reversed(runners):
            await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    for name in ("data", "hub-host", "node-host"):
        parser.add_argument(f"--{name}", required=True)
    parser.add_argument("--hub-port", type=int, default=8080)
    parser.add_argument("--node-port", type=int, default=8081)
    parser.add_argument("--janus", action="store_true", help="the hub's sessions on Janus")
    try:
        asyncio.run(main(parser.parse_args()))
    except KeyboardInterrupt:
        pass
