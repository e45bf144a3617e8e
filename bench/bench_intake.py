"""Applications opened per second through the hub's HTTP API (a DB write and an audit entry
each), on SQLite and on PostgreSQL, beside a bare aiohttp JSON endpoint in the same run.

Each server runs in its own process; the load comes from this one over 127.0.0.1.
Usage: python bench/bench_intake.py [--seconds 5] [--postgres URL]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import sys
import tempfile
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._common import free_port, load, report, start

BODY = {
    "item_code": "HR-005",
    "resident": {"name": "Hu Xiaoming", "document": "E1234567", "country": "IT"},
}


def serve_bare(port: int) -> None:
    from aiohttp import web

    async def handle(request: web.Request) -> web.Response:
        body = await request.json()
        return web.json_response({"number": "X", "echo": body["item_code"]}, status=201)

    async def health(request: web.Request) -> web.Response:
        return web.json_response({"ok": True})

    app = web.Application()
    app.router.add_post("/api/applications", handle)
    app.router.add_get("/healthz", health)
    web.run_app(app, host="127.0.0.1", port=port, print=None, access_log=None)


async def _prepare_hub(data_dir: Path, url: str) -> str:
    from common.db import Database, migrate
    from hub.seed import seed_database

    db = Database(url)
    await migrate(db.engine, "hub:migrations", "base")
    await migrate(db.engine, "hub:migrations")
    from datetime import UTC, datetime

    passwords = await seed_database(db, datetime.now(UTC))
    await db.close()
    return passwords["clerk.milan"]


async def _measure(port: int, seconds: float, token: str | None) -> float:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession(headers=headers) as session:

        async def call(_i: int) -> bool:
            async with session.post(f"http://127.0.0.1:{port}/api/applications", json=BODY) as resp:
                await resp.read()
                return resp.status == 201

        await load(call, 1.0)  # warm up
        return await load(call, seconds)


async def _token(port: int, password: str) -> str:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"http://127.0.0.1:{port}/api/session",
            json={"username": "clerk.milan", "password": password},
        ) as resp:
            return str((await resp.json())["token"])


def run_hub(url: str, data_dir: Path, seconds: float) -> float:
    password = asyncio.run(_prepare_hub(data_dir, url))
    port = free_port()
    env = dict(
        os.environ,
        QIAOLINK_HUB_DATABASE_URL=url,
        QIAOLINK_HUB_DATA_DIR=str(data_dir),
        QIAOLINK_HUB_LOG_LEVEL="WARNING",
    )
    proc = start(["-m", "common.cli", "hub", "--port", str(port)], port, env)
    try:
        token = asyncio.run(_token(port, password))
        return asyncio.run(_measure(port, seconds, token))
    finally:
        proc.terminate()
        proc.wait()


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", nargs="?", default="bench")
    parser.add_argument("--port", type=int)
    parser.add_argument("--seconds", type=float, default=5.0)
    parser.add_argument(
        "--postgres",
        default=os.environ.get(
            "QIAOLINK_TEST_POSTGRES_URL", "postgresql+asyncpg://postgres@127.0.0.1:5432/test"
        ),
    )
    args = parser.parse_args()
    if args.mode == "serve-bare":
        serve_bare(args.port)
        return
    port = free_port()
    proc = start([__file__, "serve-bare", "--port", str(port)], port)
    try:
        bare = asyncio.run(_measure(port, args.seconds, None))
    finally:
        proc.terminate()
        proc.wait()
    with tempfile.TemporaryDirectory() as tmp:
        sqlite = run_hub(f"sqlite+aiosqlite:///{tmp}/hub.sqlite3", Path(tmp), args.seconds)
        postgres = run_hub(args.postgres, Path(tmp), args.seconds)
    print(
        json.dumps(
            {
                "bare_per_s": round(bare, 1),
                "sqlite_per_s": round(sqlite, 1),
                "postgres_per_s": round(postgres, 1),
            }
        )
    )
    report("intake", min(sqlite, postgres), bare, "applications/s")


if __name__ == "__main__":
    main()
