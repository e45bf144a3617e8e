"""Schedules over HTTP: slot search, bookings by clerks or by reference, staff calendars."""

from __future__ import annotations

from datetime import timedelta
from functools import partial

from aiohttp import web
from pydantic import AwareDatetime, BaseModel, Field

from common.access import PUBLIC, Principal, Role, Scope, allow
from common.errors import N_, Forbidden, Invalid
from common.names import PersonName
from common.service import CLOCK, DB, audit
from common.web import RouteTable, current_principal, parse_body
from hub.schedules import service
from hub.schedules.ics import calendar_file
from hub.schedules.model import ServiceType, SlotQuery, zone_named
from hub.schedules.reminders import send_due
from hub.schedules.schemas import booking_json, parse_day, parse_service, slot_json
from hub.schedules.tables import Booking, StaffAbsence

__all__ = ["api_routes", "book_for"]

api_routes = RouteTable()
TAGS = ("schedules",)
STAFF_CALENDAR = allow(
    Role.NOTARY, Role.MEDIATOR, Role.CONSULTANT, scope=Scope.ASSIGNED, read_only=True
)
MANAGERS = allow(Role.ADMIN, Role.SUPERVISOR)


class BookingForm(BaseModel):
    branch: str = Field(min_length=1, max_length=16)
    service: ServiceType
    staff: str = Field(min_length=1, max_length=64)
    room: str = Field(min_length=1, max_length=32)
    start: AwareDatetime
    party_size: int = Field(default=1, ge=1, le=50)
    resident_name: PersonName
    resident_contact: str = Field(default="", max_length=200)
    resident_zone: str = Field(min_length=1, max_length=64)


class MoveForm(BaseModel):
    staff: str = Field(min_length=1, max_length=64)
    room: str = Field(min_length=1, max_length=32)
    start: AwareDatetime


class AbsenceForm(BaseModel):
    username: str = Field(min_length=1, max_length=64)
    starts_at: AwareDatetime
    ends_at: AwareDatetime
    reason: str = Field(min_length=1, max_length=200)


def query_from(request: web.Request) -> tuple[str, SlotQuery]:
    q = request.query
    try:
        party = int(q.get("party", "1"))
    except ValueError:
        party = 0
    first = parse_day(q.get("from"), "from")
    query = SlotQuery(
        parse_service(q.get("service")), first, parse_day(q.get("to", str(first)), "to"), party
    )
    return q.get("branch", "MIL"), query


def recorder(request: web.Request) -> service.Recorder:
    return partial(audit, request)


@api_routes.get(
    "/api/schedules/slots", access=PUBLIC, summary="Bookable slots of a branch", tags=TAGS
)
async def slots(request: web.Request) -> web.Response:
    branch, query = query_from(request)
    viewer = request.query.get("tz", "")
    found = await service.search(
        request.app[DB], query, branch=branch, now=request.app[CLOCK].now()
    )
    viewer = zone_named(viewer).key if viewer else found[0].branch_zone if found else "UTC"
    return web.json_response(
        {"branch": branch, "viewer_zone": viewer, "slots": [slot_json(s, viewer) for s in found]}
    )


@api_routes.post(
    "/api/schedules/bookings",
    access=allow(Role.CLERK, scope=Scope.OWN_BRANCH),
    summary="Book a session for a resident at the clerk's own branch",
    body=BookingForm,
    tags=TAGS,
)
async def create_booking(request: web.Request) -> web.Response:
    form = await parse_body(request, BookingForm)
    principal = current_principal(request)
    if principal.branch != form.branch:
        raise Forbidden("schedules.other_branch", N_("Clerks book only at their own branch."))
    booking = await book_for(request, form, principal.subject)
    return web.json_response(booking_json(booking), status=201)


async def book_for(request: web.Request, form: BookingForm, actor: str) -> Booking:
    if form.service is ServiceType.CONSULTATION:
        raise Invalid(
            "schedules.consultation_elsewhere",
            N_("A consultation is booked on the consultation page, with its topic and question."),
        )
    choice = service.SessionChoice(
        form.branch, form.service, form.staff, form.room, form.start, form.party_size
    )
    return await service.book(
        request.app[DB],
        recorder(request),
        choice,
        resident_name=form.resident_name,
        resident_contact=form.resident_contact,
        resident_zone=form.resident_zone,
        actor=actor,
        now=request.app[CLOCK].now(),
    )


async def _by_reference(request: web.Request) -> Booking:
    async with request.app[DB].sessions() as session:
        return await service.booking_by_reference(session, request.match_info["reference"])


@api_routes.get(
    "/api/schedules/bookings/{reference}",
    access=PUBLIC,
    summary="A booking, for whoever holds its reference code",
    tags=TAGS,
)
async def get_booking(request: web.Request) -> web.Response:
    return web.json_response(booking_json(await _by_reference(request)))


@api_routes.post(
    "/api/schedules/bookings/{reference}/reschedule",
    access=PUBLIC,
    summary="Move a booking to another offered slot (by reference code)",
    body=MoveForm,
    tags=TAGS,
)
async def move_booking(request: web.Request) -> web.Response:
    form = await parse_body(request, MoveForm)
    current = await _by_reference(request)
    choice = service.SessionChoice(
        current.branch_code, ServiceType(current.service), form.staff, form.room, form.start
    )
    now = request.app[CLOCK].now()
    booking = await service.reschedule(
        request.app[DB], recorder(request), current.reference, choice, now=now
    )
    return web.json_response(booking_json(booking))


@api_routes.post(
    "/api/schedules/bookings/{reference}/cancel",
    access=PUBLIC,
    summary="Cancel a booking (by reference code)",
    tags=TAGS,
)
async def cancel_booking(request: web.Request) -> web.Response:
    reference = request.match_info["reference"]
    now = request.app[CLOCK].now()
    booking = await service.cancel(request.app[DB], recorder(request), reference, now=now)
    return web.json_response(booking_json(booking))


def ics_response(body: bytes, filename: str) -> web.Response:
    return web.Response(
        body=body,
        content_type="text/calendar",
        charset="utf-8",
        headers={"Content-Disposition": f'attachment; filename="{filename}"'},
    )


@api_routes.get(
    "/api/schedules/bookings/{reference}/calendar.ics",
    access=PUBLIC,
    summary="The booking as an iCalendar file (by reference code)",
    tags=TAGS,
)
async def booking_ics(request: web.Request) -> web.Response:
    booking = await _by_reference(request)
    body = calendar_file([booking], stamp=request.app[CLOCK].now(), name="Qiaolink")
    return ics_response(body, f"qiaolink-{booking.reference}.ics")


def own_calendar(request: web.Request) -> Principal:
    principal = current_principal(request)
    if principal.subject != request.match_info["username"]:
        raise Forbidden("schedules.not_yours", N_("You may see only your own calendar."))
    return principal


@api_routes.get(
    "/api/schedules/staff/{username}/calendar.ics",
    access=STAFF_CALENDAR,
    summary="A notary's, mediator's or consultant's own sessions as an iCalendar feed",
    tags=TAGS,
)
async def staff_ics(request: web.Request) -> web.Response:
    principal = own_calendar(request)
    now = request.app[CLOCK].now()
    async with request.app[DB].sessions() as session:
        rows = await service.staff_bookings(
            session,
            principal.subject,
            now - timedelta(days=30),
            now + timedelta(days=service.HORIZON_DAYS + 1),
        )
    body = calendar_file(rows, stamp=now, name=f"Qiaolink · {principal.display_name}")
    return ics_response(body, f"qiaolink-{principal.subject}.ics")


@api_routes.post(
    "/api/schedules/absences",
    access=MANAGERS,
    summary="Record a staff absence; its hours stop being offered",
    body=AbsenceForm,
    tags=TAGS,
)
async def add_absence(request: web.Request) -> web.Response:
    form = await parse_body(request, AbsenceForm)
    if form.ends_at <= form.starts_at:
        raise Invalid("schedules.absence_order", N_("An absence must end after it starts."))
    async with request.app[DB].transaction() as session:
        absence = StaffAbsence(
            username=form.username,
            starts_at=form.starts_at,
            ends_at=form.ends_at,
            reason=form.reason,
        )
        await service.require_staff(session, form.username)
        session.add(absence)
        await session.flush()
        detail = {"from": form.starts_at.isoformat(), "to": form.ends_at.isoformat()}
        await audit(request, session, "schedules.absence_added", form.username, detail)
    return web.json_response({"id": absence.id, "username": form.username}, status=201)


@api_routes.post(
    "/api/schedules/reminders/run",
    access=MANAGERS,
    summary="Send every reminder that is due now",
    tags=TAGS,
)
async def run_reminders(request: web.Request) -> web.Response:
    sent = await send_due(request.app[DB], request.app[CLOCK].now())
    async with request.app[DB].transaction() as session:
        await audit(request, session, "schedules.reminders_sent", "reminders", {"sent": sent})
    return web.json_response({"sent": sent})
