from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest
from aiohttp import FormData
from sqlalchemy import func, select

from common.clock import FixedClock
from common.db import Database
from hub.complaints.tables import Complaint, ComplaintDocument
from hub.seed import seed_database
from tests.helpers import png_bytes, service_app, signed_in

FACTS = "房屋登记材料被退回三次，每次理由不同，工作人员未一次性告知。"


@dataclass
class Hub:
    client: Any
    clock: FixedClock
    db: Database
    data_dir: Path
    passwords: dict[str, str]
    headers: dict[str, dict[str, str]]

    async def sign_in(self) -> None:
        """Everyone signs in (again, after the clock jumps past session limits)."""
        for user in ("clerk.milan", "officer.wz", "supervisor.wz"):
            self.headers[user] = await signed_in(self.client, user, self.passwords[user])

    async def advance(self, days: int) -> None:
        self.clock.advance(timedelta(days=days))
        await self.sign_in()

    def form(self, attachments: list[tuple[bytes, str]] | None = None, **fields: str) -> FormData:
        form = FormData()
        values = {
            "kind": "complaint",
            "name": "Hu Xiaoming 胡小明",
            "document": "E1234567",
            "contact": "hu@example.it",
            "country": "IT",
            "lang": "it",
            "facts": FACTS,
            "request": "请求一次性告知全部补正材料并尽快办结。",
            "branch": "MIL",
            **fields,
        }
        for key, value in values.items():
            form.add_field(key, value)
        for data, name in attachments if attachments is not None else [(png_bytes(), "a.png")]:
            form.add_field("attachment", data, filename=name, content_type="image/png")
        return form

    async def lodge(self, **fields: str) -> dict[str, Any]:
        resp = await self.client.post("/api/self-service/complaints", data=self.form(**fields))
        assert resp.status == 201, await resp.text()
        return await resp.json()  # type: ignore[no-any-return]

    async def post(self, number: str, verb: str, body: dict[str, Any], user: str) -> Any:
        return await self.client.post(
            f"/api/complaints/{number}/{verb}", json=body, headers=self.headers[user]
        )

    async def accept(self, number: str) -> dict[str, Any]:
        body = {"department": "real_estate", "handler": "officer.wz"}
        resp = await self.post(number, "accept", body, "officer.wz")
        assert resp.status == 200, await resp.text()
        return await resp.json()  # type: ignore[no-any-return]

    async def reply(self, number: str, pdf: bytes, *, seal: bool) -> Any:
        form = FormData()
        form.add_field("file", pdf, filename="reply.pdf", content_type="application/pdf")
        form.add_field("seal", "yes" if seal else "no")
        return await self.client.post(
            f"/api/complaints/{number}/reply", data=form, headers=self.headers["officer.wz"]
        )

    async def counts(self) -> tuple[int, int, int]:
        """Complaints, documents and stored files: what a failed request must not leave."""
        async with self.db.sessions() as session:
            complaints = await session.scalar(select(func.count()).select_from(Complaint))
            docs = await session.scalar(select(func.count()).select_from(ComplaintDocument))
        root = self.data_dir / "complaints"
        files = sum(1 for p in root.rglob("*") if p.is_file()) if root.exists() else 0
        return int(complaints or 0), int(docs or 0), files


@pytest.fixture
async def hub(aiohttp_client, db_url: str, tmp_path: Path) -> Hub:  # type: ignore[no-untyped-def]
    clock = FixedClock(datetime(2026, 2, 10, 2, 0, tzinfo=UTC))  # 10 Feb, 10:00 in Beijing
    app, db = await service_app("hub", db_url, tmp_path, clock=clock)
    passwords = await seed_database(db, clock.now())
    client = await aiohttp_client(app)
    hub = Hub(client, clock, db, tmp_path, passwords, {})
    await hub.sign_in()
    return hub
