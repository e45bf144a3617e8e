"""Schedules over HTTP: residents in their own time, clerks, notaries' calendars, managers."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

import icalendar
from sqlalchemy import select

from common.clock import FixedClock
from hub.db import audit_events
from hub.seed import seed_database
from tests.helpers import service_app

NOW = datetime(2026, 3, 20, 8, 0, tzinfo=UTC)
DAY = "2026-03-30"  # a Monday after Europe moved its clocks; Milan 09:00 = 07:00 UTC


async def _hub(
    aiohttp_client: Any, url: str, tmp_path: Path
) -> tuple[Any, Any, dict[str, str], FixedClock]:
    clock = FixedClock(NOW)
    app, db = await service_app("hub", url, tmp_path, clock=clock)
    passwords = await seed_database(db, NOW)
    return await aiohttp_client(app), db, passwords, clock


async def _auth(client: Any, passwords: dict[str, str], username: str) -> dict[str, str]:
    resp = await client.post(
        "/api/session", json={"username": username, "password": passwords[username]}
    )
    assert resp.status == 200
    return {"Authorization": f"Bearer {(await resp.json())['token']}"}


async def _slots(client: Any, **params: str) -> list[dict[str, Any]]:
    query = {"branch": "MIL", "service": "notarization", "from": DAY, "to": DAY, **params}
    resp = await client.get("/api/schedules/slots", params=query)
    assert resp.status == 200, await resp.text()
    return (await resp.json())["slots"]


def _form(slot: dict[str, Any], **extra: Any) -> dict[str, Any]:
    return {
        "branch": "MIL",
        "service": "notarization",
        "staff": slot["staff"],
        "room": slot["room"],
        "start": slot["start"],
        "resident_name": "Wang Fang",
        "resident_zone": "Europe/Rome",
        **extra,
    }


async def test_resident_picks_a_slot_in_own_time_and_manages_it_by_reference(
    aiohttp_client, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    client, _db, _pw, _clock = await _hub(
        aiohttp_client, f"sqlite+aiosqlite:///{tmp_path / 'h.db'}", tmp_path
    )
    page = await client.get(
        "/schedules",
        params={
            "branch": "MIL",
            "service": "notarization",
            "from": DAY,
            "to": DAY,
            "tz": "America/New_York",
            "lang": "en",
        },
    )
    html = await page.text()
    assert page.status == 200
    assert "2026-03-30 03:00 America/New_York" in html  # the resident's own time
    assert "2026-03-30 09:00 Europe/Rome" in html and "2026-03-30 15:00" in html  # branch, Beijing
    slot = (await _slots(client, tz="America/New_York"))[0]
    assert slot["viewer_local"] == "2026-03-30T03:00:00-04:00"
    assert (
        slot["branch_local"] == "2026-03-30T09:00:00+02:00"
        and slot["hub_local"] == "2026-03-30T15:00:00+08:00"
    )

    booked = await client.post(
        "/schedules/book?lang=it",
        data={
            "branch": "MIL",
            "service": "notarization",
            "party": "1",
            "tz": "America/New_York",
            "slot": f"{slot['start']}|{slot['staff']}|{slot['room']}",
            "name": "Li Ming",
            "contact": "li@example.org",
        },
        allow_redirects=False,
    )
    assert booked.status == 303
    confirmation = await client.get(booked.headers["Location"] + "&lang=it")
    text = await confirmation.text()
    reference = booked.headers["Location"].split("?")[0].split("/")[-1]
    assert (
        reference in text and "Conserva questo codice" in text and "03:00 America/New_York" in text
    )
    again = await client.post(
        "/schedules/book?lang=en",
        data={
            "branch": "MIL",
            "service": "notarization",
            "slot": f"{slot['start']}|{slot['staff']}|{slot['room']}",
            "name": "Other",
            "tz": "UTC",
        },
    )
    assert again.status == 409 and "just been booked by someone else" in await again.text()

    ics = icalendar.Calendar.from_ical(
        await (await client.get(f"/api/schedules/bookings/{reference}/calendar.ics")).read()
    )
    event = next(iter(ics.walk("VEVENT")))
    assert str(event["UID"]) == f"booking-{reference}@qiaolink"
    assert event.decoded("DTSTART") == datetime.fromisoformat(slot["start"])
    assert event.decoded("DTSTAMP") == NOW and str(event["STATUS"]) == "CONFIRMED"

    later = (await _slots(client))[3]
    moved = await client.post(
        f"/api/schedules/bookings/{reference}/reschedule",
        json={"staff": later["staff"], "room": later["room"], "start": later["start"]},
    )
    assert moved.status == 200 and (await moved.json())["start"] == later["start"]
    ics = icalendar.Calendar.from_ical(
        await (await client.get(f"/api/schedules/bookings/{reference}/calendar.ics")).read()
    )
    event = next(iter(ics.walk("VEVENT")))
    assert str(event["UID"]) == f"booking-{reference}@qiaolink" and event.decoded("SEQUENCE") == 1
    assert event.decoded("DTSTART") == datetime.fromisoformat(later["start"])
    assert slot["start"] in {s["start"] for s in await _slots(client)}, "the old time is free again"

    cancelled = await client.post(f"/api/schedules/bookings/{reference}/cancel")
    assert (await cancelled.json())["status"] == "cancelled"
    # another device of the resident's: no language chosen on it, its browser asks for Chinese
    client.session.cookie_jar.clear()
    twice = await client.post(
        f"/api/schedules/bookings/{reference}/cancel", headers={"Accept-Language": "zh"}
    )
    assert twice.status == 409 and (await twice.json())["title"] == "此预约已取消。"
    missing = await client.get("/api/schedules/bookings/NOPE2345")
    assert missing.status == 404 and (await missing.json())["code"] == "schedules.no_booking"


async def test_bad_searches_get_clear_translated_errors(aiohttp_client, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    client, _db, _pw, _clock = await _hub(
        aiohttp_client, f"sqlite+aiosqlite:///{tmp_path / 'h.db'}", tmp_path
    )
    cases = [
        ({"tz": "Mars/Olympus"}, 422, "schedules.bad_zone", "未知时区：Mars/Olympus。"),
        (
            {"from": "2026-02-30"},
            422,
            "schedules.bad_date",
            "from 不是日期（2026-02-30）；请按 YYYY-MM-DD 填写。",
        ),
        ({"from": DAY, "to": "2026-03-29"}, 422, "schedules.empty_range", None),
        (
            {"from": "2026-06-01", "to": "2026-06-02"},
            422,
            "schedules.beyond_horizon",
            "最多可提前 60 天预约。",
        ),
        ({"branch": "WZ"}, 404, "schedules.no_branch", None),
        ({"service": "wedding"}, 422, "schedules.bad_service", None),
    ]
    for params, status, code, title in cases:
        query = {"branch": "MIL", "service": "notarization", "from": DAY, "to": DAY, **params}
        resp = await client.get(
            "/api/schedules/slots", params=query, headers={"Accept-Language": "zh"}
        )
        body = await resp.json()
        assert (resp.status, body["code"]) == (status, code), params
        if title:
            assert body["title"] == title
    page = await client.get(
        "/schedules",
        params={
            "branch": "MIL",
            "service": "notarization",
            "from": "2026-06-01",
            "to": "2026-06-02",
            "lang": "it",
        },
    )
    assert page.status == 422 and "al massimo con 60 giorni" in await page.text()
    holiday = await client.get(
        "/schedules",
        params={
            "branch": "MIL",
            "service": "notarization",
            "from": "2026-04-06",
            "to": "2026-04-06",
            "lang": "en",
        },
    )
    assert (
        holiday.status == 200 and "No free times in this range" in await holiday.text()
    )  # Easter Monday


async def test_clerks_notaries_and_managers_each_do_only_their_part(
    aiohttp_client, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    client, db, pw, clock = await _hub(
        aiohttp_client, f"sqlite+aiosqlite:///{tmp_path / 'h.db'}", tmp_path
    )
    slot = (await _slots(client))[0]
    assert (await client.post("/api/schedules/bookings", json=_form(slot))).status == 401
    clerk = await _auth(client, pw, "clerk.milan")
    jnb = (await _slots(client, branch="JNB"))[0]
    other = await client.post(
        "/api/schedules/bookings", json=_form(jnb, branch="JNB"), headers=clerk
    )
    assert other.status == 403 and (await other.json())["code"] == "schedules.other_branch"
    bad = await client.post(
        "/api/schedules/bookings", json=_form(slot, start="2026-03-30T07:00:00"), headers=clerk
    )
    assert bad.status == 422 and (await bad.json())["code"] == "request.invalid"
    made = await client.post(
        "/api/schedules/bookings",
        json=_form(slot, resident_contact="wang@example.org"),
        headers=clerk,
    )
    assert made.status == 201
    reference = (await made.json())["reference"]

    notary = await _auth(client, pw, "notary.wz")
    assert (
        await client.post("/api/schedules/bookings", json=_form(slot), headers=notary)
    ).status == 403
    feed = await client.get("/api/schedules/staff/notary.wz/calendar.ics", headers=notary)
    events = icalendar.Calendar.from_ical(await feed.read()).walk("VEVENT")
    assert [str(e["UID"]) for e in events] == [f"booking-{reference}@qiaolink"]
    assert (
        await client.get("/api/schedules/staff/mediator.wz/calendar.ics", headers=notary)
    ).status == 403
    day = await client.get("/schedules/my-day", params={"date": DAY, "lang": "en"}, headers=notary)
    html = await day.text()
    assert "My sessions on 2026-03-30 (Beijing time)" in html
    assert "15:00–15:30" in html and "09:00–09:30 Europe/Rome" in html and reference in html

    supervisor = await _auth(client, pw, "supervisor.wz")
    away = {
        "username": "notary.wz",
        "starts_at": "2026-03-30T10:00:00+02:00",
        "ends_at": "2026-03-30T12:00:00+02:00",
        "reason": "training",
    }
    assert (await client.post("/api/schedules/absences", json=away, headers=notary)).status == 403
    assert (
        await client.post(
            "/api/schedules/absences",
            json={**away, "ends_at": away["starts_at"]},
            headers=supervisor,
        )
    ).status == 422
    assert (
        await client.post("/api/schedules/absences", json=away, headers=supervisor)
    ).status == 201
    starts = {s["branch_local"][11:16] for s in await _slots(client)}
    assert "09:30" in starts and not starts & {"10:00", "11:30"}

    clock.advance(datetime.fromisoformat(slot["start"]) - NOW - timedelta(hours=23))
    supervisor = await _auth(client, pw, "supervisor.wz")
    sent = await client.post("/api/schedules/reminders/run", headers=supervisor)
    assert (await sent.json())["sent"] == 2
    log = await (
        await client.get("/schedules/notifications", params={"lang": "en"}, headers=supervisor)
    ).text()
    assert "wang@example.org" in log and "staff:notary.wz" in log and reference in log
    mine = await (
        await client.get(f"/schedules/bookings/{reference}", params={"lang": "en"})
    ).text()
    assert "One day before" in mine
    async with db.sessions() as session:
        actions = set((await session.scalars(select(audit_events.c.action))).all())
    assert {"schedules.booked", "schedules.absence_added", "schedules.reminders_sent"} <= actions


async def test_fifty_simultaneous_bookings_of_one_slot_one_winner(
    aiohttp_client, db_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    client, db, pw, _clock = await _hub(aiohttp_client, db_url, tmp_path)
    clerk = await _auth(client, pw, "clerk.milan")
    slot = (await _slots(client))[0]

    async def attempt(i: int) -> tuple[int, dict[str, Any]]:
        # half aim at the desk room, half at the mediation room: the notary is the contested one
        room = "MIL-DESK" if i % 2 else "MIL-MED"
        resp = await client.post(
            "/api/schedules/bookings",
            json=_form(slot, room=room, resident_name=f"R{i}"),
            headers=clerk,
        )
        return resp.status, await resp.json()

    results = await asyncio.gather(*(attempt(i) for i in range(50)))
    statuses = sorted(status for status, _ in results)
    assert statuses == [201] + [409] * 49, statuses
    assert {body["code"] for status, body in results if status == 409} == {"schedules.taken"}
    async with db.sessions() as session:
        actions = (await session.scalars(select(audit_events.c.action))).all()
    assert (
        actions.count("schedules.booked") == 1 and actions.count("schedules.booking_refused") == 49
    )
