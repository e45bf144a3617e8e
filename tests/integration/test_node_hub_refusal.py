"""A correction the hub refuses: the clerk sees the officer's notice item by item, sees the
hub's refusal in their own language, fixes it and sends again; nothing is stuck, nothing lost."""

from __future__ import annotations

import asyncio
import shutil
from dataclasses import dataclass
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import select

from common.httpsig import load_or_create_key
from common.settings import HubSettings, NodeSettings
from hub.app import create_app as create_hub
from hub.seed import seed_database as seed_hub
from overseas_node.app import create_app as create_node
from overseas_node.db import outbox_messages
from overseas_node.intake.tables import node_applications
from overseas_node.seed import seed_database as seed_node
from tests.conftest import free_port
from tests.helpers import migrated_database, signed_in
from tests.integration.test_node_intake_refusals import (
    attach,
    open_with_passport,
    sign_in_clerk,
    visible,
)

HTML = {"Accept": "text/html"}


async def until(check: Any, seconds: float = 20) -> Any:
    loop = asyncio.get_running_loop()
    deadline = loop.time() + seconds
    while not (value := await check()):
        assert loop.time() < deadline, f"{check.__name__} never held"
        await asyncio.sleep(0.1)
    return value


@dataclass
class Linked:
    """A hub and the Milan node linked to it; the officer's API header; the node's database."""

    hub: Any  # a test client of the hub
    officer: dict[str, str]
    node: Any  # a test client of the node
    node_db: Any


async def linked_hub_and_node(
    db_url: str, aiohttp_server: Any, aiohttp_client: Any, tmp_path: Path
) -> Linked:
    """The hub (its own SQLite) and the node on ``db_url``, registered by key, the catalogue
    copied to the node."""
    hub_dir, node_dir, hub_port = tmp_path / "hub", tmp_path / "node", free_port()
    hub_url = f"sqlite+aiosqlite:///{tmp_path}/hub.sqlite3"
    hub_db = await migrated_database(hub_url, "hub:migrations")
    staff = await seed_hub(hub_db, datetime.now(UTC))
    hub_settings = HubSettings(data_dir=hub_dir, database_url=hub_url, outbox_relay_enabled=False)
    hub = create_hub(hub_settings, database=hub_db)
    load_or_create_key(node_dir / "keys" / "node-MIL.pem")
    (hub_dir / "keys").mkdir(parents=True, exist_ok=True)
    shutil.copy(node_dir / "keys" / "node-MIL.pub.pem", hub_dir / "keys")
    await aiohttp_server(hub, port=hub_port)
    hub_client = await aiohttp_client(hub)
    officer = await signed_in(hub_client, "officer.wz", staff["officer.wz"])
    node_db = await migrated_database(db_url, "overseas_node:migrations")
    node_settings = NodeSettings(
        data_dir=node_dir,
        database_url=db_url,
        hub_url=f"http://127.0.0.1:{hub_port}",
        link_interval_s=0.1,
        link_timeout_s=2.0,
    )
    client = await aiohttp_client(create_node(node_settings, database=node_db))

    async def catalogue_copied() -> bool:
        return len(await (await client.get("/api/catalogue")).json()) == 59

    await until(catalogue_copied)
    return Linked(hub_client, officer, client, node_db)


async def test_a_refused_correction_is_shown_fixed_and_sent_again(
    db_url: str, aiohttp_server: Any, aiohttp_client: Any, tmp_path: Path
) -> None:
    linked = await linked_hub_and_node(db_url, aiohttp_server, aiohttp_client, tmp_path)
    hub_client, officer, node, node_db = linked.hub, linked.officer, linked.node, linked.node_db
    clerks = await seed_node(node_db, datetime.now(UTC))
    await sign_in_clerk(node, clerks["clerk.milan"])
    number = await open_with_passport(node, "HR-005", "it")
    await attach(node, number, "hukou", trust="C")
    sent = await node.post(f"/intake/{number}/submit", data={"confirm": "yes"})
    assert sent.status == 200

    async def row() -> Any:
        async with node_db.sessions() as session:
            return (
                await session.execute(
                    select(node_applications).where(node_applications.c.number == number)
                )
            ).one()

    async def at_hub_as(state: str) -> bool:
        app = await row()
        return app.state == "delivered" and app.hub_state == state

    async def delivered() -> bool:
        return await at_hub_as("submitted")

    await until(delivered)
    returned = await hub_client.post(
        f"/api/applications/{number}/return",
        json={"invalid": {"passport": "Passaporto scaduto il 2026-10-01"}},
        headers=officer,
    )
    assert returned.status == 200, await returned.text()

    async def notice_arrived() -> bool:
        return await at_hub_as("correction")

    await until(notice_arrived)
    page = await (await node.get(f"/intake/{number}?lang=it", headers=HTML)).text()
    assert "Comunicazione unica delle integrazioni" in page
    assert "Passaporto scaduto il 2026-10-01" in page  # the officer's reason, item by item
    table = visible(page.split('class="checklist"')[1].split("</table>")[0])
    assert table.count("da sostituire") == 2 and "originale non verificato" in table

    # the clerk replaces the booklet only and sends anyway: the hub refuses the correction
    await attach(node, number, "hukou")
    warned = await node.post(f"/intake/{number}/submit?lang=it")
    assert warned.status == 422 and "Passaporto" in visible(await warned.text())
    assert (await node.post(f"/intake/{number}/submit", data={"confirm": "yes"})).status == 200

    async def refused() -> Any:
        app = await row()
        return app if app.state == "refused" else None

    app = await until(refused)
    assert app.refusal["code"] == "application.still_deficient" and app.rounds == 1
    page = await (await node.get(f"/intake/{number}?lang=it", headers=HTML)).text()
    assert "La sede centrale ha rifiutato l&#39;integrazione" in page
    assert "Nulla è andato perso" in page and 'id="attach"' in page  # it can be fixed here
    assert "sostituito" in visible(page)  # the booklet sent in the refused message is kept
    listing = await (await node.get("/intake?lang=it", headers=HTML)).text()
    assert "Rifiutate dalla sede centrale" in listing and number in listing
    assert "in attesa di invio" not in visible(listing.split("<table")[1])

    await attach(node, number, "passport")
    again = await node.post(f"/intake/{number}/submit?lang=it")
    assert again.status == 200 and "Rifiutate" not in await again.text()
    await until(delivered)
    at_hub = await (await hub_client.get(f"/api/applications/{number}", headers=officer)).json()
    held = {(m["material"], m["trust"]) for m in at_hub["materials"] if m["status"] == "held"}
    assert at_hub["state"] == "submitted" and held == {("passport", "B"), ("hukou", "B")}
    async with node_db.sessions() as session:
        states = (await session.scalars(select(outbox_messages.c.state))).all()
    assert sorted(states) == ["dead", "delivered", "delivered"]  # the refused one, kept
    app = await row()
    assert app.refusal is None and app.rounds == 2
