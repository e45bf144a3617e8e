"""HTTP API of consultations: book, follow and rate (resident); hold and answer (consultant)."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from functools import partial
from typing import Any

from aiohttp import web

from common.access import PUBLIC, Principal, Role, Scope, allow
from common.errors import N_, Invalid
from common.service import CLOCK, DB, audit
from common.web import LOCALE, RouteTable, current_principal, parse_body
from hub.consultation import service
from hub.consultation.forms import AnswerForm, BookingForm, PublishForm, RatingForm
from hub.consultation.model import LANGS, Topic
from hub.consultation.schemas import progress_view, staff_view
from hub.consultation.service import Asking
from hub.consultation.sessions import close_session, open_session, resident_invitation
from hub.consultation.tables import Consultation
from hub.schedules.model import ServiceType, SlotQuery, zone_named
from hub.schedules.schemas import booking_json, parse_day, slot_json
from hub.schedules.service import SessionChoice, search
from hub.schedules.tables import Booking
from hub.sessions.live import LIVE

__all__ = [
    "CONSULTANTS",
    "PUBLISHERS",
    "READERS",
    "answer_consultation",
    "book_from_form",
    "is_live",
    "parse_topic",
    "publish_consultation",
    "rate_consultation",
    "routes",
    "staff_json",
    "topic_slots",
]

routes = RouteTable()
TAGS = ("consultation",)
CONSULTANTS = allow(Role.CONSULTANT, Role.OFFICER, scope=Scope.ASSIGNED)
PUBLISHERS = allow(Role.CONSULTANT, Role.OFFICER, Role.SUPERVISOR)
READERS = allow(Role.CONSULTANT, Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR, read_only=True)


def parse_topic(text: str | None) -> Topic:
    try:
        return Topic(text or "")
    except ValueError:
        raise Invalid(
            "consultation.bad_topic",
            N_("Unknown topic {value}."),
            params={"value": (text or "")[:40]},
        ) from None


def _code(request: web.Request) -> str:
    return request.headers.get("X-Query-Code") or request.query.get("code", "")


def is_live(request: web.Request, c: Consultation) -> bool:
    room = request.app[LIVE].rooms.get(c.video_session_id or "")
    return room is not None and not room.closed


async def book_from_form(request: web.Request, form: BookingForm) -> tuple[Consultation, str, Any]:
    asking = Asking(
        form.topic,
        form.question.strip(),
        form.name.strip(),
        form.document,
        form.contact.strip(),
        form.country,
        form.lang,
        form.zone,
    )
    choice = SessionChoice(form.branch, ServiceType.CONSULTATION, form.staff, form.room, form.start)
    return await service.book(
        request.app[DB],
        partial(audit, request),
        choice,
        asking=asking,
        actor=f"resident:{form.document}",
        now=request.app[CLOCK].now(),
    )


@routes.get(
    "/api/consultations/roster",
    access=PUBLIC,
    summary="Consultants on the roster (?topic=), with their topics and languages",
    tags=TAGS,
)
async def roster(request: web.Request) -> web.Response:
    raw = request.query.get("topic")
    topic = parse_topic(raw) if raw else None
    async with request.app[DB].sessions() as session:
        rows = await service.roster(session, topic)
    zh = request.get(LOCALE, "zh") == "zh"
    return web.json_response(
        [
            {
                "username": s.username,
                "name": s.display_name,
                "kind": c.kind,
                "affiliation": c.affiliation_zh if zh else c.affiliation_en,
                "topics": c.topics,
                "languages": c.languages,
            }
            for c, s in rows
        ]
    )


async def topic_slots(request: web.Request) -> tuple[str, Topic, list[dict[str, Any]]]:
    q = request.query
    topic, branch = parse_topic(q.get("topic")), q.get("branch", "MIL")
    first = parse_day(q.get("from"), "from")
    query = SlotQuery(ServiceType.CONSULTATION, first, parse_day(q.get("to", str(first)), "to"))
    async with request.app[DB].sessions() as session:
        names = {s.username: s.display_name for _, s in await service.roster(session, topic)}
    found = await search(request.app[DB], query, branch=branch, now=request.app[CLOCK].now())
    viewer = zone_named(q["tz"]).key if q.get("tz") else found[0].branch_zone if found else "UTC"
    slots = [
        {**slot_json(s, viewer), "consultant": names[s.staff]} for s in found if s.staff in names
    ]
    return branch, topic, slots


@routes.get(
    "/api/consultations/slots",
    access=PUBLIC,
    summary="Free consultation times with the roster's consultants on a topic",
    tags=TAGS,
)
async def slots(request: web.Request) -> web.Response:
    branch, topic, found = await topic_slots(request)
    return web.json_response({"branch": branch, "topic": topic.value, "slots": found})


@routes.post(
    "/api/self-service/consultations",
    access=PUBLIC,
    body=BookingForm,
    summary="A resident books a consultation on a topic, in an offered slot",
    tags=TAGS,
)
async def book(request: web.Request) -> web.Response:
    form = await parse_body(request, BookingForm)
    c, code, booking = await book_from_form(request, form)
    body = {"number": c.number, "query_code": code, "state": c.state, **_when(booking)}
    return web.json_response(body, status=201)


def _when(booking: Booking) -> dict[str, Any]:
    return {"booking": booking_json(booking)}


async def _progress(request: web.Request, c: Consultation, lang: str) -> dict[str, Any]:
    async with request.app[DB].sessions() as session:
        booking = await service.booking_of(session, c)
        names = await service.staff_names(session, {c.consultant})
    return progress_view(
        c, booking, names.get(c.consultant, c.consultant), lang=lang, live=is_live(request, c)
    )


def _reader_lang(request: web.Request, c: Consultation) -> str:
    wanted = request.query.get("lang", "")
    return wanted if wanted in LANGS else c.resident_lang


@routes.get(
    "/api/self-service/consultations/{number}",
    access=PUBLIC,
    summary="A consultation and its answer in the resident's language (query code required)",
    tags=TAGS,
    guessable=True,
)
async def progress(request: web.Request) -> web.Response:
    async with request.app[DB].sessions() as session:
        c = await service.load_by_code(session, request.match_info["number"], _code(request))
    return web.json_response(await _progress(request, c, _reader_lang(request, c)))


@routes.get(
    "/api/self-service/consultations/{number}/session",
    access=PUBLIC,
    summary="The resident's invitation to the consultation's video session, once it is open",
    tags=TAGS,
    guessable=True,
)
async def join(request: web.Request) -> web.Response:
    async with request.app[DB].sessions() as session:
        c = await service.load_by_code(session, request.match_info["number"], _code(request))
    return web.json_response(resident_invitation(request, c))


@routes.post(
    "/api/self-service/consultations/{number}/rating",
    access=PUBLIC,
    body=RatingForm,
    summary="The resident rates the answer once, 1 to 5",
    tags=TAGS,
    guessable=True,
)
async def rate(request: web.Request) -> web.Response:
    form = await parse_body(request, RatingForm)
    c = await rate_consultation(request, request.match_info["number"], _code(request), form)
    return web.json_response(await _progress(request, c, _reader_lang(request, c)))


async def rate_consultation(
    request: web.Request, number: str, code: str, form: RatingForm
) -> Consultation:
    async with request.app[DB].transaction() as session:
        c = await service.load_by_code(session, number, code, lock=True)
        now = request.app[CLOCK].now()
        service.rate(c, level=form.level, comment=form.comment.strip(), now=now)
        detail = {"level": form.level, "comment": bool(form.comment.strip())}
        await audit(request, session, "consultation.rated", service.subject(c), detail)
    return c


@routes.get(
    "/api/consultations",
    access=READERS,
    summary="The consultant's own consultations (supervisors and auditors: all)",
    tags=TAGS,
)
async def desk(request: web.Request) -> web.Response:
    principal = current_principal(request)
    async with request.app[DB].sessions() as session:
        rows = await service.desk(session, principal)
        names = await service.staff_names(session, {c.consultant for c, _ in rows})
    return web.json_response(
        [
            staff_view(c, b, names.get(c.consultant, ""), principal, live=is_live(request, c))
            for c, b in rows
        ]
    )


async def staff_json(request: web.Request, c: Consultation) -> dict[str, Any]:
    async with request.app[DB].sessions() as session:
        booking = await service.booking_of(session, c)
        names = await service.staff_names(session, {c.consultant})
    principal = current_principal(request)
    name = names.get(c.consultant, c.consultant)
    return staff_view(c, booking, name, principal, live=is_live(request, c))


@routes.get(
    "/api/consultations/{number}",
    access=READERS,
    summary="One consultation; the resident's identity for its consultant and supervisors",
    tags=TAGS,
)
async def get_consultation(request: web.Request) -> web.Response:
    principal = current_principal(request)
    async with request.app[DB].sessions() as session:
        c = await service.load(session, request.match_info["number"])
    if principal.role in (Role.CONSULTANT, Role.OFFICER):
        service.require_consultant(c, principal)
    return web.json_response(await staff_json(request, c))


@routes.post(
    "/api/consultations/{number}/session",
    access=CONSULTANTS,
    summary="The consultant opens the consultation's recorded video session",
    tags=TAGS,
)
async def start_session(request: web.Request) -> web.Response:
    opened = await open_session(request, request.match_info["number"], current_principal(request))
    return web.json_response(opened, status=201)


@routes.post(
    "/api/consultations/{number}/session/end",
    access=CONSULTANTS,
    summary="End the video session: held if the resident took part, else missed",
    tags=TAGS,
)
async def end_session(request: web.Request) -> web.Response:
    c = await close_session(request, request.match_info["number"], current_principal(request))
    return web.json_response(await staff_json(request, c))


Apply = Callable[[Any, Consultation, Principal, datetime], Awaitable[dict[str, Any]]]


async def _decision(request: web.Request, action: str, apply: Apply) -> Consultation:
    actor, now = current_principal(request), request.app[CLOCK].now()
    async with request.app[DB].transaction() as session:
        c = await service.load(session, request.match_info["number"], lock=True)
        detail = await apply(session, c, actor, now)
        await audit(request, session, action, service.subject(c), detail)
    return c


async def answer_consultation(request: web.Request, texts: dict[str, str]) -> Consultation:
    async def apply(session: Any, c: Consultation, actor: Principal, now: datetime) -> Any:
        service.answer(c, texts=texts, actor=actor, now=now)
        return {"languages": sorted(c.answer or {})}

    return await _decision(request, "consultation.answered", apply)


async def publish_consultation(
    request: web.Request, question: dict[str, str], answer_texts: dict[str, str] | None
) -> int:
    """The new knowledge-base entry's id."""
    entry_id: list[int] = []

    async def apply(session: Any, c: Consultation, actor: Principal, now: datetime) -> Any:
        entry = await service.publish(
            session, c=c, question=question, answer_texts=answer_texts, actor=actor, now=now
        )
        entry_id.append(entry.id)
        return {"entry": entry.id, "topic": entry.topic, "languages": sorted(entry.answer)}

    await _decision(request, "kb.published", apply)
    return entry_id[0]


@routes.post(
    "/api/consultations/{number}/answer",
    access=CONSULTANTS,
    body=AnswerForm,
    summary="The consultant's written answer (Chinese, optionally Italian and English)",
    tags=TAGS,
)
async def answer(request: web.Request) -> web.Response:
    form = await parse_body(request, AnswerForm)
    c = await answer_consultation(request, form.answer.as_dict())
    return web.json_response(await staff_json(request, c))


@routes.post(
    "/api/consultations/{number}/publish",
    access=PUBLISHERS,
    body=PublishForm,
    summary="Publish an answered consultation as an anonymous knowledge-base entry",
    tags=TAGS,
)
async def publish(request: web.Request) -> web.Response:
    form = await parse_body(request, PublishForm)
    answer_texts = form.answer.as_dict() if form.answer else None
    entry_id = await publish_consultation(request, form.question.as_dict(), answer_texts)
    return web.json_response({"id": entry_id, "url": f"/kb/{entry_id}"}, status=201)
