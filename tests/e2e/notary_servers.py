"""Test harness, run inside the test's network namespace: a hub and a Milan node as the product
runs them (staff sign in for real: password and authenticator code), seeded as `qiaolink seed`
seeds them: staff with authenticator apps, and today's notarization bookings of the demo notary
(hub/notarization/demo.py). Before the journey, as in life: the node's decision key is known to
the hub, the resident was enrolled at the node from a passport photo and has an authenticator
app for signing. Prints what the browser test needs as one JSON line."""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys
from dataclasses import asdict
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from aiohttp import ClientSession, web
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from common.db import Database, migrate  # noqa: E402
from common.settings import HubSettings, NodeSettings  # noqa: E402
from signing.totp import TotpPolicy, code_at  # noqa: E402

RESIDENT = "resident:E1234567"  # how the hub names the act's resident (passport number)
POA = "Hu Xiaoming 胡小明"  # the demo resident with a power-of-attorney application
# The authenticator time step each account signed in with during set-up (secret -> step): the
# service takes a code once, so the browser's sign-in of that account must wait for the next.
CODES_USED: dict[str, int] = {}


async def start(app: web.Application, host: str, port: int) -> web.AppRunner:
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, host, port).start()
    return runner


async def as_staff(http: ClientSession, path: str, body: Any, who: Any) -> None:
    """One call of a staff member's set-up work, signed in with password and code."""
    now = datetime.now(UTC)
    credentials = {
        "username": who.username,
        "password": who.password,
        "code": code_at(who.secret, now),
    }
    CODES_USED[who.secret] = int(now.timestamp()) // TotpPolicy().period
    async with http.post("/api/session", json=credentials) as signed_in:
        token = (await signed_in.json())["token"]
    headers = {"Authorization": f"Bearer {token}"}
    async with http.post(path, json=body, headers=headers) as done:
        assert done.status == 201, await done.text()


async def enrol_face(node_url: str, clerk: Any) -> None:
    """The clerk enrols the resident from the passport photo checked at the counter."""
    from tests import facedata as fd

    photo = fd.jpeg(fd.passport_photo(fd.face("astronaut")))
    body = {"resident_id": RESIDENT, "photo": base64.b64encode(photo).decode()}
    async with ClientSession(node_url) as http:
        await as_staff(http, "/api/identity/enrolments", body, clerk)


async def register_decision_key(hub_url: str, public: bytes, admin: Any) -> None:
    """The hub's administrator registers the node's identity-decision key."""
    body = {"branch": "MIL", "public_key": base64.b64encode(public).decode()}
    async with ClientSession(hub_url) as http:
        await as_staff(http, "/api/signatures/node-keys", body, admin)


async def enrol_authenticator(hub_url: str, number: str, query_code: str) -> str:
    """The resident's authenticator app for signing; returns its secret."""
    async with ClientSession(hub_url) as http:
        async with http.post(
            "/api/signatures/enrolment", json={"number": number, "query_code": query_code}
        ) as enrolled:
            body = await enrolled.json()
            assert enrolled.status == 201, body
    return parse_qs(urlparse(body["otpauth_uri"]).query)["secret"][0]


async def main(args: argparse.Namespace) -> None:
    import hub.app
    import overseas_node.app
    from hub.notarization.demo import seed_notary_day
    from overseas_node.identity.keys import load_signer
    from tests.e2e.journeys import seeded_staff

    data = Path(args.data)
    hub_url = f"http://{args.hub_host}:{args.hub_port}"
    node_url = f"http://{args.node_host}:{args.node_port}"
    hub_db = Database(f"sqlite+aiosqlite:///{data / 'hub.sqlite3'}")
    node_db = Database(f"sqlite+aiosqlite:///{data / 'node.sqlite3'}")
    await migrate(hub_db.engine, hub.app.MIGRATIONS)
    await migrate(node_db.engine, overseas_node.app.MIGRATIONS)
    now = datetime.now(UTC)
    hub_staff = await seeded_staff(hub_db, None, now, hub_dir=data / "hub")
    node_staff = await seeded_staff(None, node_db, now, node_dir=data / "node")
    booked = await seed_notary_day(hub_db, now)
    signer = load_signer(data / "node")
    public = signer.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    hub_app = hub.app.create_app(
        HubSettings(data_dir=data / "hub", public_url=hub_url, outbox_relay_enabled=False),
        database=hub_db,
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
        await register_decision_key(hub_url, public, hub_staff["admin.wz"])
        await enrol_face(node_url, node_staff["clerk.milan"])
        resident = booked[POA]
        secret = await enrol_authenticator(hub_url, resident["application"], resident["query_code"])
        async with ClientSession(hub_url) as http, http.get("/api/pki/ca.pem") as ca:
            (data / "ca.pem").write_bytes(await ca.read())  # the public trust root
        out = {
            "hub": hub_url,
            "node": node_url,
            "hub_staff": {u: asdict(s) for u, s in hub_staff.items()},
            "node_staff": {u: asdict(s) for u, s in node_staff.items()},
            "resident_id": RESIDENT,
            "resident": {**resident, "secret": secret},
            "ca_pem": str(data / "ca.pem"),
            "codes_used": CODES_USED,
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
