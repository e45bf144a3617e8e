"""Pages: a resident picks a slot in their own time; a notary sees the day in Beijing time."""

from __future__ import annotations

import json
from datetime import UTC, datetime, timedelta
from typing import Any

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import select

from common.access import PUBLIC
from common.errors import REFUSALS, Refusal
from common.i18n import translate
from common.pages import viewer_zone
from common.service import CLOCK, DB, PAGES
from common.web import LOCALE, RouteTable, current_principal
from hub.accounts.tables import Office
from hub.schedules import service
from hub.schedules.model import ServiceType, zone_named
from hub.schedules.routes import MANAGERS, STAFF_CALENDAR, BookingForm, book_for, query_from
from hub.schedules.tables import Booking, NotificationLog
from hub.zone import hub_zone

__all__ = ["page_routes"]

page_routes = RouteTable()
TAGS = ("pages", "schedules")


def _message(request: web.Request, exc: Refusal) -> str:
    return translate(request.get(LOCALE, "zh"), exc.message, **exc.params)


async def _branches(request: web.Request) -> list[Office]:
    async with request.app[DB].sessions() as session:
        rows = await session.scalars(
            select(Office).where(Office.kind == "branch").order_by(Office.code)
        )
        return list(rows.all())


@page_routes.get("/schedules", access=PUBLIC, summary="Pick a session in your own time", tags=TAGS)
async def search_page(request: web.Request) -> web.Response:
    return await _search(request)


async def _search(request: web.Request, error: str = "", status: int = 200) -> web.Response:
    zone = viewer_zone(request, "")
    found: list[Any] = []
    if request.query.get("from") and not error:
        try:
            branch, query = query_from(request)
            found = await service.search(
                request.app[DB], query, branch=branch, now=request.app[CLOCK].now()
            )
        except REFUSALS as exc:
            error, status = _message(request, exc), exc.status
    today = request.app[CLOCK].now().astimezone(zone).date()
    return request.app[PAGES].render(
        request,
        "schedules/search.html",
        status=status,
        branches=await _branches(request),
        services=list(ServiceType),
        form={
            "branch": request.query.get("branch", "MIL"),
            "service": request.query.get("service", "notarization"),
            "from": request.query.get("from", str(today + timedelta(days=1))),
            "to": request.query.get("to", str(today + timedelta(days=7))),
            "party": request.query.get("party", "1"),
        },
        slots=found,
        searched=bool(request.query.get("from")),
        error=error,
        hub_zone=hub_zone(),
    )


@page_routes.post(
    "/schedules/book", access=PUBLIC, summary="A resident books the slot picked", tags=TAGS
)
async def book_page(request: web.Request) -> web.StreamResponse:
    data = await request.post()
    start, _, rest = str(data.get("slot", "")).partition("|")
    staff, _, room = rest.partition("|")
    try:
        form = BookingForm.model_validate(
            {
                "branch": data.get("branch"),
                "service": data.get("service"),
                "staff": staff,
                "room": room,
                "start": start,
                "party_size": data.get("party") or 1,
                "resident_name": data.get("name"),
                "resident_contact": data.get("contact", ""),
                "resident_zone": data.get("tz") or "UTC",
            }
        )
        booking = await book_for(request, form, "resident")
    except ValidationError:
        return await _search(
            request,
            translate(request.get(LOCALE, "zh"), "Some fields are missing or invalid."),
            422,
        )
    except REFUSALS as exc:
        return await _search(request, _message(request, exc), exc.status)
    raise web.HTTPSeeOther(f"/schedules/bookings/{booking.reference}?tz={booking.resident_zone}")


@page_routes.get(
    "/schedules/bookings/{reference}",
    access=PUBLIC,
    summary="A booking and its reminders",
    tags=TAGS,
)
async def booking_page(request: web.Request) -> web.Response:
    async with request.app[DB].sessions() as session:
        booking = await service.booking_by_reference(session, request.match_info["reference"])
        branch = await session.get(Office, booking.branch_code)
        log = (
            await session.scalars(
                select(NotificationLog)
                .where(NotificationLog.booking_id == booking.id)
                .order_by(NotificationLog.at)
            )
        ).all()
    assert branch is not None
    return request.app[PAGES].render(
        request,
        "schedules/booking.html",
        booking=booking,
        branch=branch,
        branch_zone=zone_named(branch.timezone),
        hub_zone=hub_zone(),
        log=[(entry, json.loads(entry.body)) for entry in log],
    )


@page_routes.get(
    "/schedules/my-day",
    access=STAFF_CALENDAR,
    summary="My sessions of one day, Beijing time",
    tags=TAGS,
)
async def my_day(request: web.Request) -> web.Response:
    principal = current_principal(request)
    now = request.app[CLOCK].now()
    raw = request.query.get("date")
    try:
        day = datetime.fromisoformat(raw).date() if raw else now.astimezone(hub_zone()).date()
    except ValueError:
        day = now.astimezone(hub_zone()).date()
    lo = datetime(day.year, day.month, day.day, tzinfo=hub_zone()).astimezone(UTC)
    async with request.app[DB].sessions() as session:
        rows = await service.staff_bookings(session, principal.subject, lo, lo + timedelta(days=1))
        zones = {
            o.code: zone_named(o.timezone) for o in (await session.scalars(select(Office))).all()
        }
    return request.app[PAGES].render(
        request,
        "schedules/my_day.html",
        day=day,
        rows=[(b, zones[b.branch_code]) for b in rows],
        hub_zone=hub_zone(),
    )


@page_routes.get(
    "/schedules/notifications", access=MANAGERS, summary="Reminders sent, newest first", tags=TAGS
)
async def notifications_page(request: web.Request) -> web.Response:
    async with request.app[DB].sessions() as session:
        rows = (
            await session.execute(
                select(NotificationLog, Booking)
                .join(Booking, Booking.id == NotificationLog.booking_id)
                .order_by(NotificationLog.at.desc(), NotificationLog.id.desc())
                .limit(200)
            )
        ).all()
    return request.app[PAGES].render(request, "schedules/notifications.html", rows=rows)
