"""Reminders before a session, written in the booking's transaction and sent by a small job.

``notifications`` is an outbox of its own for now: rows are committed with the booking and a
relay (:func:`send_due`) delivers them through a :class:`Channel`. When the shared outbox lands,
``plan_reminders`` writes there instead and ``send_due`` becomes its handler; nothing else moves.
"""

from __future__ import annotations

import json
from datetime import datetime, timedelta
from typing import Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.db import Database
from hub.schedules.tables import Booking, Notification, NotificationLog

__all__ = ["LEADS", "Channel", "LogChannel", "cancel_reminders", "plan_reminders", "send_due"]

LEADS = {"reminder_24h": timedelta(hours=24), "reminder_1h": timedelta(hours=1)}


def _recipients(booking: Booking) -> list[str]:
    resident = booking.resident_contact or f"resident:{booking.reference}"
    return [resident, f"staff:{booking.staff_username}"]


def plan_reminders(session: AsyncSession, booking: Booking, now: datetime) -> None:
    """Add the reminders still ahead of ``now`` for the resident and the staff member."""
    for kind, lead in LEADS.items():
        due = booking.starts_at - lead
        if due <= now:
            continue
        session.add_all(
            Notification(
                booking_id=booking.id, kind=kind, recipient=who, due_at=due, status="pending"
            )
            for who in _recipients(booking)
        )


async def cancel_reminders(session: AsyncSession, booking_id: int) -> None:
    await session.execute(
        update(Notification)
        .where(Notification.booking_id == booking_id, Notification.status == "pending")
        .values(status="cancelled")
    )


class Channel(Protocol):
    """Where a reminder goes; the log is the channel every deployment has."""

    name: str

    async def deliver(self, session: AsyncSession, note: Notification, booking: Booking) -> str: ...


class LogChannel:
    name = "log"

    async def deliver(self, session: AsyncSession, note: Notification, booking: Booking) -> str:
        return json.dumps(
            {
                "kind": note.kind,
                "reference": booking.reference,
                "service": booking.service,
                "branch": booking.branch_code,
                "starts_at": booking.starts_at.isoformat(),
            },
            sort_keys=True,
        )


async def send_due(db: Database, now: datetime, channel: Channel | None = None) -> int:
    """Deliver every pending reminder due by ``now``; each is sent once, whoever else runs."""
    channel = channel or LogChannel()
    sent = 0
    async with db.transaction() as session:
        due = (
            await session.execute(
                select(Notification, Booking)
                .join(Booking, Booking.id == Notification.booking_id)
                .where(Notification.status == "pending", Notification.due_at <= now)
                .order_by(Notification.due_at, Notification.id)
            )
        ).all()
        for note, booking in due:
            taken = await session.execute(
                update(Notification)
                .where(Notification.id == note.id, Notification.status == "pending")
                .values(status="sent", sent_at=now)
            )
            if taken.rowcount != 1:  # type: ignore[attr-defined]
                continue
            body = await channel.deliver(session, note, booking)
            session.add(
                NotificationLog(
                    notification_id=note.id,
                    booking_id=booking.id,
                    at=now,
                    recipient=note.recipient,
                    channel=channel.name,
                    body=body,
                )
            )
            sent += 1
    return sent
