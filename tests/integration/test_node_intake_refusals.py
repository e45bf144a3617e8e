"""What the clerk sees when the branch refuses an application before it leaves: a bad form, an
incomplete checklist, a 容缺 promise that is not allowed; and that nothing half-made is kept."""

from __future__ import annotations

import re
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import FormData
from sqlalchemy import func, insert, select

from common.i18n import translate
from common.settings import NodeSettings
from hub.catalogue.model import guides
from hub.catalogue.service import SHIPPED, read_catalogue
from overseas_node.app import create_app as create_node
from overseas_node.db import outbox_messages
from overseas_node.intake.forms import FIELD_MESSAGES
from overseas_node.intake.tables import catalogue_copy, node_applications
from overseas_node.seed import seed_database as seed_node
from tests.conftest import free_port
from tests.helpers import migrated_database, png_bytes, signed_in

HTML = {"Accept": "text/html"}


async def copy_catalogue(db: Any) -> None:
    """The branch's catalogue copy as a sync with the hub leaves it."""
    now = datetime.now(UTC)
    async with db.transaction() as session:
        for guide in guides(read_catalogue(SHIPPED)):
            row = {k: guide[k] for k in ("code", "category", "name_zh", "name_en")}
            await session.execute(
                insert(catalogue_copy).values(
                    **row, version=1, guide={**guide, "version": 1}, synced_at=now
                )
            )


async def clerk_at_branch(aiohttp_client: Any, db_url: str, data_dir: Path) -> tuple[Any, Any, str]:
    """The node (hub out of reach) with the clerk signed in through the form; the password."""
    db = await migrated_database(db_url, "overseas_node:migrations")
    passwords = await seed_node(db, datetime.now(UTC))
    await copy_catalogue(db)
    settings = NodeSettings(
        data_dir=data_dir,
        database_url=db_url,
        hub_url=f"http://127.0.0.1:{free_port()}",
        link_interval_s=0.2,
        link_timeout_s=0.5,
    )
    client = await aiohttp_client(create_node(settings, database=db))
    await sign_in_clerk(client, passwords["clerk.milan"])
    return client, db, passwords["clerk.milan"]


async def sign_in_clerk(client: Any, password: str) -> None:
    form = {"username": "clerk.milan", "password": password, "next": "/intake"}
    assert (await client.post("/signin", data=form)).status == 200


async def open_with_passport(client: Any, item_code: str, lang: str) -> str:
    """Open an application for a resident speaking ``lang``, the passport attached."""
    person = {"name": "Lin Wei", "document": "YA123456", "country": "IT", "lang": lang}
    opened = await client.post("/intake/open", data={"item_code": item_code, **person})
    number = str(opened.url.path.rsplit("/", 1)[-1])
    await attach(client, number, "passport")
    return number


async def attach(client: Any, number: str, material: str, trust: str = "B") -> Any:
    form = FormData()
    form.add_field("material", material)
    form.add_field("trust", trust)
    form.add_field("file", png_bytes(), filename="scan.png")
    return await client.post(f"/intake/{number}/materials?lang=it", data=form)


def visible(page: str) -> str:
    """The text a reader sees: tags and attributes left out."""
    return re.sub(r"<[^>]*>", " ", page)


async def count(db: Any, table: Any) -> int:
    async with db.sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def test_the_resident_form_is_checked_in_the_clerks_language(
    db_url: str, aiohttp_client: Any, tmp_path: Path
) -> None:
    client, db, _ = await clerk_at_branch(aiohttp_client, db_url, tmp_path)
    bad = {"item_code": "HR-005", "name": " ", "document": "E1", "country": "italy", "lang": "it"}
    refused = await client.post("/intake/open?lang=it", data=bad)
    page = await refused.text()
    assert refused.status == 422
    assert "Inserisca il nome del richiedente" in page
    assert "Inserisca il numero di passaporto: da 3 a 40" in page
    assert "paese di residenza con due lettere maiuscole" in page
    assert "Field required" not in page and "String should" not in page
    assert 'value="E1"' in page  # what the clerk typed stays in the form
    assert await count(db, node_applications) == 0

    ok = {**bad, "name": "Hu Li 胡丽", "document": "E7654321", "country": "IT"}
    opened = await client.post("/intake/open?lang=zh", data=ok)
    assert opened.status == 200 and opened.url.path.startswith("/intake/MIL-")
    page = await opened.text()
    async with db.sessions() as session:
        code = await session.scalar(select(node_applications.c.query_code))
    assert code and code in page and "申请人查询码" in page and "户籍证明开具" in page
    # the query code stays on the page: switching language keeps it
    again = await client.get(opened.url.path + "?lang=en", headers=HTML)
    assert code in await again.text()


async def test_an_incomplete_application_is_refused_and_a_promise_is_recorded(
    db_url: str, aiohttp_client: Any, tmp_path: Path
) -> None:
    client, db, _ = await clerk_at_branch(aiohttp_client, db_url, tmp_path)
    # HR-002 may be accepted with its non-essential "evidence" still to come (容缺受理)
    number = await open_with_passport(client, "HR-002", "it")

    refused = await client.post(f"/intake/{number}/submit?lang=it")
    page = await refused.text()
    assert refused.status == 422 and "Non inviata: mancano documenti" in page
    assert "Mancano ancora" in page and "Modulo di domanda" in page  # named, not coded
    assert "application_form" not in visible(page) and "passport" not in visible(page)
    assert await count(db, outbox_messages) == 0

    for material in ("hukou", "application_form"):
        assert (await attach(client, number, material)).status == 200
    no_date = await client.post(f"/intake/{number}/submit?lang=it", data={"later": "evidence"})
    assert no_date.status == 422 and "dopo oggi, entro 30 giorni" in await no_date.text()
    essential = await client.post(
        f"/intake/{number}/submit?lang=it", data={"later": "passport", "due": "2099-01-01"}
    )
    assert essential.status == 422  # not missing: no promise for it; evidence still is
    assert await count(db, outbox_messages) == 0

    due = (datetime.now(UTC) + timedelta(days=10)).date().isoformat()
    sent = await client.post(
        f"/intake/{number}/submit?lang=it", data={"later": "evidence", "due": due}
    )
    assert sent.status == 200 and "in attesa di invio" in await sent.text()
    async with db.sessions() as session:
        app = (await session.execute(select(node_applications))).one()
        payload = await session.scalar(select(outbox_messages.c.payload))
    assert [p["material"] for p in app.promises] == ["evidence"] and app.promises[0]["due"] == due
    assert '"promises"' in payload and '"evidence"' in payload
    receipt = await (await client.get(f"/intake/{number}/receipt", headers=HTML)).text()
    assert "Ricevuta della Sua domanda" in receipt and app.query_code in receipt  # resident: it
    assert "Prove a sostegno (entro il " + due in receipt and "evidence" not in visible(receipt)
    qr = await client.get(f"/intake/{number}/qr.svg")
    assert qr.status == 200 and qr.content_type == "image/svg+xml"


async def test_no_promise_where_the_item_does_not_allow_it(
    db_url: str, aiohttp_client: Any, tmp_path: Path
) -> None:
    client, db, _ = await clerk_at_branch(aiohttp_client, db_url, tmp_path)
    number = await open_with_passport(client, "HR-005", "zh")
    page = await (await client.get(f"/intake/{number}?lang=en", headers=HTML)).text()
    assert "promises to bring later" not in page  # HR-005 offers no 容缺
    tampered = await client.post(
        f"/intake/{number}/submit?lang=en", data={"later": "hukou", "due": "2099-01-01"}
    )
    assert tampered.status == 422 and "cannot be accepted with materials still to come" in (
        await tampered.text()
    )

    # an original uploaded without the check is a warning the clerk must confirm
    await attach(client, number, "hukou", trust="C")
    warned = await client.post(f"/intake/{number}/submit?lang=en")
    text = await warned.text()
    assert warned.status == 422 and "the hub may return it" in text
    assert "original not checked" in text and await count(db, outbox_messages) == 0
    confirmed = await client.post(f"/intake/{number}/submit?lang=en", data={"confirm": "yes"})
    assert confirmed.status == 200 and await count(db, outbox_messages) == 1


async def test_the_api_names_wrong_fields_in_the_callers_language(
    db_url: str, aiohttp_client: Any, tmp_path: Path
) -> None:
    client, db, password = await clerk_at_branch(aiohttp_client, db_url, tmp_path)
    headers = await signed_in(client, "clerk.milan", password)
    body = {"item_code": "HR-005", "resident": {"name": "Lin Wei", "country": "Italia"}}
    refused = await client.post(
        "/api/intake/applications", json=body, headers={**headers, "Accept-Language": "it"}
    )
    problem = await refused.json()
    said = {e["field"]: e["message"] for e in problem["errors"]}
    assert "Inserisca il paese di residenza" in said["resident.country"]
    assert refused.status == 422 and said == {
        "resident.document": translate("it", FIELD_MESSAGES["document"]),
        "resident.country": translate("it", FIELD_MESSAGES["country"]),
    }
    assert await count(db, node_applications) == 0
