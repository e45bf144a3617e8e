from __future__ import annotations

from collections.abc import Iterator
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import aioice.ice
import pytest
from sqlalchemy import func, select

from common.clock import FixedClock
from common.db import Database
from common.service import AUDIT
from hub.consultation.tables import Consultation, KbEntry
from hub.schedules.tables import Booking
from hub.seed import seed_database
from tests.helpers import service_app, signed_in

DAY = "2026-02-11"  # a Wednesday, a working day in Milan and in Wencheng
START = datetime(2026, 2, 11, 8, 0, tzinfo=UTC)  # 09:00 in Milan, 16:00 in Beijing
QUESTION = "父亲在文成去世，留下一套房产。我在意大利，如何办理继承？"
STAFF = ("lawyer.chen", "lawyer.milan", "officer.wz", "supervisor.wz", "auditor.wz")


@pytest.fixture
def loopback_only(monkeypatch: pytest.MonkeyPatch) -> Iterator[None]:
    """aioice may offer 127.0.0.1 to the loopback peers, in the tests that hold a session only."""
    monkeypatch.setattr(aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"])
    yield


@dataclass
class Hub:
    client: Any
    clock: FixedClock
    db: Database
    passwords: dict[str, str]
    headers: dict[str, dict[str, str]]

    async def sign_in(self) -> None:
        for user in STAFF:
            self.headers[user] = await signed_in(self.client, user, self.passwords[user])

    async def at(self, when: datetime) -> None:
        """Move the clock (forwards) and sign everyone in again."""
        self.clock.advance(when - self.clock.now())
        await self.sign_in()

    async def slots(self, topic: str = "inheritance", **query: str) -> list[dict[str, Any]]:
        params = {"topic": topic, "branch": "MIL", "from": DAY, "tz": "Europe/Rome", **query}
        resp = await self.client.get("/api/consultations/slots", params=params)
        assert resp.status == 200, await resp.text()
        return (await resp.json())["slots"]  # type: ignore[no-any-return]

    def booking(self, slot: dict[str, Any], **fields: Any) -> dict[str, Any]:
        return {
            "branch": "MIL",
            "topic": "inheritance",
            "staff": slot["staff"],
            "room": slot["room"],
            "start": slot["start"],
            "name": "Hu Xiaoming 胡小明",
            "document": "E1234567",
            "contact": "hu@example.it",
            "country": "IT",
            "lang": "it",
            "zone": "Europe/Rome",
            "question": QUESTION,
            **fields,
        }

    async def book(self, staff: str = "lawyer.chen", **fields: Any) -> dict[str, Any]:
        slot = next(s for s in await self.slots() if s["staff"] == staff)
        resp = await self.client.post(
            "/api/self-service/consultations", json=self.booking(slot, **fields)
        )
        assert resp.status == 201, await resp.text()
        return await resp.json()  # type: ignore[no-any-return]

    async def post(self, path: str, user: str, body: dict[str, Any] | None = None) -> Any:
        return await self.client.post(path, json=body or {}, headers=self.headers[user])

    async def progress(self, number: str, code: str, **query: str) -> Any:
        return await self.client.get(
            f"/api/self-service/consultations/{number}",
            params=query,
            headers={"X-Query-Code": code},
        )

    async def counts(self) -> tuple[int, int, int, int]:
        """Consultations, live bookings, knowledge-base entries and decisions in the audit log:
        what a refused request must leave as it was."""
        audit = self.client.server.app[AUDIT]
        async with self.db.sessions() as session:
            found = [
                await session.scalar(select(func.count()).select_from(Consultation)),
                await session.scalar(
                    select(func.count()).select_from(Booking).where(Booking.status == "booked")
                ),
                await session.scalar(select(func.count()).select_from(KbEntry)),
                await session.scalar(
                    select(func.count())
                    .select_from(audit)
                    .where(audit.c.action.like("consultation.%") | audit.c.action.like("kb.%"))
                ),
            ]
        return tuple(int(n or 0) for n in found)  # type: ignore[return-value]

    async def actions(self, subject: str) -> list[str]:
        audit = self.client.server.app[AUDIT]
        async with self.db.sessions() as session:
            rows = await session.scalars(
                select(audit.c.action).where(audit.c.subject == subject).order_by(audit.c.id)
            )
            return list(rows.all())


@pytest.fixture
async def hub(aiohttp_client, db_url: str, tmp_path: Path) -> Hub:  # type: ignore[no-untyped-def]
    clock = FixedClock(START - timedelta(days=1, hours=6))  # the day before, 10:00 in Beijing
    app, db = await service_app("hub", db_url, tmp_path, clock=clock)
    passwords = await seed_database(db, clock.now())
    client = await aiohttp_client(app)
    hub = Hub(client, clock, db, passwords, {})
    await hub.sign_in()
    return hub
