"""A resident starting an application from their own device names a branch: one that does not
exist is refused in their language and nothing is stored (issue 17: ``ZZZ`` was accepted)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from hub.applications.tables import Application
from hub.seed import seed_database
from tests.helpers import service_app


async def test_an_unknown_branch_is_refused_and_nothing_is_stored(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    app, db = await service_app("hub", db_url, tmp_path)
    await seed_database(db, datetime.now(UTC))
    client = await aiohttp_client(app)
    body = {
        "branch": "ZZZ",
        "item_code": "HR-005",
        "resident": {"name": "Hu Li", "document": "E7654321", "country": "IT"},
    }
    refused = await client.post(
        "/api/self-service/applications", json=body, headers={"Accept-Language": "it"}
    )
    assert refused.status == 422
    problem = await refused.json()
    assert problem["code"] == "application.unknown_branch"
    assert problem["title"] == "Non esiste una sede con il codice ZZZ."
    # the hub itself is an office, not a branch that takes applications in
    hub_office = await client.post("/api/self-service/applications", json={**body, "branch": "WZ"})
    assert hub_office.status == 422
    async with db.sessions() as session:
        assert await session.scalar(select(func.count()).select_from(Application)) == 0
    assert (
        await client.post("/api/self-service/applications", json={**body, "branch": "MIL"})
    ).status == 201
