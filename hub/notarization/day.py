"""The notary's day in the browser: today's bookings and acts, each with its next step, and
the act opened from its booking (on the resident's application, with the act's facts)."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web

from common.access import Role, allow
from common.errors import DomainError
from common.i18n import translate
from common.pages import viewer_zone
from common.service import CLOCK, DB
from common.web import LOCALE, RouteTable, current_principal
from hub.notarization import desk, service
from hub.notarization.archive import act_view
from hub.notarization.model import KINDS, kind_of
from hub.notarization.pages import CLERK_NEXT, NOTARY_NEXT
from hub.notarization.pages import render_page as render
from hub.zone import hub_zone

__all__ = ["day_routes"]

day_routes = RouteTable()
TAGS = ("pages",)
NOTARY = allow(Role.NOTARY)


def _today(request: web.Request) -> date:
    chosen = desk._day(request.query.get("day"), "day")
    zone = viewer_zone(request, hub_zone().key)
    return chosen or request.app[CLOCK].now().astimezone(zone).date()


@day_routes.get(
    "/notary",
    access=allow(Role.NOTARY, read_only=True),
    summary="The notary's day: bookings and acts, each with its next step",
    tags=TAGS,
)
async def notary_day(request: web.Request) -> web.Response:
    day = _today(request)
    lo, hi = desk.day_bounds(day, request)
    me = current_principal(request).subject
    async with request.app[DB].transaction() as session:
        booked = await service.day_of(session, me, lo, hi)
    rows = [
        {
            "at": b.starts_at.isoformat(),
            "reference": b.reference,
            "resident_name": b.resident_name,
            "branch": b.branch_code,
            "act": act_view(a) if a is not None else None,
        }
        for b, a in booked
    ]
    on_bookings = {r["act"]["id"] for r in rows if r["act"]}
    for act in await desk.queue_of(request, me, day):  # open acts of other days too
        if act["id"] not in on_bookings:
            rows.append(
                {
                    "at": act["scheduled_at"],
                    "reference": act["booking"],
                    "resident_name": act["resident_name"],
                    "branch": act["branch"],
                    "act": act,
                }
            )
    rows.sort(key=lambda r: r["at"])
    return render(request, "notarization/notary_day.html", day=day, rows=rows, next=NOTARY_NEXT)


async def _booking_page(
    request: web.Request,
    error: str = "",
    status: int = 200,
    given: dict[str, str] | None = None,
    wrong: set[str] | None = None,
) -> web.Response:
    reference = request.match_info["reference"]
    async with request.app[DB].transaction() as session:
        booking = await service.booking_of_notary(session, reference, current_principal(request))
        apps = await service.applications_for(session, booking)
    choices = [
        {"number": a.number, "kind": kind_of_item(a.item_code), "state": a.state} for a in apps
    ]
    return render(
        request,
        "notarization/notary_booking.html",
        booking=booking,
        choices=[c for c in choices if c["kind"] is not None],
        error=error,
        given=given or {},
        wrong=wrong or set(),
        status=status,
    )


def kind_of_item(item_code: str) -> Any:
    return next((k for k in KINDS.values() if k.item_code == item_code), None)


@day_routes.get(
    "/notary/bookings/{reference}",
    access=allow(Role.NOTARY, read_only=True),
    summary="A booking of the notary's: open its act on the resident's application",
    tags=TAGS,
)
async def booking_page(request: web.Request) -> web.Response:
    return await _booking_page(request)


@day_routes.post(
    "/notary/bookings/{reference}",
    access=NOTARY,
    summary="Open the act of a booking (form post; then the act page)",
    tags=TAGS,
)
async def open_from_booking(request: web.Request) -> web.StreamResponse:
    form = await request.post()
    given = {k: str(v) for k, v in form.items() if isinstance(v, str)}
    try:
        kind = kind_of(given.get("act_type", ""))
        new = service.NewAct(
            kind.type.value,
            given.get("application_number", ""),
            request.match_info["reference"],
            {p.name: given.get(p.name, "") for p in kind.particulars},
        )
        row = await service.open_act(
            request.app[DB], new, actor=current_principal(request), at=request.app[CLOCK].now()
        )
    except DomainError as exc:  # shown on the form, in the viewer's language; nothing stored
        message = translate(request[LOCALE], exc.message, **(exc.params or {}))
        wrong = {str(e.get("field")) for e in exc.errors or []}
        return await _booking_page(request, message, exc.status, given, wrong)
    raise web.HTTPSeeOther(f"/notary/acts/{row.id}")


@day_routes.get(
    "/branch/notarizations",
    access=allow(Role.CLERK, read_only=True),
    summary="The branch's notarial acts of the day, each with the clerk's next step",
    tags=TAGS,
)
async def branch_day(request: web.Request) -> web.Response:
    day = _today(request)
    acts = await desk.branch_queue(request, current_principal(request).branch or "", day)
    return render(request, "notarization/branch_day.html", day=day, acts=acts, next=CLERK_NEXT)
