"""Stored schedules: hours, shifts, availability, rooms, bookings and the claims that guard them.

``booking_claims`` holds one row per (resource, 15-minute unit) a live booking covers, for the
person and for the room; its primary key is what makes a double booking impossible, on SQLite and
PostgreSQL alike and under any number of concurrent requests.
"""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import Date, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from common.db import UTCDateTime
from hub.db import Base

__all__ = [
    "Booking",
    "BookingClaim",
    "HubShift",
    "Notification",
    "NotificationLog",
    "OfficeClosure",
    "OfficeHours",
    "Room",
    "StaffAbsence",
    "StaffAvailability",
]


class OfficeHours(Base):
    __tablename__ = "office_hours"

    id: Mapped[int] = mapped_column(primary_key=True)
    office_code: Mapped[str] = mapped_column(ForeignKey("offices.code"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)  # 0 = Monday, local time of the office
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)


class OfficeClosure(Base):
    """A day one office is shut beyond its country's public holidays (a patron saint's day)."""

    __tablename__ = "office_closures"
    __table_args__ = (UniqueConstraint("office_code", "day"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    office_code: Mapped[str] = mapped_column(ForeignKey("offices.code"))
    day: Mapped[date] = mapped_column(Date)
    reason: Mapped[str] = mapped_column(String(120))


class HubShift(Base):
    """The hub's desk for one branch, in the hub's local time (14:00-22:00 Beijing for Milan)."""

    __tablename__ = "hub_shifts"

    id: Mapped[int] = mapped_column(primary_key=True)
    hub_code: Mapped[str] = mapped_column(ForeignKey("offices.code"))
    branch_code: Mapped[str] = mapped_column(ForeignKey("offices.code"), index=True)
    weekday: Mapped[int] = mapped_column(Integer)
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)


class StaffAvailability(Base):
    """When a notary or mediator works, in their own zone; ``branch_code`` NULL serves all."""

    __tablename__ = "staff_availability"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("staff.username"), index=True)
    branch_code: Mapped[str | None] = mapped_column(ForeignKey("offices.code"), nullable=True)
    timezone: Mapped[str] = mapped_column(String(64))
    weekday: Mapped[int] = mapped_column(Integer)
    start_minute: Mapped[int] = mapped_column(Integer)
    end_minute: Mapped[int] = mapped_column(Integer)


class StaffAbsence(Base):
    __tablename__ = "staff_absences"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(ForeignKey("staff.username"), index=True)
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    reason: Mapped[str] = mapped_column(String(200))


class Room(Base):
    __tablename__ = "rooms"

    code: Mapped[str] = mapped_column(String(32), primary_key=True)
    office_code: Mapped[str] = mapped_column(ForeignKey("offices.code"), index=True)
    name: Mapped[str] = mapped_column(String(120))
    capacity: Mapped[int] = mapped_column(Integer)


class Booking(Base):
    __tablename__ = "bookings"

    id: Mapped[int] = mapped_column(primary_key=True)
    reference: Mapped[str] = mapped_column(String(16), unique=True)
    service: Mapped[str] = mapped_column(String(32))
    branch_code: Mapped[str] = mapped_column(ForeignKey("offices.code"), index=True)
    staff_username: Mapped[str] = mapped_column(ForeignKey("staff.username"), index=True)
    room_code: Mapped[str] = mapped_column(ForeignKey("rooms.code"))
    starts_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    ends_at: Mapped[datetime] = mapped_column(UTCDateTime)
    party_size: Mapped[int] = mapped_column(Integer)
    resident_name: Mapped[str] = mapped_column(String(120))
    resident_contact: Mapped[str] = mapped_column(String(200))
    resident_zone: Mapped[str] = mapped_column(String(64))
    status: Mapped[str] = mapped_column(String(16))  # booked | cancelled
    sequence: Mapped[int] = mapped_column(Integer)  # iCalendar SEQUENCE: +1 per change
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    updated_at: Mapped[datetime] = mapped_column(UTCDateTime)


class BookingClaim(Base):
    __tablename__ = "booking_claims"

    resource: Mapped[str] = mapped_column(String(80), primary_key=True)  # staff:… or room:…
    unit_start: Mapped[datetime] = mapped_column(UTCDateTime, primary_key=True)
    booking_id: Mapped[int] = mapped_column(
        ForeignKey("bookings.id", ondelete="CASCADE"), index=True
    )


class Notification(Base):
    """A message due at a time, written in the booking's transaction (an outbox of reminders).

    The seam to the shared outbox: rows here are what a relay would pick up; ``send_due`` is
    the relay for now and delivers into :class:`NotificationLog`.
    """

    __tablename__ = "notifications"

    id: Mapped[int] = mapped_column(primary_key=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    kind: Mapped[str] = mapped_column(String(32))  # reminder_24h | reminder_1h
    recipient: Mapped[str] = mapped_column(String(200))
    due_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
    status: Mapped[str] = mapped_column(String(16))  # pending | sent | cancelled
    sent_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class NotificationLog(Base):
    __tablename__ = "notification_log"

    id: Mapped[int] = mapped_column(primary_key=True)
    notification_id: Mapped[int] = mapped_column(ForeignKey("notifications.id"), unique=True)
    booking_id: Mapped[int] = mapped_column(ForeignKey("bookings.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    recipient: Mapped[str] = mapped_column(String(200))
    channel: Mapped[str] = mapped_column(String(16))
    body: Mapped[str] = mapped_column(Text)
