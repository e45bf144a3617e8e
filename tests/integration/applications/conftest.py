from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from aiohttp import FormData

from common.clock import FixedClock
from hub.seed import seed_database
from tests.helpers import service_app, signed_in


@dataclass
class Hub:
    client: Any
    clock: FixedClock
    data_dir: Path
    clerk: dict[str, str]
    officer: dict[str, str]
    supervisor: dict[str, str]
    passwords: dict[str, str]

    async def sign_in_again(self) -> None:
        """After the clock jumps past the session limits, staff sign in anew."""
        self.officer = await signed_in(self.client, "officer.wz", self.passwords["officer.wz"])
        self.supervisor = await signed_in(
            self.client, "supervisor.wz", self.passwords["supervisor.wz"]
        )

    async def open(self, item: str = "RE-002", **resident: str) -> dict[str, Any]:
        body = {
            "item_code": item,
            "resident": {
                "name": "Hu Xiaoming 胡小明",
                "document": "E1234567",
                "country": "IT",
                "zone": "Europe/Rome",
                "lang": "it",
                **resident,
            },
        }
        resp = await self.client.post("/api/applications", json=body, headers=self.clerk)
        assert resp.status == 201, await resp.text()
        return await resp.json()  # type: ignore[no-any-return]

    async def attach(
        self,
        number: str,
        material: str,
        trust: str,
        data: bytes,
        name: str = "scan.png",
        headers: dict[str, str] | None = None,
    ) -> Any:
        form = FormData()
        form.add_field("material", material)
        form.add_field("trust", trust)
        form.add_field("file", data, filename=name, content_type="application/octet-stream")
        return await self.client.post(
            f"/api/applications/{number}/materials", data=form, headers=headers or self.clerk
        )

    async def act(
        self,
        number: str,
        verb: str,
        body: dict[str, Any] | None = None,
        headers: dict[str, str] | None = None,
    ) -> Any:
        return await self.client.post(
            f"/api/applications/{number}/{verb}", json=body or {}, headers=headers or self.officer
        )

    async def view(self, number: str) -> dict[str, Any]:
        resp = await self.client.get(f"/api/applications/{number}", headers=self.officer)
        assert resp.status == 200
        return await resp.json()  # type: ignore[no-any-return]

    def stored_files(self) -> int:
        return sum(1 for p in (self.data_dir / "materials").rglob("*") if p.is_file())


@pytest.fixture
async def hub(aiohttp_client, db_url: str, tmp_path: Path) -> Hub:  # type: ignore[no-untyped-def]
    from datetime import UTC, datetime

    clock = FixedClock(datetime(2026, 2, 10, 2, 0, tzinfo=UTC))  # Tue 10 Feb, 10:00 in Beijing
    app, db = await service_app("hub", db_url, tmp_path, clock=clock)
    passwords = await seed_database(db, clock.now())
    client = await aiohttp_client(app)
    return Hub(
        client,
        clock,
        tmp_path,
        await signed_in(client, "clerk.milan", passwords["clerk.milan"]),
        await signed_in(client, "officer.wz", passwords["officer.wz"]),
        await signed_in(client, "supervisor.wz", passwords["supervisor.wz"]),
        passwords,
    )
