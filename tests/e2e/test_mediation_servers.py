"""Harness of the mediation journey (no tests here; run inside the test's network namespace): a
hub and the Milan node as the product runs them, with real sign-in for their staff (password and
authenticator), the node's identity-decision key registered at the hub, and the two parties of
the journey enrolled at the node from a passport photo, as the clerk does before a case.
Prints what the browser test needs as one JSON line: the addresses and each account's password
and authenticator secret (what the person knows and their phone shows). With ``--janus``, the
hub's video sessions run on a Janus started here too (the in-process relay otherwise)."""

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

PARTIES = ("resident:YA1234567", "resident:EB7654321")  # the documents the case will name


async def _start(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def _enrol_parties(node_url: str, username: str, password: str) -> None:
    from tests import facedata as fd

    photo = base64.b64encode(fd.jpeg(fd.passport_photo(fd.face("astronaut")))).decode()
    async with ClientSession(node_url) as http:
        async with http.post(
            "/api/session", json={"username": username, "password": password}
        ) as signed_in:
            token = (await signed_in.json())["token"]
        for resident in PARTIES:
            async with http.post(
                "/api/identity/enrolments",
                json={"resident_id": resident, "photo": photo},
                headers={"Authorization": f"Bearer {token}"},
            ) as enrolled:
                assert enrolled.status == 201, await enrolled.text()


async def _register_node_key(hub_db: Database, node_data: Path, now: datetime) -> None:
    from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat
    from sqlalchemy import insert

    from hub.signatures.tables import node_keys
    from media.face import key_id_of
    from overseas_node.identity.keys import load_signer

    public = load_signer(node_data).private_key.public_key()
    async with hub_db.transaction() as session:
        await session.execute(
            insert(node_keys).values(
                key_id=key_id_of(public),
                branch="MIL",
                public_key=public.public_bytes(Encoding.Raw, PublicFormat.Raw),
                registered_at=now,
                registered_by="admin.wz",
            )
        )


async def _staff(
    db: Database, tables: Any, passwords: dict[str, str], now: datetime, data_dir: Path
) -> Any:
    from common.factors import enrol_demo
    from common.secretbox import service_box

    secrets = await enrol_demo(db, tables, list(passwords), now, service_box(data_dir))
    return {u: {"password": p, "secret": secrets[u]} for u, p in passwords.items()}


async def main(args: argparse.Namespace) -> None:
    from tests.e2e.media_servers import on_plane

    await on_plane(args.janus, Path(args.data), args.hub_host, serve(args))


async def serve(args: argparse.Namespace) -> None:
    import hub.app
    import overseas_node.app
    from hub.db import signin_tables as hub_signin
    from hub.seed import seed_database as seed_hub
    from overseas_node.db import signin_tables as node_signin
    from overseas_node.seed import seed_database as seed_node

    data = Path(args.data)
    hub_url = f"http://{args.hub_host}:{args.hub_port}"
    node_url = f"http://{args.node_host}:{args.node_port}"
    hub_db = Database(f"sqlite+aiosqlite:///{data / 'hub.sqlite3'}")
    node_db = Database(f"sqlite+aiosqlite:///{data / 'node.sqlite3'}")
    await migrate(hub_db.engine, hub.app.MIGRATIONS)
    await migrate(node_db.engine, overseas_node.app.MIGRATIONS)
    now = datetime.now(UTC)
    hub_staff = await _staff(hub_db, hub_signin, await seed_hub(hub_db, now), now, data / "hub")
    node_passwords = await seed_node(node_db, now)
    await _register_node_key(hub_db, data / "node", now)
    hub_app = hub.app.create_app(
        HubSettings(data_dir=data / "hub", public_url=hub_url, outbox_relay_enabled=False),
        database=hub_db,
    )
    node_app = overseas_node.app.create_app(
        NodeSettings(data_dir=data / "node", hub_url=hub_url, branch_code="MIL"),
        database=node_db,
    )
    runners = [
        await _start(hub_app, args.hub_host, args.hub_port),
        await _start(node_app, args.node_host, args.node_port),
    ]
    try:
        clerk, password = next(iter(node_passwords.items()))
        await _enrol_parties(node_url, clerk, password)
        node_staff = await _staff(node_db, node_signin, node_passwords, now, data / "node")
        out = {
            "hub": hub_url,
            "node": node_url,
            "staff": hub_staff,
            "clerk": {"username": clerk, **node_staff[clerk]},
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
    parser.add_argument("--janus", action="store_true", help="the hub's sessions on Janus")
    try:
        asyncio.run(main(parser.parse_args()))
    except KeyboardInterrupt:
        pass
