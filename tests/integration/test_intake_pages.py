"""The clerk works the intake pages in a browser's way (forms, cookie, redirects), with the
hub out of reach; the resident follows the application on the hub's page."""

from __future__ import annotations

import re
from datetime import UTC, datetime
from pathlib import Path

from aiohttp import FormData
from sqlalchemy import insert

from common.settings import NodeSettings
from hub.catalogue.model import guides
from hub.catalogue.service import SHIPPED, read_catalogue
from overseas_node.app import create_app as create_node
from overseas_node.intake.tables import catalogue_copy
from overseas_node.seed import seed_database as seed_node
from tests.conftest import free_port
from tests.helpers import migrated_database, png_bytes

HTML = {"Accept": "text/html"}


async def test_clerk_takes_an_application_in_through_the_pages(
    aiohttp_client, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path}/node.sqlite3"
    db = await migrated_database(url, "overseas_node:migrations")
    passwords = await seed_node(db, datetime.now(UTC))
    async with db.transaction() as s:  # the catalogue copy as a sync would have left it
        for first in guides(read_catalogue(SHIPPED))[:6]:
            guide = {**first, "version": 1}
            await s.execute(
                insert(catalogue_copy).values(
                    code=guide["code"],
                    version=1,
                    category=guide["category"],
                    name_zh=guide["name_zh"],
                    name_en=guide["name_en"],
                    guide=guide,
                    synced_at=datetime.now(UTC),
                )
            )
    nowhere = f"http://127.0.0.1:{free_port()}"  # the hub cannot be reached
    client = await aiohttp_client(
        create_node(
            NodeSettings(
                data_dir=tmp_path,
                database_url=url,
                hub_url=nowhere,
                link_interval_s=0.1,
                link_timeout_s=0.5,
            ),
            database=db,
        )
    )

    first = await client.get("/intake?lang=it", headers=HTML, allow_redirects=False)
    assert first.status == 303 and first.headers["Location"].startswith("/signin?next=")
    wrong = await client.post(
        "/signin?lang=it", data={"username": "clerk.milan", "password": "nope", "next": "/intake"}
    )
    assert wrong.status == 401 and "Nome utente o password errati." in await wrong.text()
    signed = await client.post(
        "/signin",
        data={"username": "clerk.milan", "next": "/intake", "password": passwords["clerk.milan"]},
    )
    assert signed.status == 200 and signed.url.path == "/intake"

    page = await (await client.get("/intake?lang=zh", headers=HTML)).text()
    assert "受理" in page and "HR-005" in page

    opened = await client.post(
        "/intake/open",
        data={
            "item_code": "HR-005",
            "name": "Hu Li 胡丽",
            "document": "E7654321",
            "country": "IT",
            "lang": "it",
        },
    )
    detail = await opened.text()
    number = opened.url.path.rsplit("/", 1)[-1]
    code = re.search(
        r"[A-Z2-9]{8}", detail.split("query code")[-1] if "query code" in detail else detail
    )
    assert opened.status == 200 and number.startswith("MIL-") and code

    bad = FormData()
    bad.add_field("material", "passport")
    bad.add_field("trust", "B")
    bad.add_field("file", b"MZ\x90\x00not an image", filename="passport.png")
    refused = await client.post(f"/intake/{number}/materials?lang=en", data=bad)
    assert refused.status == 422 and "Only PDF, PNG and JPEG" in await refused.text()

    for material in ("passport", "hukou"):
        form = FormData()
        form.add_field("material", material)
        form.add_field("trust", "B")
        form.add_field("file", png_bytes(), filename=f"{material}.png")
        attached = await client.post(f"/intake/{number}/materials?lang=en", data=form)
        assert attached.status == 200
    text = await attached.text()  # back on the application's page, in the language chosen
    assert text.count("checked against original") == 2 and "已核验原件" not in text

    submitted = await client.post(f"/intake/{number}/submit")  # the choice is kept
    assert submitted.status == 200 and 'lang="en"' in await submitted.text()
    assert "Attach a material" not in await submitted.text()
    again = await client.post(f"/intake/{number}/submit?lang=en")
    assert again.status == 409 and "already on its way" in await again.text()

    listing = await (await client.get("/intake?lang=en", headers=HTML)).text()
    assert "Link to the hub: down" in listing and "1 waiting to be sent" in listing
