"""Load the records a report needs, filtered, and hand them to the pure model."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from hub.applications.tables import Application, Rating
from hub.catalogue.tables import ServiceItem
from hub.complaints.model import running_deadline, steps_on_time
from hub.complaints.service import timeline
from hub.complaints.tables import Complaint
from hub.consultation import model as consultation
from hub.consultation.service import shown_state
from hub.consultation.service import timeline as consultation_timeline
from hub.consultation.tables import Consultation
from hub.mediation.tables import MediationCase, Participant
from hub.notarization.model import KINDS, ActType
from hub.notarization.tables import notarial_acts
from hub.schedules.tables import Booking
from hub.statistics.model import (
    AppRecord,
    ComplaintRecord,
    ConsultationRecord,
    ItemHistory,
    MediationRecord,
    NotarizationRecord,
    Report,
    compute,
)
from hub.zone import hub_date, hub_zone

__all__ = ["Filters", "report"]


@dataclass(frozen=True)
class Filters:
    branch: str | None = None
    country: str | None = None
    item: str | None = None
    start: date | None = None  # inclusive, Beijing dates
    end: date | None = None  # inclusive

    def in_period(self, day: date) -> bool:
        return (self.start is None or day >= self.start) and (self.end is None or day <= self.end)


async def _applications(session: AsyncSession, f: Filters) -> list[AppRecord]:
    query = select(Application).where(Application.submitted_at.is_not(None))
    if f.branch:
        query = query.where(Application.branch == f.branch)
    if f.country:
        query = query.where(Application.resident_country == f.country)
    if f.item:
        query = query.where(Application.item_code == f.item)
    apps = [a for a in (await session.scalars(query)).all() if a.submitted_at is not None]
    apps = [a for a in apps if a.submitted_at and f.in_period(hub_date(a.submitted_at))]
    ids = [a.id for a in apps]
    ratings = {
        r.application_id: r.level
        for r in (await session.scalars(select(Rating).where(Rating.application_id.in_(ids)))).all()
    }
    zero = {
        (i.code, i.version): bool(i.guide.get("zero_visit"))
        for i in (await session.scalars(select(ServiceItem))).all()
    }
    return [
        AppRecord(
            item=a.item_code,
            branch=a.branch,
            country=a.resident_country,
            state=a.state,
            received=hub_date(a.submitted_at),
            accepted=a.accepted_at is not None,
            completed=hub_date(a.completed_at) if a.completed_at else None,
            deadline=a.deadline,
            zero_visit=zero.get((a.item_code, a.item_version), False),
            rating=ratings.get(a.id),
        )
        for a in apps
        if a.submitted_at is not None
    ]


async def _items(session: AsyncSession, f: Filters) -> list[ItemHistory]:
    query = select(ServiceItem).order_by(ServiceItem.code, ServiceItem.version)
    if f.item:
        query = query.where(ServiceItem.code == f.item)
    first: dict[str, ServiceItem] = {}
    now: dict[str, ServiceItem] = {}
    for row in (await session.scalars(query)).all():
        first.setdefault(row.code, row)
        if row.current:
            now[row.code] = row
    return [
        ItemHistory(
            code,
            len(first[code].guide["materials"]),
            len(current.guide["materials"]),
            first[code].promised_days,
            current.promised_days,
        )
        for code, current in sorted(now.items())
    ]


async def _complaints(session: AsyncSession, f: Filters, today: date) -> list[ComplaintRecord]:
    query = select(Complaint)
    if f.branch:
        query = query.where(Complaint.branch == f.branch)
    if f.country:
        query = query.where(Complaint.complainant_country == f.country)
    found = []
    for c in (await session.scalars(query)).all():
        if not f.in_period(hub_date(c.lodged_at)):
            continue
        t = timeline(c)
        done, on_time = steps_on_time(t)
        running = running_deadline(t)
        overdue = running is not None and today > running.due
        found.append(
            ComplaintRecord(c.branch, c.complainant_country, c.state, done, on_time, overdue)
        )
    return found


async def _consultations(
    session: AsyncSession, f: Filters, today: date, now: datetime
) -> list[ConsultationRecord]:
    """Consultations whose session was booked for a day of the period; cancelled ones left out."""
    query = select(Consultation, Booking).join(
        Booking, Booking.reference == Consultation.booking_reference
    )
    if f.branch:
        query = query.where(Consultation.branch == f.branch)
    if f.country:
        query = query.where(Consultation.resident_country == f.country)
    found = []
    for c, booking in (await session.execute(query)).all():
        if shown_state(c, booking) == "cancelled" or not f.in_period(hub_date(booking.starts_at)):
            continue
        t = consultation_timeline(c, booking)
        done, on_time = consultation.steps_on_time(t)
        overdue = consultation.overdue(t, now, today)
        found.append(
            ConsultationRecord(
                c.branch, c.resident_country, c.topic, c.state, done, on_time, overdue, c.rating
            )
        )
    return found


async def _notarizations(session: AsyncSession, f: Filters) -> list[NotarizationRecord]:
    """Acts opened on a day of the period; the service item filter picks the act's type."""
    acts = notarial_acts.c
    query = select(
        acts.branch, Application.resident_country, acts.act_type, acts.state, acts.created_at,
        acts.issued_at, acts.fee_cents,
    ).join(Application, Application.number == acts.application_number)  # fmt: skip
    if f.branch:
        query = query.where(acts.branch == f.branch)
    if f.country:
        query = query.where(Application.resident_country == f.country)
    if f.item:
        types = [t.value for t, kind in KINDS.items() if kind.item_code == f.item]
        query = query.where(acts.act_type.in_(types))
    found = []
    for branch, country, act_type, state, opened, issued, fee in (
        await session.execute(query)
    ).all():
        if not f.in_period(hub_date(opened)):
            continue
        item = KINDS[ActType(act_type)].item_code
        found.append(
            NotarizationRecord(
                branch, country, act_type, item, state, hub_date(opened),
                hub_date(issued) if issued else None, fee,
            )
        )  # fmt: skip
    return found


async def _mediations(session: AsyncSession, f: Filters) -> list[MediationRecord]:
    """Every case of the office (or with a party living in the country); the model counts
    what happened in the period. Mediation is not tied to a service item."""
    query = select(MediationCase)
    if f.branch:
        query = query.where(MediationCase.office == f.branch)
    if f.country:
        parties = select(Participant.case_id).where(
            Participant.role == "party", Participant.country == f.country
        )
        query = query.where(MediationCase.id.in_(parties))
    return [
        MediationRecord(
            c.office,
            hub_date(c.opened_at),
            hub_date(c.settled_at) if c.settled_at else None,
            hub_date(c.closed_at) if c.closed_at else None,
        )
        for c in (await session.scalars(query)).all()
    ]


def _end_of(day: date) -> datetime:
    return datetime.combine(day + timedelta(days=1), time(), hub_zone()).astimezone(UTC)


async def report(
    session: AsyncSession, filters: Filters, today: date, now: datetime | None = None
) -> Report:
    """The figures; ``now`` (default: the end of ``today``) decides which sessions are late."""
    return compute(
        await _applications(session, filters),
        await _items(session, filters),
        await _complaints(session, filters, today),
        today,
        await _consultations(session, filters, today, now or _end_of(today)),
        await _notarizations(session, filters),
        await _mediations(session, filters),
        (filters.start, filters.end),
    )
