"""Loading desks, searching slots, booking, rescheduling and cancelling: load → decide → commit."""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from datetime import UTC, date, datetime, timedelta
from typing import Any

from sqlalchemy import delete, insert, or_, select
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import Database
from common.errors import N_, Conflict, Invalid, NotFound
from hub.accounts.tables import Office, Staff
from hub.calendars.service import published_years
from hub.schedules import model
from hub.schedules.reminders import cancel_reminders, plan_reminders
from hub.schedules.tables import (
    Booking,
    BookingClaim,
    HubShift,
    OfficeClosure,
    OfficeHours,
    Room,
    StaffAbsence,
    StaffAvailability,
)

__all__ = [
    "HORIZON_DAYS",
    "BookingStep",
    "Recorder",
    "SessionChoice",
    "book",
    "booking_by_reference",
    "cancel",
    "load_desk",
    "reschedule",
    "search",
    "staff_bookings",
]

HORIZON_DAYS = 60
# Records one decision in the caller's transaction: (session, action, subject, detail).
Recorder = Callable[[AsyncSession, str, str, dict[str, Any]], Awaitable[object]]
# A further step in a booking's own transaction (see ``book``).
BookingStep = Callable[[AsyncSession, Booking], Awaitable[object]]
_ALPHABET = "23456789ABCDEFGHJKMNPQRSTUVWXYZ"


@dataclass(frozen=True)
class SessionChoice:
    """What a resident or clerk picked from the offered slots."""

    branch: str
    service: model.ServiceType
    staff: str
    room: str
    start: datetime
    party_size: int = 1


def _weekly(rows: Sequence[Any]) -> model.WeeklyHours:
    return model.WeeklyHours(tuple((r.weekday, r.start_minute, r.end_minute) for r in rows))


async def _office(session: AsyncSession, code: str) -> Office:
    office = await session.get(Office, code)
    if office is None:
        raise NotFound("schedules.no_branch", N_("No such branch: {code}."), params={"code": code})
    return office


async def _calendar(
    session: AsyncSession,
    office: Office,
    hours: model.WeeklyHours,
    first: date,
    last: date,
    zone: str | None = None,
) -> model.Calendar:
    published = await published_years(session, office.country, first, last)
    off, makeup = model.country_days(office.country, first, last, published)
    return model.Calendar(zone or office.timezone, hours, off, makeup)


async def _branch_calendar(
    session: AsyncSession, branch: Office, first: date, last: date
) -> model.Calendar:
    where = OfficeHours.office_code == branch.code
    hours = (await session.scalars(select(OfficeHours).where(where))).all()
    closed = select(OfficeClosure.day).where(OfficeClosure.office_code == branch.code)
    calendar = await _calendar(session, branch, _weekly(hours), first, last)
    extra = frozenset((await session.scalars(closed)).all())
    return model.Calendar(
        calendar.zone, calendar.hours, calendar.days_off | extra, calendar.makeup_days
    )


async def _hub_shift(
    session: AsyncSession, branch: Office, first: date, last: date
) -> model.Calendar:
    where = HubShift.branch_code == branch.code
    shifts = (await session.scalars(select(HubShift).where(where))).all()
    if not shifts:
        raise NotFound(
            "schedules.no_shift",
            N_("The hub has no shift for branch {code}."),
            params={"code": branch.code},
        )
    hub = await _office(session, shifts[0].hub_code)
    return await _calendar(session, hub, _weekly(shifts), first, last)


async def load_desk(
    session: AsyncSession, branch_code: str, first: date, last: date, *, busy: bool = True
) -> model.DeskSchedule:
    """The branch, its hub shift, eligible staff, rooms and (optionally) bookings in range."""
    branch = await _office(session, branch_code)
    if branch.kind != "branch":
        raise NotFound(
            "schedules.no_branch", N_("No such branch: {code}."), params={"code": branch_code}
        )
    wide_first, wide_last = first - timedelta(days=2), last + timedelta(days=2)
    staff = await _staff(session, branch_code, wide_first, wide_last)
    rooms = (await session.scalars(select(Room).where(Room.office_code == branch_code))).all()
    return model.DeskSchedule(
        branch_code,
        await _branch_calendar(session, branch, wide_first, wide_last),
        await _hub_shift(session, branch, wide_first, wide_last),
        tuple(staff),
        tuple(model.Room(r.code, r.capacity) for r in rooms),
        await _busy(session, branch_code, staff, wide_first, wide_last) if busy else {},
    )


async def _staff(
    session: AsyncSession, branch_code: str, first: date, last: date
) -> list[model.StaffSchedule]:
    rows = (
        await session.execute(
            select(StaffAvailability, Staff.role, Office)
            .join(Staff, Staff.username == StaffAvailability.username)
            .join(Office, Office.code == Staff.office_code)
            .where(
                or_(
                    StaffAvailability.branch_code.is_(None),
                    StaffAvailability.branch_code == branch_code,
                )
            )
            .order_by(StaffAvailability.username, StaffAvailability.id)
        )
    ).all()
    people: dict[str, tuple[str, Office, list[StaffAvailability]]] = {}
    for availability, role, office in rows:
        people.setdefault(availability.username, (role, office, []))[2].append(availability)
    lo, hi = _utc_bounds(first, last)
    absences = (
        await session.scalars(
            select(StaffAbsence).where(
                StaffAbsence.username.in_(list(people)),
                StaffAbsence.starts_at < hi,
                StaffAbsence.ends_at > lo,
            )
        )
    ).all()
    out = []
    for username, (role, office, slots) in people.items():
        zone = slots[0].timezone
        calendar = await _calendar(session, office, _weekly(slots), first, last, zone=zone)
        away = tuple((a.starts_at, a.ends_at) for a in absences if a.username == username)
        out.append(model.StaffSchedule(username, role, calendar, away))
    return out


def _utc_bounds(first: date, last: date) -> tuple[datetime, datetime]:
    lo = datetime(first.year, first.month, first.day, tzinfo=UTC)
    hi = datetime(last.year, last.month, last.day, tzinfo=UTC) + timedelta(days=1)
    return lo, hi


async def _busy(
    session: AsyncSession,
    branch_code: str,
    staff: Sequence[model.StaffSchedule],
    first: date,
    last: date,
) -> dict[str, list[tuple[datetime, datetime]]]:
    """Live bookings in range: the person's anywhere, the rooms' at this branch."""
    lo, hi = _utc_bounds(first, last)
    usernames = [p.username for p in staff]
    rows = (
        await session.scalars(
            select(Booking).where(
                Booking.status == "booked",
                Booking.starts_at < hi,
                Booking.ends_at > lo,
                or_(Booking.branch_code == branch_code, Booking.staff_username.in_(usernames)),
            )
        )
    ).all()
    busy: dict[str, list[tuple[datetime, datetime]]] = {}
    for b in rows:
        busy.setdefault(model.staff_key(b.staff_username), []).append((b.starts_at, b.ends_at))
        if b.branch_code == branch_code:
            busy.setdefault(model.room_key(b.room_code), []).append((b.starts_at, b.ends_at))
    return busy


async def search(
    db: Database, query: model.SlotQuery, *, branch: str, now: datetime
) -> list[model.Slot]:
    async with db.sessions() as session:
        desk = await load_desk(session, branch, query.first_day, query.last_day)
    return model.find_slots(desk, query, now=now, horizon_days=HORIZON_DAYS)


async def _check_offered(session: AsyncSession, choice: SessionChoice, now: datetime) -> None:
    if choice.start <= now or choice.start > now + timedelta(days=HORIZON_DAYS + 1):
        raise Invalid(
            "schedules.not_bookable_time",
            N_("Sessions can be booked from now up to {days} days ahead."),
            params={"days": HORIZON_DAYS},
        )
    day = choice.start.date()
    desk = await load_desk(
        session, choice.branch, day - timedelta(days=1), day + timedelta(days=1), busy=False
    )
    offered = model.is_offered(
        desk,
        choice.service,
        staff=choice.staff,
        room=choice.room,
        start=choice.start,
        party_size=choice.party_size,
    )
    if not offered:
        raise Invalid(
            "schedules.not_offered",
            N_("That time is not offered for this person and room; please search again."),
        )


async def _claim(session: AsyncSession, booking: Booking) -> None:
    """One row per unit for the person and the room; a taken unit fails the whole transaction."""
    units = model.claim_units(booking.starts_at, booking.ends_at)
    resources = (model.staff_key(booking.staff_username), model.room_key(booking.room_code))
    await session.execute(
        insert(BookingClaim),
        [
            {"resource": r, "unit_start": u, "booking_id": booking.id}
            for r in resources
            for u in units
        ],
    )


def _taken() -> Conflict:
    return Conflict(
        "schedules.taken",
        N_("This time has just been booked by someone else; please pick another slot."),
    )


async def book(
    db: Database,
    record: Recorder,
    choice: SessionChoice,
    *,
    resident_name: str,
    resident_contact: str,
    resident_zone: str,
    actor: str,
    now: datetime,
    then: BookingStep | None = None,
) -> Booking:
    """Book an offered slot; exactly one of any number of racing requests gets it.

    ``then`` runs in the booking's transaction once the slot is claimed, for a domain that keeps
    its own record of the session (a consultation): if it fails, nothing is booked.
    """
    model.zone_named(resident_zone)
    try:
        async with db.transaction() as session:
            await _check_offered(session, choice, now)
            booking = Booking(
                reference="".join(secrets.choice(_ALPHABET) for _ in range(8)),
                service=choice.service.value,
                branch_code=choice.branch,
                staff_username=choice.staff,
                room_code=choice.room,
                starts_at=choice.start,
                ends_at=choice.start + timedelta(minutes=choice.service.minutes),
                party_size=choice.party_size,
                resident_name=resident_name,
                resident_contact=resident_contact,
                resident_zone=resident_zone,
                status="booked",
                sequence=0,
                created_by=actor,
                created_at=now,
                updated_at=now,
            )
            session.add(booking)
            await session.flush()
            await _claim(session, booking)
            plan_reminders(session, booking, now)
            await record(session, "schedules.booked", booking.reference, _detail(booking))
            if then is not None:
                await then(session, booking)
    except IntegrityError:
        await _refused(db, record, choice)
        raise _taken() from None
    return booking


async def _refused(db: Database, record: Recorder, choice: SessionChoice) -> None:
    async with db.transaction() as session:
        detail = {"staff": choice.staff, "room": choice.room, "start": choice.start.isoformat()}
        await record(session, "schedules.booking_refused", choice.branch, detail)


def _detail(booking: Booking) -> dict[str, Any]:
    return {
        "service": booking.service,
        "branch": booking.branch_code,
        "staff": booking.staff_username,
        "room": booking.room_code,
        "starts_at": booking.starts_at.isoformat(),
        "ends_at": booking.ends_at.isoformat(),
    }


async def booking_by_reference(session: AsyncSession, reference: str) -> Booking:
    booking = await session.scalar(select(Booking).where(Booking.reference == reference.upper()))
    if booking is None:
        raise NotFound(
            "schedules.no_booking",
            N_("No booking has the reference {reference}."),
            params={"reference": reference},
        )
    return booking


async def reschedule(
    db: Database, record: Recorder, reference: str, choice: SessionChoice, *, now: datetime
) -> Booking:
    """Move a booking: the old claims are released and the new taken in one transaction."""
    try:
        async with db.transaction() as session:
            booking = await _live(session, reference)
            choice = SessionChoice(
                booking.branch_code,
                model.ServiceType(booking.service),
                choice.staff,
                choice.room,
                choice.start,
                booking.party_size,
            )
            await _check_offered(session, choice, now)
            before = _detail(booking)
            await session.execute(delete(BookingClaim).where(BookingClaim.booking_id == booking.id))
            booking.staff_username, booking.room_code = choice.staff, choice.room
            booking.starts_at = choice.start
            booking.ends_at = choice.start + timedelta(minutes=choice.service.minutes)
            booking.sequence += 1
            booking.updated_at = now
            await session.flush()
            await _claim(session, booking)
            await cancel_reminders(session, booking.id)
            plan_reminders(session, booking, now)
            await record(
                session,
                "schedules.rescheduled",
                booking.reference,
                {"from": before, "to": _detail(booking)},
            )
    except IntegrityError:
        await _refused(db, record, choice)
        raise _taken() from None
    return booking


async def _live(session: AsyncSession, reference: str) -> Booking:
    booking = await booking_by_reference(session, reference)
    if booking.status != "booked":
        raise Conflict("schedules.cancelled", N_("This booking has been cancelled."))
    return booking


async def cancel(db: Database, record: Recorder, reference: str, *, now: datetime) -> Booking:
    async with db.transaction() as session:
        booking = await _live(session, reference)
        if booking.starts_at <= now:
            raise Conflict("schedules.started", N_("A session that has begun cannot be cancelled."))
        await session.execute(delete(BookingClaim).where(BookingClaim.booking_id == booking.id))
        booking.status = "cancelled"
        booking.sequence += 1
        booking.updated_at = now
        await cancel_reminders(session, booking.id)
        await record(session, "schedules.cancelled", booking.reference, _detail(booking))
    return booking


async def staff_bookings(
    session: AsyncSession, username: str, lo: datetime, hi: datetime
) -> list[Booking]:
    """One person's bookings, live and cancelled, starting in ``[lo, hi)``."""
    rows = await session.scalars(
        select(Booking)
        .where(Booking.staff_username == username, Booking.starts_at >= lo, Booking.starts_at < hi)
        .order_by(Booking.starts_at)
    )
    return list(rows.all())


async def require_staff(session: AsyncSession, username: str) -> Staff:
    staff = await session.scalar(select(Staff).where(Staff.username == username))
    if staff is None:
        raise NotFound(
            "schedules.no_staff",
            N_("No staff member is called {username}."),
            params={"username": username},
        )
    return staff
