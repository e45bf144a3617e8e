"""The officer's decisions as the application page sends them (form posts): accept forwards in
the same transaction, return sends one notice with a reason per material, reject keeps its
reason; bad input is refused in the viewer's language and leaves nothing stored."""

from __future__ import annotations

from typing import Any

from sqlalchemy import func, select

from common.service import DB
from hub.applications.tables import ApplicationEvent, DeficiencyNotice
from hub.db import audit_events, outbox_messages
from hub.govnet.tables import govnet_cases
from tests.helpers import pdf_bytes, png_bytes

from .conftest import Hub

PAGE = {"Accept": "text/html"}


async def _submitted(hub: Hub, item: str = "HR-001") -> tuple[str, str]:
    opened = await hub.open(item)
    number = opened["number"]
    for material in ("passport", "residence_permit"):
        assert (await hub.attach(number, material, "B", png_bytes())).status == 201
    assert (await hub.attach(number, "application_form", "C", pdf_bytes(), "f.pdf")).status == 201
    assert (await hub.act(number, "submit", headers=hub.clerk)).status == 200
    return number, opened["query_code"]


async def _post(hub: Hub, path: str, data: Any, lang: str = "en") -> Any:
    return await hub.client.post(
        f"{path}?lang={lang}", data=data, headers={**hub.officer, **PAGE}, allow_redirects=False
    )


async def _count(hub: Hub, query: Any) -> int:
    async with hub.client.app[DB].sessions() as session:
        return int(await session.scalar(query) or 0)


async def test_accept_from_the_page_forwards_in_the_same_transaction(hub: Hub) -> None:
    number, _ = await _submitted(hub)
    resp = await _post(hub, f"/queue/{number}/accept", {"decision": "accept"})
    assert resp.status == 303 and resp.headers["Location"].startswith(f"/queue/{number}?done=")
    page = await hub.client.get(resp.headers["Location"], headers={**hub.officer, **PAGE})
    text = await page.text()
    assert "Accepted and queued for the provincial platform." in text
    assert "waiting to be delivered to the platform" in text
    view = await hub.view(number)
    assert view["state"] == "forwarded"
    assert [e["to"] for e in view["events"]][-2:] == ["accepted", "forwarded"]
    # the platform's message and the case record were written with the acceptance
    assert (
        await _count(
            hub,
            select(func.count())
            .select_from(outbox_messages)
            .where(outbox_messages.c.key == f"govnet:{number}"),
        )
        == 1
    )
    assert (
        await _count(
            hub,
            select(func.count())
            .select_from(govnet_cases)
            .where(govnet_cases.c.reference == number),
        )
        == 1
    )
    actions = await _count(
        hub,
        select(func.count())
        .select_from(audit_events)
        .where(
            audit_events.c.subject == f"application:{number}",
            audit_events.c.action.in_(["application.accepted", "application.forwarded"]),
        ),
    )
    assert actions == 2


async def test_return_sends_one_notice_with_each_reason_and_the_node_reads_them(hub: Hub) -> None:
    number, code = await _submitted(hub)
    form = {
        "material": ["passport", "application_form"],
        "reason_passport": "expired in 2025",
        "reason_application_form": "not signed",
        "reason_residence_permit": "",
    }
    resp = await _post(hub, f"/queue/{number}/return", form, lang="it")
    assert resp.status == 303
    page = await (
        await hub.client.get(resp.headers["Location"], headers={**hub.officer, **PAGE})
    ).text()
    assert "Passaporto" in page and "expired in 2025" in page
    # what the node polls: every material, its problem and the officer's reason
    progress = await hub.client.get(f"/api/progress/{number}", headers={"X-Query-Code": code})
    notice = (await progress.json())["deficiency_notices"][0]
    assert [(i["material"], i["problem"], i["detail"]) for i in notice["items"]] == [
        ("passport", "invalid", "expired in 2025"),
        ("application_form", "invalid", "not signed"),
    ]
    assert notice["items"][0]["name_it"] == "Passaporto"
    assert (await hub.view(number))["state"] == "correction"


async def test_reject_keeps_its_reason_for_the_resident(hub: Hub) -> None:
    number, code = await _submitted(hub)
    resp = await _post(hub, f"/queue/{number}/reject", {"reason": "Not a resident of the county"})
    assert resp.status == 303
    progress = await (
        await hub.client.get(f"/progress?number={number}&code={code}&lang=en", headers=PAGE)
    ).text()
    assert "Not a resident of the county" in progress and "rejected" in progress


async def test_bad_decisions_are_refused_in_the_viewers_language_and_store_nothing(
    hub: Hub,
) -> None:
    number, _ = await _submitted(hub)
    before = (
        await _count(hub, select(func.count()).select_from(ApplicationEvent)),
        await _count(hub, select(func.count()).select_from(audit_events)),
    )
    # a ticked material without its reason
    resp = await _post(hub, f"/queue/{number}/return", {"material": "passport"}, lang="it")
    assert resp.status == 422
    text = await resp.text()
    assert "Indichi il motivo per ciascun materiale" in text, text
    # nothing to correct: every material present and checked
    resp = await _post(hub, f"/queue/{number}/return", {}, lang="zh")
    assert resp.status == 409 and "材料齐全有效" in await resp.text()
    # a rejection without a reason
    resp = await _post(hub, f"/queue/{number}/reject", {"reason": "  "}, lang="en")
    assert resp.status == 422 and "A rejection states at least one reason." in await resp.text()
    # materials to come where the item allows none
    resp = await _post(hub, f"/queue/{number}/accept", {"pending": "application_form"}, lang="en")
    assert resp.status == 422
    assert "cannot be accepted with materials still to come" in await resp.text()
    after = (
        await _count(hub, select(func.count()).select_from(ApplicationEvent)),
        await _count(hub, select(func.count()).select_from(audit_events)),
    )
    assert after == before
    assert await _count(hub, select(func.count()).select_from(DeficiencyNotice)) == 0
    view = await hub.view(number)
    assert view["state"] == "submitted"
    assert all(m["invalid_reason"] is None for m in view["materials"])


async def test_queue_names_items_and_filters(hub: Hub) -> None:
    first, _ = await _submitted(hub, "HR-001")
    opened = await hub.open("RE-002")
    page = await hub.client.get("/queue?lang=it", headers={**hub.officer, **PAGE})
    text = await page.text()
    assert "Duplicato del libretto di registrazione" in text and ">HR-001<" not in text
    assert f'href="/queue/{first}"' in text and opened["number"] not in text  # drafts wait
    only = await (
        await hub.client.get("/queue?item=RE-002&lang=en", headers={**hub.officer, **PAGE})
    ).text()
    assert first not in only and "Nothing is waiting." in only
    bad = await hub.client.get("/queue?state=bogus&lang=en", headers={**hub.officer, **PAGE})
    assert bad.status == 422 and "The filter state is not valid." in await bad.text()
