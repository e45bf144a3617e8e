"""Multi-party video sessions of a case: a mediation meeting or the taking of evidence, each
recorded and sealed by the hub's sessions (``hub.sessions``)."""

from __future__ import annotations

import secrets
from typing import Any

from aiohttp import web
from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import Principal
from common.errors import N_, Conflict, Invalid, NotFound
from common.service import CLOCK, DB, audit
from common.web import RouteTable, current_principal, parse_body
from hub.mediation import service
from hub.mediation.model import CaseState, Step
from hub.mediation.routes import MEDIATOR, OpenSession, case_subject, mediator_step
from hub.mediation.service import CaseFile
from hub.mediation.tables import CaseSession, Participant
from hub.sessions import service as video
from hub.sessions.live import LIVE

__all__ = [
    "SESSION_PAGE",
    "invited_to",
    "mediator_invitation",
    "mediator_participant",
    "party_invitation",
    "routes",
    "start_session",
    "stop_session",
]

routes = RouteTable()
TAGS = ("mediation",)
SESSION_PAGE = "/mediation/session"  # the case's own session page (session_page.py)


def _invitation(request: web.Request, session_id: str, name: str, role: str) -> dict[str, str]:
    token = request.app[LIVE].issuer.issue(session_id, role, name)
    return {
        "participant": name,
        "role": role,
        "token": token,
        "page": f"{SESSION_PAGE}?session={session_id}&token={token}",
        "signal": f"/api/sessions/{session_id}/signal?token={token}",
    }


@routes.post(
    "/api/mediation/cases/{number}/sessions",
    access=MEDIATOR,
    body=OpenSession,
    summary="Open a recorded multi-party session (mediation or evidence)",
    tags=TAGS,
)
async def open_session(request: web.Request) -> web.Response:
    body = await parse_body(request, OpenSession)
    opened = await start_session(request, request.match_info["number"], body)
    return web.json_response(opened, status=201)


async def start_session(request: web.Request, number: str, body: OpenSession) -> dict[str, Any]:
    """Open a recorded session of the case (API or the case page); everyone's invitation."""
    actor, now = current_principal(request), request.app[CLOCK].now()
    async with request.app[DB].transaction() as session:  # check first: no room for a refused case
        case = await service.load(session, number)
        service.require_mediator(case, actor)
        f = await service.case_file(session, case)
        f.check(Step.EVIDENCE if body.kind == "evidence" else Step.SESSION)
        if any(s.ended_at is None for s in f.sessions):
            raise Conflict(
                "mediation.session_running", N_("A session of this case is still running.")
            )
        if body.kind == "evidence" and not any(p.id == body.witness for p in f.people):
            raise Invalid(
                "mediation.witness_required", N_("Name the witness, a person on the case.")
            )
        invited = invited_to(body.kind, body.witness, f.people)
    session_id = secrets.token_hex(8)
    await video.open_session(
        request.app[DB], at=now, actor=actor, session_id=session_id, case_id=number, kind=body.kind
    )
    request.app[LIVE].open(session_id)
    async with request.app[DB].transaction() as session:
        case = await service.load(session, number, lock=True)
        session.add(
            CaseSession(
                case_id=case.id,
                video_session=session_id,
                kind=body.kind,
                witness=body.witness,
                opened_by=actor.subject,
                opened_at=now,
            )
        )
        if case.state == CaseState.OPEN.value:
            case.state = CaseState.MEDIATING.value
        await audit(
            request,
            session,
            "mediation.session_opened",
            case_subject(case),
            {"session": session_id, "kind": body.kind, "witness": body.witness},
        )
    invitations = [mediator_invitation(request, session_id, actor)]
    invitations += [
        party_invitation(request, session_id, p.id) | {"id": str(p.id), "name": p.name}
        for p in invited
    ]
    return {"session_id": session_id, "kind": body.kind, "invitations": invitations}


def invited_to(kind: str, witness: int | None, people: list[Participant]) -> list[Participant]:
    """Who a session invites: everyone for a meeting; for evidence, the witness, those who
    represent them, and the interpreters."""
    if kind != "evidence":
        return list(people)
    return [
        p for p in people if p.id == witness or p.represents == witness or p.role == "interpreter"
    ]


def mediator_invitation(request: web.Request, session_id: str, actor: Principal) -> dict[str, str]:
    return _invitation(request, session_id, mediator_participant(actor.subject), "mediator")


def mediator_participant(account: str) -> str:
    """The mediator's name in the session (their account, as a participant name may be)."""
    return f"mediator-{account}".replace(".", "-")[:60]


def party_invitation(request: web.Request, session_id: str, person_id: int) -> dict[str, str]:
    return _invitation(request, session_id, f"p{person_id}", "resident")


@routes.post(
    "/api/mediation/cases/{number}/sessions/{session_id}/end",
    access=MEDIATOR,
    summary="End a session; its recording is sealed",
    tags=TAGS,
)
async def end_session(request: web.Request) -> web.Response:
    return await stop_session(
        request, request.match_info["number"], request.match_info["session_id"]
    )


async def stop_session(request: web.Request, number: str, session_id: str) -> web.Response:
    """End a running session of the case; its recording is sealed. Answers the case view."""
    actor = current_principal(request)
    async with request.app[DB].sessions() as session:
        case = await service.load(session, number)
        service.require_mediator(case, actor)
        held = await session.scalar(
            select(CaseSession).where(
                CaseSession.case_id == case.id, CaseSession.video_session == session_id
            )
        )
    if held is None:
        raise NotFound(
            "mediation.no_session", N_("No session {id} on this case."), params={"id": session_id}
        )
    if held.ended_at is not None:
        raise Conflict("mediation.session_ended", N_("This session has already ended."))
    await request.app[LIVE].end(session_id)  # the last segment is sealed and stored
    now = request.app[CLOCK].now()
    await video.end_session(request.app[DB], at=now, actor=actor, session_id=session_id)
    found = await video.load_session(request.app[DB], session_id)

    async def change(session: AsyncSession, f: CaseFile, actor: Principal) -> dict[str, Any]:
        row = next(s for s in f.sessions if s.video_session == session_id)
        row.ended_at = now
        return {"session": session_id, "segments": [s["sha256"] for s in found["segments"]]}

    return await mediator_step(request, "mediation.session_ended", change)
