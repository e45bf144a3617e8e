"""Routes of the branch's video sessions: the clerk starts one, the kiosk signals, the page."""

from __future__ import annotations

from pathlib import Path

from aiohttp import web
from pydantic import BaseModel, Field

from common.access import PUBLIC, Role, allow
from common.i18n import translator
from common.service import DB, PAGES
from common.web import LOCALE, RouteTable, parse_body
from common.websockets import text_socket
from media import load_turn, serve_member
from media.browser import STATIC_DIR, browser_messages
from media.signalling import MAX_MESSAGE_BYTES
from media.tokens import MAX_TOKEN_CHARS
from overseas_node.sessions import evidence
from overseas_node.sessions.live import KIOSK, kiosk_sessions_ctx

__all__ = ["routes", "setup"]

routes = RouteTable()
CLERKS = allow(Role.CLERK)
NAME = r"^[A-Za-z0-9][A-Za-z0-9._-]{0,63}$"


class StartKioskSession(BaseModel):
    session_id: str = Field(pattern=r"^[a-f0-9]{8,32}$")
    hub_token: str = Field(min_length=1, max_length=MAX_TOKEN_CHARS)
    participant: str = Field(pattern=NAME)


@routes.post(
    "/api/kiosk-sessions",
    access=CLERKS,
    summary="Join a hub video session from the kiosk (the hub's invitation for this node)",
    body=StartKioskSession,
)
async def start(request: web.Request) -> web.Response:
    body = await parse_body(request, StartKioskSession)
    live = request.app[KIOSK]
    live.open(body.session_id, body.hub_token, body.participant)
    token = live.issuer.issue(body.session_id, "resident", body.participant)
    return web.json_response(
        {
            "session_id": body.session_id,
            "participant": body.participant,
            "token": token,
            "page": f"/media/session?session={body.session_id}&token={token}",
            "signal": f"/api/kiosk-sessions/{body.session_id}/signal?token={token}",
        },
        status=201,
    )


@routes.get(
    "/api/kiosk-sessions/{session_id}/signal",
    access=PUBLIC,
    summary="The kiosk's signalling WebSocket; the node's invitation in ?token= authenticates",
)
async def signal(request: web.Request) -> web.StreamResponse:
    session_id = request.match_info["session_id"]
    live = request.app[KIOSK]
    claims = live.issuer.verify(request.query.get("token", ""), session_id)
    room = live.get(session_id).room
    ws, receive, send = await text_socket(request, max_bytes=4 * MAX_MESSAGE_BYTES)
    await serve_member(room, claims.participant, claims.role, receive, send)
    return ws


@routes.get(
    "/api/kiosk-sessions/{session_id}",
    access=allow(Role.CLERK, read_only=True),
    summary="Who is present, the link to the hub, and the node's own recorded segments",
)
async def show(request: web.Request) -> web.Response:
    session_id = request.match_info["session_id"]
    session = request.app[KIOSK].get(session_id)
    return web.json_response(
        {
            "session_id": session_id,
            "present": sorted(session.room.members),
            "uplink": session.uplink.state,
            "segments": await evidence.segments_of(request.app[DB], session_id),
        }
    )


@routes.post("/api/kiosk-sessions/{session_id}/end", access=CLERKS, summary="End at the branch")
async def end(request: web.Request) -> web.Response:
    session_id = request.match_info["session_id"]
    await request.app[KIOSK].end(session_id)
    segments = await evidence.segments_of(request.app[DB], session_id)
    return web.json_response({"session_id": session_id, "segments": segments})


@routes.get("/media/session", access=PUBLIC, summary="The kiosk's video session page")
async def page(request: web.Request) -> web.Response:
    live = request.app[KIOSK]
    return request.app[PAGES].render(
        request,
        "media_session.html",
        messages=browser_messages(translator(request[LOCALE])),
        signal_base="/api/kiosk-sessions/",
        ice_servers=live.turn.browser_ice_servers("kiosk", live.clock),
    )


def setup(app: web.Application, data_dir: Path, hub_url: str) -> None:
    turn = load_turn()  # parsed once, at start-up
    app.cleanup_ctx.append(kiosk_sessions_ctx(data_dir / "recordings", hub_url, turn))
    app.router.add_static("/media/static/", STATIC_DIR)
