"""How schedules read query parameters and show slots and bookings as JSON."""

from __future__ import annotations

from datetime import date
from typing import Any

from common.errors import N_, Invalid
from hub.schedules.model import ServiceType, Slot, zone_named
from hub.schedules.tables import Booking

__all__ = ["booking_json", "parse_day", "parse_service", "slot_json"]


def parse_day(text: str | None, name: str) -> date:
    try:
        return date.fromisoformat(text or "")
    except ValueError:
        raise Invalid(
            "schedules.bad_date",
            N_("{name} is not a date ({value}); write it as YYYY-MM-DD."),
            params={"name": name, "value": text or ""},
        ) from None


def parse_service(text: str | None) -> ServiceType:
    try:
        return ServiceType(text or "")
    except ValueError:
        raise Invalid(
            "schedules.bad_service",
            N_("Unknown service {value}; choose notarization, mediation or consultation."),
            params={"value": text or ""},
        ) from None


def slot_json(slot: Slot, viewer: str) -> dict[str, Any]:
    return {
        "start": slot.start.isoformat(),
        "end": slot.end.isoformat(),
        "staff": slot.staff,
        "room": slot.room,
        "branch_local": slot.branch_start.isoformat(),
        "hub_local": slot.hub_start.isoformat(),
        "viewer_local": slot.start.astimezone(zone_named(viewer)).isoformat(),
    }


def booking_json(booking: Booking) -> dict[str, Any]:
    resident = zone_named(booking.resident_zone)
    return {
        "reference": booking.reference,
        "service": booking.service,
        "branch": booking.branch_code,
        "staff": booking.staff_username,
        "room": booking.room_code,
        "status": booking.status,
        "start": booking.starts_at.isoformat(),
        "end": booking.ends_at.isoformat(),
        "resident_local": booking.starts_at.astimezone(resident).isoformat(),
        "party_size": booking.party_size,
    }
