"""The catalogue: 59 items with full guides in every category, versioned for applications."""

from __future__ import annotations

import json

from hub.catalogue.service import SHIPPED, get_item, publish
from tests.helpers import png_bytes

from .conftest import Hub

GUIDE_FIELDS = {
    "code",
    "name_zh",
    "name_en",
    "category",
    "department_zh",
    "legal_basis",
    "steps",
    "materials",
    "fee_cny",
    "statutory_days",
    "promised_days",
    "needs_video",
    "zero_visit",
    "contact",
}
MATERIAL_FIELDS = {
    "code",
    "name_zh",
    "name_en",
    "description",
    "formats",
    "original_required",
    "sample",
    "common_mistakes",
}


async def test_the_first_batch_covers_every_category_with_full_guides(hub: Hub) -> None:
    items = await (await hub.client.get("/api/catalogue")).json()
    assert len(items) >= 59
    assert {i["category"] for i in items} == set(json.loads(SHIPPED.read_text())["categories"])
    for item in items:
        guide = await (await hub.client.get(f"/api/catalogue/{item['code']}")).json()
        assert GUIDE_FIELDS <= set(guide), item["code"]
        assert guide["promised_days"] <= guide["statutory_days"]
        for material in guide["materials"]:
            assert MATERIAL_FIELDS <= set(material), (item["code"], material["code"])
    notarial = await (
        await hub.client.get("/api/catalogue", params={"category": "notarization"})
    ).json()
    assert all(i["needs_video"] for i in notarial)
    bad = await hub.client.get("/api/catalogue", params={"category": "astrology"})
    assert bad.status == 422


async def test_an_application_keeps_the_guide_it_was_opened_under(hub: Hub) -> None:
    number = (await hub.open("HR-005"))["number"]
    app = hub.client.server.app
    from common.service import DB

    async with app[DB].transaction() as session:
        old = await get_item(session, "HR-005")
        shorter = {
            **old.guide,
            "promised_days": 2,
            "materials": [m for m in old.guide["materials"] if m["code"] == "passport"],
        }
        await publish(session, shorter, hub.clock.now())
    current = await (await hub.client.get("/api/catalogue/HR-005")).json()
    assert current["version"] == 2 and current["promised_days"] == 2
    first = await (await hub.client.get("/api/catalogue/HR-005?version=1")).json()
    assert first["version"] == 1 and not first["current"]
    view = await hub.view(number)
    assert view["item_version"] == 1
    # the application still needs what version 1 asked for: the household register too
    await hub.attach(number, "passport", "B", png_bytes())
    await hub.act(number, "submit", headers=hub.clerk)
    refused = await hub.act(number, "accept")
    assert refused.status == 409 and "hukou" in (await refused.json())["title"]
