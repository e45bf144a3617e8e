"""Harness of the consultation journey (no tests here; run inside the test's network
namespace): a hub as the product runs it, with real sign-in for its staff, whose clock runs ten
minutes before lawyer.chen's next free consultation time (the resident books it, the
consultant may open the session then). Prints the address, the clock's offset from this
machine's (the authenticator codes follow the hub's time) and each account's password and
authenticator secret, as one JSON line. With ``--janus``, the hub's video sessions run on a Janus
started here too (the in-process relay otherwise)."""

from __future__ import annotations

import argparse
import asyncio
import json
import sys
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path

from aiohttp import web

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from common.db import Database, migrate  # noqa: E402
from common.settings import HubSettings  # noqa: E402

LEAD = timedelta(minutes=10)


@dataclass
class OffsetClock:
    """The machine's time moved by ``offset``: it keeps running, as a real clock does."""

    offset: timedelta

    def now(self) -> datetime:
        return datetime.now(UTC) + self.offset


async def _next_free(db: Database, now: datetime) -> datetime:
    from hub.schedules.model import ServiceType, SlotQuery
    from hub.schedules.service import search

    day = now.date() + timedelta(days=1)
    query = SlotQuery(ServiceType.CONSULTATION, day, day + timedelta(days=14), staff="lawyer.chen")
    found = await search(db, query, branch="MIL", now=now)
    return min(s.start for s in found)


async def main(args: argparse.Namespace) -> None:
    from tests.e2e.media_servers import on_plane

    await on_plane(args.janus, Path(args.data), args.host, serve(args))


async def serve(args: argparse.Namespace) -> None:
    import hub.app
    from common.factors import enrol_demo
    from common.secretbox import service_box
    from hub.db import signin_tables
    from hub.seed import seed_database

    data = Path(args.data)
    url = f"http://{args.host}:{args.port}"
    db = Database(f"sqlite+aiosqlite:///{data / 'hub.sqlite3'}")
    await migrate(db.engine, hub.app.MIGRATIONS)
    real = datetime.now(UTC)
    passwords = await seed_database(db, real)
    start = await _next_free(db, real)
    clock = OffsetClock(start - LEAD - real)
    box = service_box(data / "hub")
    secrets = await enrol_demo(db, signin_tables, list(passwords), clock.now(), box)
    app = hub.app.create_app(
        HubSettings(data_dir=data / "hub", public_url=url, outbox_relay_enabled=False),
        database=db,
        clock=clock,
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, args.host, args.port).start()
    try:
        staff = {u: {"password": p, "secret": secrets[u]} for u, p in passwords.items()}
        out = {
            "hub": url,
            "offset_s": clock.offset.total_seconds(),
            "slot": start.isoformat(),
            "staff": staff,
        }
        print(json.dumps(out), flush=True)
        await asyncio.Event().wait()  # until the test stops us
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--host", required=True)
    parser.add_argument("--port", type=int, default=8080)
    parser.add_argument("--janus", action="store_true", help="video sessions on Janus")
    try:
        asyncio.run(main(parser.parse_args()))
    except KeyboardInterrupt:
        pass
