"""iCalendar files for one booking or one person's calendar (RFC 5545, times in UTC)."""

from __future__ import annotations

from collections.abc import Iterable
from datetime import datetime, timedelta

from icalendar import Alarm, Calendar, Event

from hub.schedules.tables import Booking

__all__ = ["calendar_file", "event_uid"]

REMINDER = timedelta(hours=1)
PRODID = "-//Qiaolink//Schedules//EN"
SUMMARY = {
    "notarization": "Remote notarization · 远程公证",
    "mediation": "Remote mediation · 远程调解",
    "consultation": "Legal and policy consultation · 法律政策咨询",
}


def event_uid(booking: Booking) -> str:
    """Stable across changes, so a calendar program updates the event instead of adding one."""
    return f"booking-{booking.reference}@qiaolink"


def _event(booking: Booking, stamp: datetime) -> Event:
    event = Event()
    event.add("uid", event_uid(booking))
    event.add("dtstamp", stamp)
    event.add("dtstart", booking.starts_at)
    event.add("dtend", booking.ends_at)
    event.add("sequence", booking.sequence)
    event.add("summary", SUMMARY.get(booking.service, booking.service))
    event.add("location", f"{booking.branch_code} · {booking.room_code}")
    event.add("description", f"Reference {booking.reference} · {booking.staff_username}")
    cancelled = booking.status == "cancelled"
    event.add("status", "CANCELLED" if cancelled else "CONFIRMED")
    if not cancelled:
        alarm = Alarm()
        alarm.add("action", "DISPLAY")
        alarm.add("description", SUMMARY.get(booking.service, booking.service))
        alarm.add("trigger", -REMINDER)
        event.add_component(alarm)
    return event


def calendar_file(bookings: Iterable[Booking], *, stamp: datetime, name: str) -> bytes:
    """A VCALENDAR with one VEVENT per booking; ``stamp`` (the clock's now) is each DTSTAMP."""
    calendar = Calendar()
    calendar.add("prodid", PRODID)
    calendar.add("version", "2.0")
    calendar.add("calscale", "GREGORIAN")
    calendar.add("method", "PUBLISH")
    calendar.add("x-wr-calname", name)
    for booking in bookings:
        calendar.add_component(_event(booking, stamp))
    return bytes(calendar.to_ical())
