"""Delivered applications per second, hub → platform simulator, no faults.

Ours: applications queued in the hub's outbox (SQLite), sent by the real relay through the
real client over HTTP on 127.0.0.1, each acknowledgement recorded (outbox row + case status).
Baseline: the simulator's own capacity, measured alone in the same run with signed POSTs sent
straight at it with the same concurrency (no database on the sending side).
The simulator runs as its own process (``qiaolink govnet-sim``). Each figure is the median of
five rounds (``BENCH_ROUNDS``), printed with its runs and spread. Last line: one JSON object.
"""

from __future__ import annotations

import asyncio
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # run from a checkout: `python bench/bench_delivery.py`

import aiohttp  # noqa: E402
from sqlalchemy import func, select  # noqa: E402

from common.clock import SystemClock  # noqa: E402
from common.db import Database, migrate  # noqa: E402
from common.httpsig import load_or_create_key, sign_request  # noqa: E402
from common.outbox import Relay, RetryPolicy  # noqa: E402
from hub.db import outbox_messages  # noqa: E402
from hub.govnet.client import GovnetClient, GovnetSender  # noqa: E402
from hub.govnet.service import DESTINATION, forward_to_govnet, record_receipt  # noqa: E402

N = int(os.environ.get("BENCH_N", "400"))
CONCURRENCY = 16


def _free_port() -> int:
    import socket

    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start_simulator(data_dir: Path, port: int) -> subprocess.Popen[bytes]:
    env = dict(os.environ)
    env.update(
        {
            "QIAOLINK_GOVNET_DATA_DIR": str(data_dir),
            "QIAOLINK_GOVNET_PORT": str(port),
            "QIAOLINK_GOVNET_STEP_DELAY_S": "3600",  # cases stay put: measure intake only
            "QIAOLINK_GOVNET_LOG_LEVEL": "WARNING",
        }
    )
    return subprocess.Popen(
        [sys.executable, "-m", "common.cli", "govnet-sim", "--migrate"],
        env=env,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )


async def wait_healthy(url: str) -> None:
    async with aiohttp.ClientSession() as http:
        for _ in range(200):
            try:
                async with http.get(url + "/healthz") as resp:
                    if resp.status == 200:
                        return
            except aiohttp.ClientError:
                pass
            await asyncio.sleep(0.1)
    raise RuntimeError("the simulator did not start")


async def baseline(url: str, key_dir: Path, prefix: str) -> float:
    """Signed POSTs straight at the simulator, CONCURRENCY at a time."""
    key = load_or_create_key(key_dir / "hub-govnet.pem")
    slots = asyncio.Semaphore(CONCURRENCY)
    async with aiohttp.ClientSession() as http:

        async def one(n: int) -> None:
            body = json.dumps({"reference": f"{prefix}-{n}", "item": "hukou"}).encode()
            headers = sign_request(
                method="POST",
                url=url + "/api/v1/cases",
                body=body,
                key=key,
                key_id="hub",
                created=datetime.now(UTC),
                headers={"Idempotency-Key": f"{prefix}:{n}"},
            )
            headers["Content-Type"] = "application/json"
            async with slots, http.post(url + "/api/v1/cases", data=body, headers=headers) as r:
                assert r.status == 201, await r.text()
                await r.read()

        start = time.perf_counter()
        await asyncio.gather(*(one(n) for n in range(N)))
        return N / (time.perf_counter() - start)


async def ours(url: str, data_dir: Path, prefix: str) -> float:
    """The hub's path: outbox → relay → client → simulator → receipt recorded."""
    db = Database(f"sqlite+aiosqlite:///{data_dir / f'hub-{prefix}.sqlite3'}")
    await migrate(db.engine, "hub:migrations")
    clock = SystemClock()
    for n in range(N):
        async with db.transaction() as s:
            await forward_to_govnet(
                s, reference=f"{prefix}-{n}", payload={"item": "hukou"}, now=clock.now()
            )
    async with aiohttp.ClientSession() as http:
        client = GovnetClient(
            http,
            base_url=url,
            key=load_or_create_key(data_dir / "keys" / "hub-govnet.pem"),
            key_id="hub",
            clock=clock,
        )
        relay = Relay(
            db,
            outbox_messages,
            {DESTINATION: GovnetSender(client)},
            clock=clock,
            policy=RetryPolicy(lease=timedelta(seconds=30)),
            rng=random.Random(1),
            batch=100,
            concurrency=CONCURRENCY,
            hooks={DESTINATION: record_receipt([], clock.now)},
        )
        stop = asyncio.Event()
        start = time.perf_counter()
        task = asyncio.create_task(relay.run(interval=0.01, stop=stop))
        while True:
            async with db.transaction() as s:
                delivered = (
                    await s.execute(
                        select(func.count()).where(outbox_messages.c.state == "delivered")
                    )
                ).scalar_one()
            if delivered == N:
                break
            await asyncio.sleep(0.02)
        elapsed = time.perf_counter() - start
        stop.set()
        await task
    await db.close()
    return N / elapsed


ROUNDS = int(os.environ.get("BENCH_ROUNDS", "5"))


def _line(name: str, rates: list[float]) -> str:
    mid = statistics.median(rates)
    runs = ", ".join(f"{r:.0f}" for r in rates)
    spread = 100 * (max(rates) - min(rates)) / mid
    return f"{name}: median {mid:.0f} applications/s (runs {runs}; spread {spread:.0f}%)"


async def main() -> None:
    """Rounds alternate the simulator alone and the hub's path (which goes first alternates
    too), so that a burst on a shared machine falls on both alike; each figure is the median."""
    alone: list[float] = []
    hub: list[float] = []
    with tempfile.TemporaryDirectory() as tmp:
        data_dir = Path(tmp)
        load_or_create_key(data_dir / "keys" / "hub-govnet.pem")  # the simulator trusts it
        port = _free_port()
        url = f"http://127.0.0.1:{port}"
        sim = start_simulator(data_dir, port)
        try:
            await wait_healthy(url)
            await baseline(url, data_dir / "keys", "warm")  # warm both sides up
            for r in range(ROUNDS):
                if r % 2:
                    hub.append(await ours(url, data_dir, f"hub{r}"))
                    alone.append(await baseline(url, data_dir / "keys", f"alone{r}"))
                else:
                    alone.append(await baseline(url, data_dir / "keys", f"alone{r}"))
                    hub.append(await ours(url, data_dir, f"hub{r}"))
        finally:
            sim.terminate()
            sim.wait(10)
    print(_line("simulator alone", alone))
    print(_line(f"through the hub's outbox ({N} each)", hub))
    ratios = [h / a for h, a in zip(hub, alone, strict=True)]
    print("ratio per round: " + ", ".join(f"{x:.2f}" for x in ratios))
    ours_median, alone_median = statistics.median(hub), statistics.median(alone)
    print(
        json.dumps(
            {
                "bench": "delivery_hub_to_govnet",
                "ours": round(ours_median, 1),
                "baseline": round(alone_median, 1),
                "unit": "applications/s",
                "ratio": round(ours_median / alone_median, 3),
            }
        )
    )


if __name__ == "__main__":
    asyncio.run(main())
