"""Booking against the seeded desks, on SQLite and PostgreSQL: claims, moves, reminders."""

from __future__ import annotations

from dataclasses import replace
from datetime import UTC, date, datetime, timedelta
from typing import Any

import pytest
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import Database
from common.errors import Conflict, Invalid
from hub.db import audit_events
from hub.schedules import service
from hub.schedules.model import ServiceType, SlotQuery
from hub.schedules.reminders import send_due
from hub.schedules.tables import BookingClaim, Notification, NotificationLog
from hub.seed import seed_database
from tests.helpers import migrated_database

NOW = datetime(2026, 3, 20, 8, 0, tzinfo=UTC)
MONDAY = date(2026, 3, 30)


async def _recorder(
    session: AsyncSession, action: str, subject: str, detail: dict[str, Any]
) -> None:
    from common.audit import record

    await record(
        session, audit_events, at=NOW, actor="test", action=action, subject=subject, detail=detail
    )


async def _db(url: str) -> Database:
    db = await migrated_database(url, "hub:migrations")
    await seed_database(db, NOW)
    return db


def _choice(slot, **kw) -> service.SessionChoice:  # type: ignore[no-untyped-def]
    return service.SessionChoice(
        "MIL", ServiceType.NOTARIZATION, slot.staff, slot.room, slot.start, **kw
    )


async def _book(db: Database, slot) -> Any:  # type: ignore[no-untyped-def]
    return await service.book(
        db,
        _recorder,
        _choice(slot),
        resident_name="Wang Fang",
        resident_contact="wang@example.org",
        resident_zone="Europe/Rome",
        actor="clerk.milan",
        now=NOW,
    )


async def test_seeded_branches_in_four_zones_offer_their_desks(db_url: str) -> None:
    db = await _db(db_url)
    try:
        for branch, notary, local_open in [
            ("MIL", "notary.wz", "09:00"),
            ("JNB", "notary.wz", "08:30"),
            ("SAO", "notary.night", "09:00"),
            ("CCS", "notary.night", "08:00"),
        ]:
            query = SlotQuery(ServiceType.NOTARIZATION, MONDAY, MONDAY)
            slots = await service.search(db, query, branch=branch, now=NOW)
            assert slots, branch
            assert (
                slots[0].staff == notary and slots[0].branch_start.strftime("%H:%M") == local_open
            )
        mediation = SlotQuery(ServiceType.MEDIATION, MONDAY, MONDAY, party_size=4)
        rooms = {s.room for s in await service.search(db, mediation, branch="CCS", now=NOW)}
        assert rooms == {"CCS-MED"}
        with pytest.raises(Exception) as missing:
            await service.search(db, mediation, branch="WZ", now=NOW)
        assert getattr(missing.value, "code", "") == "schedules.no_branch"
    finally:
        await db.close()


async def test_book_move_cancel_with_claims_reminders_and_audit(db_url: str) -> None:
    db = await _db(db_url)
    try:
        query = SlotQuery(ServiceType.NOTARIZATION, MONDAY, MONDAY)
        slots = await service.search(db, query, branch="MIL", now=NOW)
        booking = await _book(db, slots[0])
        after = await service.search(db, query, branch="MIL", now=NOW)
        assert slots[0].start not in {s.start for s in after if s.staff == "notary.wz"}
        with pytest.raises(Conflict) as taken:
            await _book(db, slots[0])
        assert taken.value.code == "schedules.taken"
        with pytest.raises(Invalid) as nowhere:
            await _book(db, replace(slots[0], start=slots[0].start.replace(hour=20)))
        assert nowhere.value.code == "schedules.not_offered"

        moved = await service.reschedule(
            db, _recorder, booking.reference, _choice(slots[4]), now=NOW
        )
        assert moved.starts_at == slots[4].start and moved.sequence == 1
        again = await _book(db, slots[0])  # the old time is free again
        with pytest.raises(Conflict):
            await service.reschedule(db, _recorder, again.reference, _choice(slots[4]), now=NOW)
        await service.cancel(db, _recorder, booking.reference, now=NOW)
        with pytest.raises(Conflict) as gone:
            await service.cancel(db, _recorder, booking.reference, now=NOW)
        assert gone.value.code == "schedules.cancelled"

        async with db.sessions() as session:
            claims = await session.scalar(select(func.count()).select_from(BookingClaim))
            pending = (
                await session.scalars(
                    select(Notification.recipient).where(Notification.status == "pending")
                )
            ).all()
            actions = (await session.scalars(select(audit_events.c.action))).all()
        assert claims == 4  # the remaining booking: two units each for the notary and the room
        assert sorted(pending) == [
            "staff:notary.wz",
            "staff:notary.wz",
            "wang@example.org",
            "wang@example.org",
        ]
        assert actions.count("schedules.booked") == 2 and "schedules.cancelled" in actions
        assert (
            actions.count("schedules.booking_refused") == 2 and "schedules.rescheduled" in actions
        )

        # the job sends the 24-hour reminders once, then the one-hour ones
        assert await send_due(db, slots[0].start - timedelta(hours=23)) == 2
        assert await send_due(db, slots[0].start - timedelta(hours=23)) == 0
        assert await send_due(db, slots[0].start) == 2
        async with db.sessions() as session:
            log = (await session.scalars(select(NotificationLog))).all()
        assert {entry.recipient for entry in log} == {"wang@example.org", "staff:notary.wz"}
    finally:
        await db.close()
