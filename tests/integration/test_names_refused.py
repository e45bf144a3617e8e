"""A resident name carrying a right-to-left override, NUL or BEL is refused at the hub's API and
at the node's, in the caller's language, and nothing is stored (finding of issue 17: such a name
could spoof another on pages, PDFs and the platform payload)."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import func, select

from hub.applications.tables import Application
from hub.seed import seed_database as seed_hub
from overseas_node.intake.tables import node_applications
from overseas_node.seed import seed_database as seed_node
from tests.helpers import service_app, signed_in

SPOOFS = ["Rossi\u202eairaM", "Hu\x00Li", "Hu\x07Li"]
REFUSED_IT = "Un nome non può contenere caratteri di controllo o segni di direzione del testo."


@pytest.mark.parametrize("name", SPOOFS)
async def test_the_hub_refuses_a_spoofing_name_and_stores_nothing(
    aiohttp_client: Any, db_url: str, tmp_path: Path, name: str
) -> None:
    app, db = await service_app("hub", db_url, tmp_path)
    passwords = await seed_hub(db, datetime.now(UTC))
    client = await aiohttp_client(app)
    auth = await signed_in(client, "clerk.milan", passwords["clerk.milan"])
    body = {"item_code": "HR-005", "resident": {"name": name, "document": "E1", "country": "IT"}}
    body["resident"]["document"] = "E1234567"
    answer = await client.post(
        "/api/applications", json=body, headers={**auth, "Accept-Language": "it"}
    )
    assert answer.status == 422
    problem = await answer.json()
    assert {"field": "resident.name", "message": REFUSED_IT} in problem["errors"]
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(Application)) == 0
    good = {**body, "resident": {**body["resident"], "name": "Maria Rossi"}}
    assert (await client.post("/api/applications", json=good, headers=auth)).status == 201


async def test_the_node_refuses_a_spoofing_name_and_stores_nothing(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    app, db = await service_app(
        "node",
        f"sqlite+aiosqlite:///{tmp_path / 'n.db'}",
        tmp_path,
        hub_url="http://127.0.0.1:9",
    )
    passwords = await seed_node(db, datetime.now(UTC))
    client = await aiohttp_client(app)
    auth = await signed_in(client, "clerk.milan", passwords["clerk.milan"])
    body = {
        "item_code": "HR-005",
        "resident": {"name": SPOOFS[0], "document": "E1234567", "country": "IT"},
    }
    answer = await client.post(
        "/api/intake/applications", json=body, headers={**auth, "Accept-Language": "it"}
    )
    assert answer.status == 422
    # the node names the field in its own words, in the caller's language
    errors = (await answer.json())["errors"]
    assert [e["field"] for e in errors] == ["resident.name"] and "nome" in errors[0]["message"]
    async with db.transaction() as session:
        assert await session.scalar(select(func.count()).select_from(node_applications)) == 0
