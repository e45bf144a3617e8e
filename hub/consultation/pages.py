"""The resident's pages: book a consultation, follow it, join its video session, rate it."""

from __future__ import annotations

from datetime import timedelta
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from pydantic import ValidationError
from sqlalchemy import select

from common.access import PUBLIC
from common.errors import N_, REFUSALS, Refusal
from common.i18n import translate
from common.pages import viewer_zone
from common.service import CLOCK, DB, PAGES
from common.web import LOCALE, RouteTable
from hub.accounts.tables import Office
from hub.consultation import service
from hub.consultation.forms import BookingForm, RatingForm
from hub.consultation.model import TOPIC_LABELS
from hub.consultation.routes import (
    book_from_form,
    is_live,
    rate_consultation,
    topic_slots,
)
from hub.consultation.schemas import progress_view
from hub.consultation.sessions import resident_invitation

__all__ = ["page_routes"]

page_routes = RouteTable()
TAGS = ("pages", "consultation")
INVALID = N_("Some fields are missing or invalid.")


def _message(request: web.Request, exc: Refusal) -> str:
    return translate(request.get(LOCALE, "zh"), exc.message, **exc.params)


async def _branches(request: web.Request) -> list[Office]:
    async with request.app[DB].sessions() as session:
        query = select(Office).where(Office.kind == "branch").order_by(Office.code)
        return list((await session.scalars(query)).all())


async def _book_page(
    request: web.Request, error: str = "", status: int = 200, sent: dict[str, Any] | None = None
) -> web.Response:
    lang, zone = request.get(LOCALE, "zh"), viewer_zone(request, "")
    today = request.app[CLOCK].now().astimezone(zone).date()
    q = request.query
    slots: list[dict[str, Any]] = []
    if q.get("topic") and q.get("from") and not error:
        try:
            slots = (await topic_slots(request))[2]
        except REFUSALS as exc:
            error, status = _message(request, exc), exc.status
    return request.app[PAGES].render(
        request,
        "consultation/book.html",
        status=status,
        error=error,
        topics=[(t.value, translate(lang, label)) for t, label in TOPIC_LABELS.items()],
        branches=await _branches(request),
        form={
            "topic": q.get("topic", ""),
            "branch": q.get("branch", "MIL"),
            "from": q.get("from", str(today + timedelta(days=1))),
            "to": q.get("to", str(today + timedelta(days=7))),
        },
        sent=sent or {},
        slots=slots,
        searched=bool(q.get("topic") and q.get("from")),
    )


@page_routes.get(
    "/consultations", access=PUBLIC, summary="Book a legal or policy consultation", tags=TAGS
)
async def book_page(request: web.Request) -> web.Response:
    return await _book_page(request)


@page_routes.post(
    "/consultations", access=PUBLIC, summary="The booking form, sent from the page", tags=TAGS
)
async def book_sent(request: web.Request) -> web.Response:
    data = {k: str(v) for k, v in (await request.post()).items()}
    start, _, rest = data.get("slot", "").partition("|")
    staff, _, room = rest.partition("|")
    fields = {**data, "start": start, "staff": staff, "room": room}
    fields.setdefault("zone", str(viewer_zone(request, "UTC").key))
    try:
        form = BookingForm.model_validate({k: v for k, v in fields.items() if v != ""})
        c, code, booking = await book_from_form(request, form)
    except ValidationError:
        text = translate(request.get(LOCALE, "zh"), INVALID)
        return await _book_page(request, text, 422, data)
    except REFUSALS as exc:
        return await _book_page(request, _message(request, exc), exc.status, data)
    return request.app[PAGES].render(
        request,
        "consultation/booked.html",
        status=201,
        number=c.number,
        code=code,
        booking=booking,
    )


async def _status_view(request: web.Request, number: str, code: str) -> dict[str, Any]:
    lang = request.get(LOCALE, "zh")
    async with request.app[DB].sessions() as session:
        c = await service.load_by_code(session, number, code)
        booking = await service.booking_of(session, c)
        names = await service.staff_names(session, {c.consultant})
    live = is_live(request, c)
    return progress_view(c, booking, names.get(c.consultant, ""), lang=lang, live=live)


async def _status_page(
    request: web.Request, number: str, code: str, error: str = "", status: int = 200
) -> web.Response:
    view = None
    if number:
        try:
            view = await _status_view(request, number, code)
        except REFUSALS as exc:
            error, status = _message(request, exc), exc.status
    return request.app[PAGES].render(
        request,
        "consultation/status.html",
        status=status,
        view=view,
        number=number,
        code=code,
        error=error,
    )


@page_routes.get(
    "/consultations/status",
    access=PUBLIC,
    summary="Follow a consultation with its query code: time, answer, rating",
    tags=TAGS,
    guessable=True,
)
async def status_page(request: web.Request) -> web.Response:
    q = request.query
    return await _status_page(request, q.get("number", ""), q.get("code", ""))


@page_routes.get(
    "/consultations/join",
    access=PUBLIC,
    summary="The resident joins the open video session (number and query code)",
    tags=TAGS,
    guessable=True,
)
async def join_page(request: web.Request) -> web.StreamResponse:
    number, code = request.query.get("number", ""), request.query.get("code", "")
    try:
        async with request.app[DB].sessions() as session:
            c = await service.load_by_code(session, number, code)
        invitation = resident_invitation(request, c)
    except REFUSALS as exc:
        return await _status_page(request, number, code, _message(request, exc), exc.status)
    lang = request.get(LOCALE, "zh")
    raise web.HTTPSeeOther(f"{invitation['page']}&lang={lang}")


@page_routes.post(
    "/consultations/rate",
    access=PUBLIC,
    summary="The rating form, sent from the page",
    tags=TAGS,
    guessable=True,
)
async def rate_sent(request: web.Request) -> web.StreamResponse:
    data = await request.post()
    number, code = str(data.get("number", "")), str(data.get("code", ""))
    try:
        form = RatingForm.model_validate(
            {"level": data.get("level", ""), "comment": data.get("comment", "")}
        )
        await rate_consultation(request, number, code, form)
    except ValidationError:
        text = translate(request.get(LOCALE, "zh"), INVALID)
        return await _status_page(request, number, code, text, 422)
    except REFUSALS as exc:
        return await _status_page(request, number, code, _message(request, exc), exc.status)
    query = urlencode({"number": number, "code": code, "lang": request.get(LOCALE, "zh")})
    raise web.HTTPSeeOther(f"/consultations/status?{query}")
