"""A party's own page (case number and access code): only the step that is theirs now, in their
language, with what happens next — consent, joining the running session, setting up the
authenticator app, the face check at the branch kiosk and the signature, then waiting."""

from __future__ import annotations

import base64
from typing import Any
from urllib.parse import urlencode

from aiohttp import web
from sqlalchemy import select

from common.access import PUBLIC
from common.audit import record
from common.errors import N_, REFUSALS, Conflict
from common.service import AUDIT, CLOCK, DB, PAGES
from common.web import LOCALE, RouteTable
from hub.mediation import service
from hub.mediation.meetings import invited_to, party_invitation
from hub.mediation.model import Step, next_step, still_voided
from hub.mediation.pages import message
from hub.mediation.party import enrol_party
from hub.mediation.schemas import document_view, party_view
from hub.mediation.signing import resident_actor
from hub.mediation.tables import Participant
from hub.signatures.tables import totp_enrolments

__all__ = ["party_page_routes"]

party_page_routes = RouteTable()
TAGS = ("pages", "mediation")


def _query(request: web.Request, number: str, code: str) -> str:
    return urlencode({"number": number, "code": code, "lang": request.get(LOCALE, "zh")})


async def _load(request: web.Request, number: str, code: str) -> tuple[Any, Participant, Any]:
    async with request.app[DB].sessions() as session:
        case, me = await service.load_for_party(session, number, code)
        f = await service.case_file(session, case)
        enrolled = await session.scalar(
            select(totp_enrolments.c.account).where(
                totp_enrolments.c.account == f"resident:{me.document}"
            )
        )
    return f, me, enrolled is not None


def _running_for(f: Any, me: Participant) -> str | None:
    for s in f.sessions:
        if s.ended_at is None and me in invited_to(s.kind, s.witness, f.people):
            return str(s.video_session)
    return None


async def _page(
    request: web.Request,
    number: str = "",
    code: str = "",
    error: str = "",
    status: int = 200,
    authenticator: dict[str, str] | None = None,
) -> web.Response:
    v: dict[str, Any] | None = None
    extra: dict[str, Any] = {}
    if number:
        try:
            f, me, enrolled = await _load(request, number, code)
        except REFUSALS as exc:
            error, status = message(request, exc), exc.status
        else:
            v = party_view(f, me)
            running = _running_for(f, me)
            extra = {
                "step": next_step(v, enrolled=enrolled, invited_now=running is not None),
                "enrolled": enrolled,
                "replaced": _replaced_mine(f, me),
            }
    return request.app[PAGES].render(
        request,
        "mediation/party.html",
        status=status,
        v=v,
        number=number,
        code=code,
        error=error,
        authenticator=authenticator,
        query=_query(request, number, code),
        **extra,
    )


def _replaced_mine(f: Any, me: Participant) -> list[int]:
    """Versions of the agreement this person signed that a later draft replaced, while they
    have not signed the draft that replaced them."""
    key = service.signer_key(me)
    notices = still_voided([document_view(f, d) for d in f.documents])
    return [d["version"] for d in notices if any(s["signer"] == key for s in d["signed"])]


def _number_code(data: Any) -> tuple[str, str]:
    return str(data.get("number", "")).strip(), str(data.get("code", "")).strip().upper()


@party_page_routes.get(
    "/mediation/my",
    access=PUBLIC,
    summary="A party's own page: the step that is theirs and what happens next",
    tags=TAGS,
    guessable=True,
)
async def party_page(request: web.Request) -> web.Response:
    number, code = _number_code(request.query)
    return await _page(request, number, code)


@party_page_routes.get(
    "/mediation/kiosk/{number}",
    access=PUBLIC,
    summary="Where the branch kiosk hands a party back after the face check (#code=…&decision=…)",
    tags=TAGS,
)
async def from_kiosk(request: web.Request) -> web.Response:
    return request.app[PAGES].render(
        request, "mediation/from_kiosk.html", number=request.match_info["number"]
    )


@party_page_routes.post(
    "/mediation/my/consent",
    access=PUBLIC,
    summary="A party consents to mediation and to the recording of its sessions (form)",
    tags=TAGS,
    guessable=True,
)
async def consent_sent(request: web.Request) -> web.StreamResponse:
    number, code = _number_code(await request.post())
    now = request.app[CLOCK].now()
    try:
        async with request.app[DB].transaction() as session:
            case, me = await service.load_for_party(session, number, code, lock=True)
            (await service.case_file(session, case)).check(Step.CONSENT)
            if me.consented_at is None:
                me.consented_at = now
                await record(
                    session,
                    request.app[AUDIT],
                    at=now,
                    actor=resident_actor(me),
                    action="mediation.consented",
                    subject=f"mediation:{case.number}",
                    detail={"participant": me.id, "to": ["mediation", "recording"]},
                )
    except REFUSALS as exc:
        return await _page(request, number, code, message(request, exc), exc.status)
    raise web.HTTPSeeOther(f"/mediation/my?{_query(request, number, code)}")


@party_page_routes.post(
    "/mediation/my/enrolment",
    access=PUBLIC,
    summary="A party sets up an authenticator app for signing (form; the key is shown once)",
    tags=TAGS,
    guessable=True,
)
async def enrolment_sent(request: web.Request) -> web.Response:
    number, code = _number_code(await request.post())
    try:
        _me, enrolled = await enrol_party(request, number, code)
    except REFUSALS as exc:
        return await _page(request, number, code, message(request, exc), exc.status)
    secret = enrolled.uri.split("secret=", 1)[1].split("&", 1)[0]
    shown = {"qr": base64.b64encode(enrolled.qr_png).decode(), "secret": secret}
    return await _page(request, number, code, authenticator=shown, status=201)


@party_page_routes.get(
    "/mediation/my/join",
    access=PUBLIC,
    summary="A participant joins the running session they are invited to",
    tags=TAGS,
    guessable=True,
)
async def join(request: web.Request) -> web.StreamResponse:
    number, code = _number_code(request.query)
    try:
        f, me, _enrolled = await _load(request, number, code)
        running = _running_for(f, me)
        if running is None:
            raise Conflict("mediation.no_running_session", N_("No session is running for you."))
    except REFUSALS as exc:
        return await _page(request, number, code, message(request, exc), exc.status)
    page = party_invitation(request, running, me.id)["page"]
    raise web.HTTPSeeOther(f"{page}&lang={request.get(LOCALE, 'zh')}")
