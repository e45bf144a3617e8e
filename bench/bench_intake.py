"""Applications opened per second through the hub's HTTP API (a DB write and an audit entry
each), on SQLite and on PostgreSQL, beside a bare aiohttp JSON endpoint in the same run.

Each server runs in its own process, all started before the first measurement; the load comes
from this one over 127.0.0.1. The targets are measured in turns (the order rotates every round),
so a neighbour's burst on a shared machine falls on all of them alike. Each figure is the median
of the rounds, printed with its spread and with p50/p99 latency pooled over the rounds.

``--compare ROOT`` adds the hub of another checkout (e.g. main) on SQLite and PostgreSQL, in the
same turns, to show a change against the code before it.

Usage: python bench/bench_intake.py [--seconds 3] [--rounds 5] [--postgres URL] [--compare ROOT]
"""

from __future__ import annotations

import argparse
import asyncio
import json
import os
import subprocess
import sys
import tempfile
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from datetime import UTC, datetime
from pathlib import Path

import aiohttp

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))
from bench._common import ROOT, Run, free_port, report, start, summarise, timed_load

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


def _with_schema(url: str, schema: str) -> str:
    return f"{url}{'&' if '?' in url else '?'}search_path={schema}"


async def _prepare_hub(url: str, schema: str | None) -> tuple[str, str]:
    """A fresh, migrated and seeded hub database; returns its URL and the clerk's password."""
    from sqlalchemy import text

    from common.db import Database, migrate
    from hub.seed import seed_database

    if schema is not None:
        admin = Database(url)
        async with admin.engine.begin() as conn:
            await conn.execute(text(f'DROP SCHEMA IF EXISTS "{schema}" CASCADE'))
            await conn.execute(text(f'CREATE SCHEMA "{schema}"'))
        await admin.close()
        url = _with_schema(url, schema)
    db = Database(url)
    await migrate(db.engine, "hub:migrations", "base")
    await migrate(db.engine, "hub:migrations")
    passwords = await seed_database(db, datetime.now(UTC))
    await db.close()
    return url, passwords["clerk.milan"]


async def _token(port: int, password: str) -> str:
    async with aiohttp.ClientSession() as session:
        async with session.post(
            f"http://127.0.0.1:{port}/api/session",
            json={"username": "clerk.milan", "password": password},
        ) as resp:
            return str((await resp.json())["token"])


@contextmanager
def _hub(url: str, schema: str | None, data_dir: Path, root: Path) -> Iterator[tuple[int, str]]:
    """A hub process on a fresh database; yields its port and a clerk's bearer token."""
    url, password = asyncio.run(_prepare_hub(url, schema))
    data_dir.mkdir(parents=True, exist_ok=True)
    port = free_port()
    env = dict(
        os.environ,
        QIAOLINK_HUB_DATABASE_URL=url,
        QIAOLINK_HUB_DATA_DIR=str(data_dir),
        QIAOLINK_HUB_LOG_LEVEL="WARNING",
    )
    proc = start(["-m", "common.cli", "hub", "--port", str(port)], port, env, cwd=root)
    try:
        yield port, asyncio.run(_token(port, password))
    finally:
        _stop(proc)


@contextmanager
def _bare() -> Iterator[tuple[int, None]]:
    port = free_port()
    proc = start([__file__, "serve-bare", "--port", str(port)], port)
    try:
        yield port, None
    finally:
        _stop(proc)


def _stop(proc: subprocess.Popen[bytes]) -> None:
    proc.terminate()
    proc.wait(30)


async def _measure(port: int, token: str | None, seconds: float, warm: bool) -> Run:
    headers = {"Authorization": f"Bearer {token}"} if token else {}
    async with aiohttp.ClientSession(headers=headers) as session:

        async def call(_i: int) -> bool:
            async with session.post(f"http://127.0.0.1:{port}/api/applications", json=BODY) as resp:
                await resp.read()
                return resp.status == 201

        if warm:
            await timed_load(call, 1.0)
        return await timed_load(call, seconds)


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("mode", nargs="?", default="bench")
    parser.add_argument("--port", type=int)
    parser.add_argument("--seconds", type=float, default=3.0)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--compare", type=Path, help="another checkout whose hub to measure too")
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
    with tempfile.TemporaryDirectory() as tmp, ExitStack() as stack:
        base = Path(tmp)
        targets: dict[str, tuple[int, str | None]] = {"bare": stack.enter_context(_bare())}
        roots = {"": ROOT, **({"before ": args.compare.resolve()} if args.compare else {})}
        for n, (label, root) in enumerate(roots.items()):
            sqlite_url = f"sqlite+aiosqlite:///{base}/hub{n}.sqlite3"
            targets[f"{label}sqlite"] = stack.enter_context(
                _hub(sqlite_url, None, base / f"sqlite{n}", root)
            )
            targets[f"{label}postgres"] = stack.enter_context(
                _hub(args.postgres, f"bench_intake_{n}", base / f"pg{n}", root)
            )
        names = list(targets)
        runs: dict[str, list[Run]] = {name: [] for name in names}
        for r in range(args.rounds):
            for name in names[r % len(names) :] + names[: r % len(names)]:
                port, token = targets[name]
                runs[name].append(asyncio.run(_measure(port, token, args.seconds, warm=r == 0)))
    summaries = {name: summarise(name, found) for name, found in runs.items()}
    for summary in summaries.values():
        print(summary.line("applications/s"))
    print(
        json.dumps(
            {
                name: {
                    "median_per_s": round(s.median, 1),
                    "spread": round(s.spread, 3),
                    "p50_ms": round(s.p50_ms, 2),
                    "p99_ms": round(s.p99_ms, 2),
                }
                for name, s in summaries.items()
            }
        )
    )
    ours = min(summaries["sqlite"].median, summaries["postgres"].median)
    report("intake", ours, summaries["bare"].median, "applications/s")


if __name__ == "__main__":
    main()
