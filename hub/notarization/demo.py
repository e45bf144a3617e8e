"""Demo notarizations: residents of the Milan branch with notarization applications, booked with
the demo notary on the first day from today that has free slots, so the notary's day page has
something to open. Bookings go through the schedules' own booking (offered slots only)."""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any
from zoneinfo import ZoneInfo

from sqlalchemy.ext.asyncio import AsyncSession

from common.access import Principal, Role
from common.audit import record
from common.db import Database
from hub.applications.service import Resident, open_application
from hub.db import audit_events
from hub.schedules.model import ServiceType, SlotQuery
from hub.schedules.service import SessionChoice, book, search

__all__ = ["RESIDENTS", "seed_notary_day"]

NOTARY, BRANCH, CLERK = "notary.wz", "MIL", "clerk.milan"
# name, passport, the service item (NO-004 power of attorney, NO-002 kinship), language
RESIDENTS = [
    ("Hu Xiaoming 胡小明", "E1234567", "NO-004", "it"),
    ("Lin Mei 林梅", "E7654321", "NO-002", "zh"),
]


async def seed_notary_day(db: Database, now: datetime) -> dict[str, Any]:
    """Book each demo resident with the notary (every other free slot of the first day that has
    enough); returns what a demo user needs: per resident, application number, query code and
    booking reference. Nothing is booked twice: the booking refuses a taken slot."""
    zone = ZoneInfo("Europe/Rome")
    first = now.astimezone(zone).date()
    query = SlotQuery(ServiceType.NOTARIZATION, first, first + timedelta(days=14), staff=NOTARY)
    slots = await search(db, query, branch=BRANCH, now=now)
    days = sorted({s.branch_start.date() for s in slots})
    day = next(
        (d for d in days if sum(s.branch_start.date() == d for s in slots) >= 2 * len(RESIDENTS)),
        None,
    )
    if day is None:
        return {}
    chosen = [s for s in slots if s.branch_start.date() == day][::2][: len(RESIDENTS)]
    clerk = Principal(CLERK, Role.CLERK, BRANCH)

    async def audit(session: AsyncSession, action: str, subject: str, detail: Any) -> object:
        at = now
        return await record(
            session, audit_events, at=at, actor=clerk, action=action, subject=subject, detail=detail
        )

    seeded: dict[str, Any] = {}
    for (name, passport, item, lang), slot in zip(RESIDENTS, chosen, strict=False):
        async with db.transaction() as session:
            app, code = await open_application(
                session,
                item_code=item,
                resident=Resident(name, passport, "IT", "Europe/Rome", lang),
                actor=clerk,
                branch=BRANCH,
                now=now,
            )
        choice = SessionChoice(BRANCH, ServiceType.NOTARIZATION, slot.staff, slot.room, slot.start)
        booking = await book(
            db,
            audit,
            choice,
            resident_name=name,
            resident_contact="",
            resident_zone="Europe/Rome",
            actor=CLERK,
            now=now,
        )
        seeded[name] = {
            "application": app.number,
            "query_code": code,
            "booking": booking.reference,
            "starts_at": booking.starts_at.isoformat(),
        }
    return seeded
