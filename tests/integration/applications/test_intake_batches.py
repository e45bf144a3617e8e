"""Applications opened at the same moment share one commit: each is answered only once it is
stored with its event and audit entry, and one bad or unlucky order never costs the others."""

from __future__ import annotations

import asyncio
from collections.abc import Iterator
from itertools import count
from typing import Any

import pytest
from sqlalchemy import func, select

from common.service import DB
from hub.applications.tables import Application, ApplicationEvent
from hub.db import audit_events
from tests.integration.applications.conftest import Hub

RESIDENT = {"name": "Hu Xiaoming", "document": "E1234567", "country": "IT", "zone": "Europe/Rome"}


async def _open_together(hub: Hub, items: list[str]) -> list[Any]:
    async def one(item: str) -> Any:
        resp = await hub.client.post(
            "/api/applications",
            json={"item_code": item, "resident": {**RESIDENT, "lang": "it"}},
            headers={**hub.clerk, "Accept-Language": "it"},
        )
        return resp.status, await resp.json()

    return await asyncio.gather(*(one(item) for item in items))


async def _counts(hub: Hub) -> tuple[int, int, int]:
    db = hub.client.app[DB]
    async with db.sessions() as session:
        apps = await session.scalar(select(func.count()).select_from(Application))
        events = await session.scalar(select(func.count()).select_from(ApplicationEvent))
        audits = await session.scalar(
            select(func.count())
            .select_from(audit_events)
            .where(audit_events.c.action == "application.opened")
        )
    return int(apps or 0), int(events or 0), int(audits or 0)


async def test_orders_sent_together_are_each_stored_whole_and_a_bad_one_is_refused_alone(
    hub: Hub,
) -> None:
    before = await _counts(hub)
    items = ["HR-005"] * 12 + ["NO-SUCH"] + ["RE-002"] * 11
    answers = await _open_together(hub, items)
    refused = [body for status, body in answers if status == 404]
    opened = [body for status, body in answers if status == 201]
    assert len(refused) == 1 and len(opened) == 23
    assert refused[0]["code"] == "catalogue.unknown_item"
    assert refused[0]["title"] == "Nessun servizio NO-SUCH."
    assert len({body["number"] for body in opened}) == 23
    after = await _counts(hub)
    assert [a - b for a, b in zip(after, before, strict=True)] == [23, 23, 23]
    for body in opened[:3]:  # each answer names a stored draft its query code opens
        progress = await hub.client.get(
            f"/api/progress/{body['number']}", params={"code": body["query_code"]}
        )
        assert progress.status == 200, await progress.text()


async def test_a_number_drawn_twice_costs_that_order_a_retry_and_no_other_order_anything(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    taken = (await hub.open("HR-005"))["number"]
    fresh = count()

    def numbers() -> Iterator[str]:
        yield taken  # the first draw meets a number already stored: the whole batch fails
        while True:
            yield f"MIL-20260210-{next(fresh):010X}"

    drawn = numbers()
    monkeypatch.setattr("hub.applications.service.new_number", lambda branch, now: next(drawn))
    before = await _counts(hub)
    answers = await _open_together(hub, ["HR-005"] * 10)
    assert [status for status, _ in answers] == [201] * 10
    numbers_given = {body["number"] for _, body in answers}
    assert len(numbers_given) == 10 and taken not in numbers_given
    after = await _counts(hub)
    assert [a - b for a, b in zip(after, before, strict=True)] == [10, 10, 10]
