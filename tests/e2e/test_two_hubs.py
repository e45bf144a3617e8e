"""Two hub processes on loopback sharing one PostgreSQL schema and Redis, with the platform
simulator as a third process: participants of one session on different instances see each
other; applications go in through both; both relays deliver; instance A is killed with SIGKILL
mid-run and nothing is lost, nothing reaches the platform twice."""

from __future__ import annotations

import asyncio
import json
import os
import signal
import subprocess
import sys
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from sqlalchemy import func, select

from common.db import Database
from govnet_sim.tables import cases as platform_cases
from hub.db import outbox_messages
from hub.seed import seed_database
from tests.conftest import PG_URL, _pg_schema, free_port
from tests.deploy_support import forward, open_application, sign_in
from tests.helpers import booked_act_form

ROOT = Path(__file__).resolve().parents[2]
REDIS_URL = "redis://127.0.0.1:6379/0"


def _env(tmp: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("QIAOLINK_")}
    env.update(extra)
    return env


class Processes:
    def __init__(self, tmp: Path) -> None:
        self.tmp = tmp
        self.running: dict[str, subprocess.Popen[bytes]] = {}

    def start(self, name: str, args: list[str], env: dict[str, str]) -> None:
        log = (self.tmp / f"{name}.log").open("wb")
        self.running[name] = subprocess.Popen(
            [sys.executable, "-m", "common.cli", *args],
            cwd=ROOT,
            env=env,
            stdout=log,
            stderr=subprocess.STDOUT,
        )

    def log(self, name: str) -> list[dict[str, Any]]:
        lines = []
        for raw in (self.tmp / f"{name}.log").read_text().splitlines():
            if raw.startswith("{"):
                lines.append(json.loads(raw))
        return lines

    def stop_all(self) -> None:
        for proc in self.running.values():
            if proc.poll() is None:
                proc.send_signal(signal.SIGINT)
        for proc in self.running.values():
            try:
                proc.wait(timeout=15)
            except subprocess.TimeoutExpired:
                proc.kill()


async def _healthy(http: aiohttp.ClientSession, port: int, within: float = 30) -> None:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        try:
            async with http.get(f"http://127.0.0.1:{port}/healthz") as resp:
                if resp.status == 200:
                    return
        except aiohttp.ClientError:
            pass
        await asyncio.sleep(0.2)
    raise AssertionError(f"nothing healthy on port {port}")


@pytest.fixture
async def schema_url(postgres_available: bool) -> AsyncIterator[str]:
    if not postgres_available:
        pytest.skip("PostgreSQL unreachable")
    schema = f"t_{uuid.uuid4().hex[:12]}"
    await _pg_schema("create", schema)
    yield f"{PG_URL}?search_path={schema}"
    await _pg_schema("drop", schema)


async def _next_of(ws: aiohttp.ClientWebSocketResponse, kind: str) -> dict[str, Any]:
    while True:
        message = await asyncio.wait_for(ws.receive_json(), 10)
        if message["type"] == kind:
            return message  # type: ignore[no-any-return]


async def _meet(
    http: aiohttp.ClientSession,
    session_id: str,
    urls: tuple[str, str],
    instances: tuple[str, str],
    notary: dict[str, str],
    kiosk: dict[str, str],
) -> str:
    """A notary and a kiosk (the branch clerk's desk) join one session, each through its own
    URL, see each other and exchange messages; returns the session's media instance."""
    a, b = urls
    async with http.ws_connect(f"{a}/api/v1/live/{session_id}/socket", headers=notary) as on_a:
        hello_a = await _next_of(on_a, "welcome")
        assert hello_a["instance"] == instances[0]
        async with http.ws_connect(f"{b}/api/v1/live/{session_id}/socket", headers=kiosk) as on_b:
            hello_b = await _next_of(on_b, "welcome")
            assert hello_b["instance"] == instances[1]
            assert hello_b["media_instance"] == hello_a["media_instance"]  # one pin
            assert set(hello_b["members"]) == {"notary:notary.wz", "clerk:clerk.milan"}
            assert (await _next_of(on_a, "joined"))["member"] == "clerk:clerk.milan"
            await on_b.send_json({"kind": "offer", "sdp": "v=0"})
            got = await _next_of(on_a, "message")
            assert got == {
                "type": "message",
                "from": "clerk:clerk.milan",
                "body": {"kind": "offer", "sdp": "v=0"},
            }
            await on_a.send_json({"kind": "answer"})
            assert (await _next_of(on_b, "message"))["from"] == "notary:notary.wz"
        assert (await _next_of(on_a, "left"))["member"] == "clerk:clerk.milan"
    return str(hello_a["media_instance"])


async def _act_session(
    http: aiohttp.ClientSession, base: str, form: dict[str, Any], **by: Any
) -> str:
    """The clerk opens the booked act, its notary opens the act's video session."""
    clerk, notary = by["clerk"], by["notary"]
    async with http.post(f"{base}/api/notarizations", json=form, headers=clerk) as resp:
        act = await resp.json()
        assert resp.status == 201, act
    opening = {
        "case_id": act["number"],
        "kind": "notarization",
        "participants": [{"participant": "notary", "role": "notary"}],
    }
    async with http.post(f"{base}/api/sessions", json=opening, headers=notary) as resp:
        opened = await resp.json()
        assert resp.status == 201, opened
    return str(opened["session_id"])


async def _platform_references(url: str) -> list[str]:
    db = Database(url)
    try:
        async with db.transaction() as s:
            return [str(r) for r in (await s.execute(select(platform_cases.c.reference))).scalars()]
    finally:
        await db.close()


async def _wait_delivered(sim_url: str, wanted: set[str], within: float) -> list[str]:
    deadline = time.monotonic() + within
    while True:
        refs = await _platform_references(sim_url)
        if wanted <= set(refs) or time.monotonic() > deadline:
            return refs
        await asyncio.sleep(0.25)


def _sent_keys(procs: Processes, name: str) -> list[str]:
    return [
        line["key"]
        for line in procs.log(name)
        if str(line.get("msg", "")).startswith("sending outbox message")
    ]


async def test_two_hubs_share_sessions_and_survive_losing_one(
    tmp_path: Path, schema_url: str
) -> None:
    started = time.monotonic()
    ports = {"hub-a": free_port(), "hub-b": free_port(), "sim": free_port()}
    a, b = (f"http://127.0.0.1:{ports[n]}" for n in ("hub-a", "hub-b"))
    sim_url = f"sqlite+aiosqlite:///{tmp_path / 'govnet_sim.sqlite3'}"
    hub_env = {
        "QIAOLINK_HUB_DATA_DIR": str(tmp_path),
        "QIAOLINK_HUB_DATABASE_URL": schema_url,
        "QIAOLINK_HUB_REDIS_URL": REDIS_URL,
        "QIAOLINK_HUB_GOVNET_URL": f"http://127.0.0.1:{ports['sim']}",
        "QIAOLINK_HUB_OUTBOX_RELAY_INTERVAL_S": "0.1",
        "QIAOLINK_HUB_OUTBOX_LEASE_S": "3",
        "QIAOLINK_HUB_OUTBOX_BASE_DELAY_S": "0.2",
        "QIAOLINK_HUB_GOVNET_RECONCILE_INTERVAL_S": "2",
        "QIAOLINK_HUB_INSTANCE_HEARTBEAT_S": "0.5",
        "QIAOLINK_HUB_INSTANCE_TTL_S": "3",
    }
    migrate = await asyncio.create_subprocess_exec(
        sys.executable,
        "-m",
        "common.cli",
        "migrate",
        "hub",
        cwd=ROOT,
        env=_env(tmp_path, **hub_env),
        stderr=asyncio.subprocess.PIPE,
    )
    _out, err = await asyncio.wait_for(migrate.communicate(), 60)
    assert migrate.returncode == 0, err.decode()
    db = Database(schema_url)
    passwords = await seed_database(db, datetime.now(UTC))
    form = await booked_act_form(db, datetime.now(UTC))

    procs = Processes(tmp_path)
    try:
        async with aiohttp.ClientSession() as http:
            # A first: it makes the hub's platform key in the shared data dir
            procs.start(
                "hub-a",
                ["hub", "--port", str(ports["hub-a"])],
                _env(tmp_path, **hub_env, QIAOLINK_HUB_INSTANCE_ID="hub-a"),
            )
            await _healthy(http, ports["hub-a"])
            procs.start(
                "sim",
                ["govnet-sim", "--migrate", "--port", str(ports["sim"])],
                _env(
                    tmp_path,
                    QIAOLINK_GOVNET_DATA_DIR=str(tmp_path),
                    QIAOLINK_GOVNET_CALLBACK_URL=f"{b}/api/v1/govnet/callbacks",
                    QIAOLINK_GOVNET_STEP_DELAY_S="0.2",
                    QIAOLINK_GOVNET_RETURN_RATE="0",
                ),
            )
            procs.start(
                "hub-b",
                ["hub", "--port", str(ports["hub-b"])],
                _env(tmp_path, **hub_env, QIAOLINK_HUB_INSTANCE_ID="hub-b"),
            )
            await _healthy(http, ports["sim"])
            await _healthy(http, ports["hub-b"])

            # sessions and tokens live in PostgreSQL: a token from A works on B
            clerk = await sign_in(http, a, "clerk.milan", passwords["clerk.milan"])
            officer = await sign_in(http, b, "officer.wz", passwords["officer.wz"])
            notary = await sign_in(http, a, "notary.wz", passwords["notary.wz"])
            session_id = await _act_session(http, a, form, clerk=clerk, notary=notary)
            pinned = await _meet(http, session_id, (a, b), ("hub-a", "hub-b"), notary, clerk)
            assert pinned == "hub-a"  # both idle: the smallest id; moved below once A dies

            # phase 1: intake and forwarding through both instances; both relays running
            numbers = []
            for n in range(6):
                base = (a, b)[n % 2]
                number = await open_application(http, base, clerk, f"YB{n:07d}")
                await forward(http, (b, a)[n % 2], officer, number)
                numbers.append(number)
            refs = await _wait_delivered(sim_url, set(numbers), 20)
            assert set(numbers) <= set(refs)

            # phase 2: a burst through A, then A dies with messages queued or in flight
            for n in range(6, 12):
                number = await open_application(http, a, clerk, f"YB{n:07d}")
                await forward(http, a, officer, number)
                numbers.append(number)
            procs.running["hub-a"].send_signal(signal.SIGKILL)
            procs.running["hub-a"].wait(timeout=10)
            killed = time.monotonic()
            for n in range(12, 14):
                number = await open_application(http, b, clerk, f"YB{n:07d}")
                await forward(http, b, officer, number)
                numbers.append(number)

            refs = await _wait_delivered(sim_url, set(numbers), 25)
            # no application lost: every one is on B, forwarded (or moved on by the platform)
            for number in numbers:
                async with http.get(f"{b}/api/applications/{number}", headers=officer) as r:
                    assert r.status == 200
                    assert (await r.json())["state"] in ("forwarded", "in_process", "completed")
            # the session is pinned to a live instance: B, once A's heartbeat lapsed
            await asyncio.sleep(max(0.0, 3.5 - (time.monotonic() - killed)))
            assert await _meet(http, session_id, (b, b), ("hub-b", "hub-b"), notary, clerk) == (
                "hub-b"
            )
    finally:
        procs.stop_all()

    async with db.transaction() as s:
        states = dict(
            (
                await s.execute(
                    select(outbox_messages.c.state, func.count()).group_by(outbox_messages.c.state)
                )
            ).all()
        )
    await db.close()
    counts = Counter(refs)
    assert set(counts) == set(numbers) and max(counts.values()) == 1  # each case exactly once
    assert states == {"delivered": len(numbers)}  # no outbox message lost
    sent_a, sent_b = _sent_keys(procs, "hub-a"), _sent_keys(procs, "hub-b")
    assert sent_a and sent_b, "both instances' relays delivered"
    both = Counter(sent_a + sent_b)
    resent = {k for k, c in both.items() if c > 1}
    # a message is sent again only if A died holding its lease (same idempotency key)
    assert resent <= {f"govnet:{n}" for n in numbers[6:12]}
    assert all(both[k] == 1 for k in both if k not in resent)
    print(
        json.dumps(
            {
                "sent_by_a": len(sent_a),
                "sent_by_b": len(sent_b),
                "resent_after_kill": len(resent),
                "seconds": round(time.monotonic() - started, 1),
            }
        )
    )
    assert time.monotonic() - started < 60
