"""Routes of the hub's video sessions: open, invite, signal, look, end, and the browser page."""

from __future__ import annotations

import asyncio
import io
import secrets
from pathlib import Path
from typing import Literal

from aiohttp import web
from av import VideoFrame
from av.video.reformatter import VideoReformatter
from pydantic import BaseModel, Field, field_validator

from common.access import PUBLIC, Role, allow
from common.errors import N_, Conflict
from common.i18n import translate, translator
from common.ratelimit import RateLimited, enforce
from common.service import CLOCK, DB, PAGES
from common.web import LOCALE, RouteTable, current_principal, parse_body
from common.websockets import text_socket
from hub.sessions import service
from hub.sessions.live import LIVE, live_sessions_ctx
from hub.sessions.scope import CASE_PEOPLE, CASE_STAFF
from hub.sessions.tables import VideoSession
from media import FrameTap, SamplingPolicy, TokenClaims, TokenRejected, load_turn
from media.browser import STATIC_DIR, browser_messages
from media.config import load_media_plane
from media.plane import Receive, Send
from media.signalling import MAX_MESSAGE_BYTES, encode

__all__ = ["routes", "setup"]

routes = RouteTable()
HOSTS = allow(Role.NOTARY, Role.MEDIATOR, Role.OFFICER)
NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class Invitee(BaseModel):
    participant: str = Field(pattern=NAME)
    role: Literal["notary", "mediator", "officer", "resident", "node"]


class OpenSession(BaseModel):
    case_id: str = Field(min_length=1, max_length=64)
    kind: Literal["notarization", "mediation", "evidence"]
    participants: list[Invitee] = Field(min_length=1, max_length=8)

    @field_validator("participants")
    @classmethod
    def _distinct(cls, value: list[Invitee]) -> list[Invitee]:
        if len({i.participant for i in value}) != len(value):
            raise ValueError("participant names must be distinct")
        return value


def _invitation(request: web.Request, session_id: str, invitee: Invitee) -> dict[str, str]:
    token = request.app[LIVE].issuer.issue(session_id, invitee.role, invitee.participant)
    return {
        "participant": invitee.participant,
        "role": invitee.role,
        "token": token,
        "page": f"/media/session?session={session_id}&token={token}",
        "signal": f"/api/sessions/{session_id}/signal?token={token}",
    }


async def _reached(request: web.Request) -> str:
    """The path's session id once the caller is in its scope (404 otherwise)."""
    principal = current_principal(request)
    session_id = request.match_info["session_id"]
    await service.reachable(request.app[DB], session_id, principal, request.app[CASE_STAFF])
    return session_id


@routes.post(
    "/api/sessions", access=HOSTS, summary="Open a recorded video session", body=OpenSession
)
async def open_session(request: web.Request) -> web.Response:
    body = await parse_body(request, OpenSession)
    actor = current_principal(request)
    await service.require_assigned(
        request.app[DB],
        actor,
        kind=body.kind,
        number=body.case_id,
        staff_of=request.app[CASE_STAFF],
    )
    session_id = secrets.token_hex(8)
    await service.open_session(
        request.app[DB],
        at=request.app[CLOCK].now(),
        actor=actor,
        session_id=session_id,
        case_id=body.case_id,
        kind=body.kind,
    )
    request.app[LIVE].open(session_id)
    invitations = [_invitation(request, session_id, i) for i in body.participants]
    return web.json_response(
        {"session_id": session_id, "case_id": body.case_id, "invitations": invitations},
        status=201,
    )


@routes.post(
    "/api/sessions/{session_id}/invitations",
    access=HOSTS,
    summary="A fresh invitation (token) for one participant",
    body=Invitee,
)
async def invite(request: web.Request) -> web.Response:
    body = await parse_body(request, Invitee)
    session_id = await _reached(request)
    request.app[LIVE].room(session_id)
    return web.json_response(_invitation(request, session_id, body), status=201)


@routes.get(
    "/api/sessions/{session_id}/signal",
    access=PUBLIC,
    summary="Signalling WebSocket; the invitation token in ?token= authenticates",
)
async def signal(request: web.Request) -> web.StreamResponse:
    session_id = request.match_info["session_id"]
    live = request.app[LIVE]
    running = live.rooms.get(session_id)

    def rejoin(claims: TokenClaims) -> bool:
        return running is not None and not running.closed and running.has_joined(claims.participant)

    claims = live.issuer.verify(request.query.get("token", ""), session_id, rejoin=rejoin)
    room = live.room(session_id)
    await enforce(request, "signalling", claims.participant)
    ws, receive, send = await text_socket(request, max_bytes=4 * MAX_MESSAGE_BYTES)
    limited = _rate_limited(request, claims.participant, receive, send)
    await room.serve(claims.participant, claims.role, limited, send)
    return ws


def _rate_limited(request: web.Request, participant: str, receive: Receive, send: Send) -> Receive:
    """``receive`` counting each message against the signalling limit; a message over it is
    refused with an error (the socket stays open) and not acted on."""

    async def limited() -> str | None:
        while (raw := await receive()) is not None:
            try:
                await enforce(request, "signalling", participant)
            except RateLimited as exc:
                await send(encode("error", code=exc.code, message=exc.message, params=exc.params))
                continue
            return raw
        return None

    return limited


@routes.get(
    "/api/sessions/{session_id}",
    access=allow(
        Role.NOTARY, Role.MEDIATOR, Role.OFFICER, Role.SUPERVISOR, Role.AUDITOR, read_only=True
    ),
    summary="A session with its recorded segments (hashes) and event log",
)
async def show(request: web.Request) -> web.Response:
    session_id = await _reached(request)
    found = await service.load_session(request.app[DB], session_id)
    room = request.app[LIVE].rooms.get(session_id)
    found["present"] = room.present() if room is not None else []
    return web.json_response(found)


@routes.post("/api/sessions/{session_id}/end", access=HOSTS, summary="End a session")
async def end(request: web.Request) -> web.Response:
    session_id = await _reached(request)
    actor = current_principal(request)
    await request.app[LIVE].end(session_id)  # closes the last segment, which is then stored
    await service.end_session(
        request.app[DB], at=request.app[CLOCK].now(), actor=actor, session_id=session_id
    )
    return web.json_response(await service.load_session(request.app[DB], session_id))


@routes.get(
    "/api/sessions/{session_id}/participants/{participant}/snapshot",
    access=HOSTS,
    summary="One current picture of a participant (JPEG), through the frame tap",
)
async def snapshot(request: web.Request) -> web.Response:
    room = request.app[LIVE].room(await _reached(request))
    no_picture = Conflict("media.no_picture", N_("There is no picture from this participant."))
    async with room.watch(request.match_info["participant"]) as track:
        if track is None:
            raise no_picture
        got: asyncio.Future[VideoFrame] = asyncio.get_running_loop().create_future()

        async def keep(frame: VideoFrame) -> None:
            if not got.done():
                got.set_result(frame)

        tap = FrameTap(track, keep, SamplingPolicy(max_per_second=5))
        tap.start()
        try:
            async with asyncio.timeout(8):
                frame = await got
        except TimeoutError:
            raise no_picture from None
        finally:
            await tap.stop()
    jpeg = await asyncio.to_thread(_jpeg, frame)
    return web.Response(body=jpeg, content_type="image/jpeg")


def _jpeg(frame: VideoFrame) -> bytes:
    out = io.BytesIO()
    # The frame is shared with the recorder: convert it with a scaler of our own (the frame's
    # built-in one is shared, and two threads scaling through it deadlock).
    rgb = VideoReformatter().reformat(frame, format="rgb24", threads=1)
    rgb.to_image().save(out, format="JPEG", quality=90)  # type: ignore[no-untyped-call]
    return out.getvalue()


# What the session page names as its subject, by the session's kind.
SUBJECTS = {
    "notarization": N_("Notarial act {case}"),
    "mediation": N_("Mediation case {case}"),
    "evidence": N_("Remote evidence-taking, case {case}"),
    "consultation": N_("Consultation {case}"),
}


async def _subject(request: web.Request) -> tuple[str, list[dict[str, str]]] | None:
    """The case or act of the invitation in the address and the people its session expects
    (where its domain names them), if the invitation is genuine."""
    session_id = request.query.get("session", "")
    try:
        request.app[LIVE].issuer.verify(request.query.get("token", ""), session_id)
    except TokenRejected:
        return None
    async with request.app[DB].transaction() as tx:
        video = await tx.get(VideoSession, session_id)
        if video is None or video.kind not in SUBJECTS:
            return None
        people_of = request.app.get(CASE_PEOPLE, {}).get(video.kind)
        people = await people_of(tx, video.case_id) if people_of else []
    return translate(request[LOCALE], SUBJECTS[video.kind], case=video.case_id), people


@routes.get("/media/session", access=PUBLIC, summary="The video session page (browser client)")
async def page(request: web.Request) -> web.Response:
    locale = request[LOCALE]
    live = request.app[LIVE]
    subject, people = await _subject(request) or (translate(locale, N_("Video session")), [])
    return request.app[PAGES].render(
        request,
        "media_session.html",
        messages=browser_messages(translator(locale)),
        signal_base="/api/sessions/",
        ice_servers=live.turn.browser_ice_servers("browser", live.clock),
        session_subject=subject,
        session_people=people,
    )


def setup(app: web.Application, data_dir: Path) -> None:
    """The sessions' runtime (rooms, recordings, TURN) and the browser client's files."""
    turn, media = load_turn(), load_media_plane()  # parsed once, at start-up
    app.cleanup_ctx.append(live_sessions_ctx(data_dir / "recordings", turn, CLOCK, media))
    app.router.add_static("/media/static/", STATIC_DIR)
