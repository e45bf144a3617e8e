"""Who is in a live session, and messages between its participants, across hub instances.

Each participant opens one WebSocket at ``/api/v1/live/{session_id}/socket`` on whatever
instance the proxy sent it to. The socket announces the participant on the bus (presence with a
TTL, refreshed while the socket is open), forwards the session channel's messages to the
participant and publishes what the participant sends. The first message tells the participant
which instance handles the session's media (its pin, :mod:`hub.instances`). Only the session's
own people join: the hosts in its scope and the clerk and node of its record's branch
(:func:`hub.sessions.service.joinable`); anyone else is told it does not exist.

This is the route the WebRTC signalling will ride on: offers, answers and candidates are
messages of the session channel (``{"type": "message", "body": {...}}``).
"""

from __future__ import annotations

import asyncio
import json
import logging
import re
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from typing import Any

from aiohttp import WSMsgType, web

from common.access import Principal, Role, allow
from common.bus import Bus, open_bus
from common.errors import N_, Invalid
from common.periodic import periodic_ctx, repeat
from common.service import CLOCK, DB, SESSION_AUTH
from common.settings import HubSettings
from common.web import RouteTable, current_principal
from hub.instances import heartbeat, leave, pin_session
from hub.sessions.scope import CASE_STAFF
from hub.sessions.service import joinable
from media.plane import depart

__all__ = ["INSTANCE", "InstanceRuntime", "install", "routes"]

log = logging.getLogger("qiaolink.hub.presence")
routes = RouteTable()
PARTICIPANTS = allow(Role.NOTARY, Role.MEDIATOR, Role.OFFICER, Role.CLERK, Role.NODE)
SESSION_ID = re.compile(r"^[A-Za-z0-9_-]{1,64}$")
MAX_MESSAGE = 64 * 1024
PRESENCE_TTL_S = 30.0


@dataclass
class InstanceRuntime:
    instance_id: str
    address: str
    ttl: timedelta
    bus: Bus


INSTANCE = web.AppKey("instance", InstanceRuntime)


def install(app: web.Application, settings: HubSettings) -> None:
    """The bus and this instance's heartbeat, with the app's lifetime."""

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        runtime = InstanceRuntime(
            instance_id=settings.resolved_instance_id(),
            address=f"http://{settings.host}:{settings.port}",
            ttl=timedelta(seconds=settings.instance_ttl_s),
            bus=await open_bus(settings.redis_url),
        )
        app[INSTANCE] = runtime
        await _beat(app)
        yield
        try:
            async with app[DB].transaction() as s:
                await leave(s, instance_id=runtime.instance_id)
        except Exception:  # the database may be gone first; the heartbeat then simply lapses
            log.warning("could not deregister instance %s", runtime.instance_id, exc_info=True)
        await runtime.bus.close()

    app.cleanup_ctx.append(ctx)
    # stopped before the instance leaves (cleanup contexts close in reverse order)
    app.cleanup_ctx.append(
        periodic_ctx(
            lambda app: lambda: _beat(app),
            interval_s=settings.instance_heartbeat_s,
            what="the instance heartbeat",
            wait_first=True,
        )
    )
    app.cleanup_ctx.append(_session_revocations)


async def _session_revocations(app: web.Application) -> AsyncIterator[None]:
    """Sign-outs on any instance reach this one's session memory through the bus."""
    sessions = app.get(SESSION_AUTH)
    if sessions is None:
        yield
        return
    async with sessions.attach(app[INSTANCE].bus):
        yield


async def _beat(app: web.Application) -> None:
    runtime = app[INSTANCE]
    async with app[DB].transaction() as s:
        await heartbeat(
            s, instance_id=runtime.instance_id, address=runtime.address, now=app[CLOCK].now()
        )


def _member(principal: Principal) -> str:
    return f"{principal.role.value}:{principal.subject}"


async def _announce(bus: Bus, channel: str, member: str, stop: asyncio.Event) -> None:
    """Keep the participant present while the socket is open."""
    await repeat(
        lambda: bus.present(channel, member, PRESENCE_TTL_S),
        interval_s=PRESENCE_TTL_S / 3,
        stop=stop,
        what="announcing a participant",
    )


async def _relay_out(
    ws: web.WebSocketResponse, messages: AsyncIterator[dict[str, Any]], member: str
) -> None:
    """The session's messages and comings and goings, except the participant's own."""
    async for message in messages:
        if member not in (message.get("from"), message.get("member")):
            await ws.send_json(message)


async def _relay_in(ws: web.WebSocketResponse, bus: Bus, channel: str, member: str) -> None:
    async for frame in ws:
        if frame.type is not WSMsgType.TEXT:
            continue
        body = _parse(frame.data)
        if body is None:
            await ws.send_json(
                {"type": "error", "code": "live.bad_message", "detail": "JSON object under 64 KiB"}
            )
            continue
        await bus.publish(channel, {"type": "message", "from": member, "body": body})


def _parse(data: str) -> dict[str, Any] | None:
    if len(data) > MAX_MESSAGE:
        return None
    try:
        doc = json.loads(data)
    except ValueError:
        return None
    return doc if isinstance(doc, dict) else None


@routes.get(
    "/api/v1/live/{session_id}/socket",
    access=PARTICIPANTS,
    summary="A participant's socket in a live session: presence and messages on any instance",
    tags=("sessions",),
)
async def live_socket(request: web.Request) -> web.StreamResponse:
    session_id = request.match_info["session_id"]
    if not SESSION_ID.match(session_id):
        raise Invalid("live.bad_session", N_("This live session name is not valid."))
    runtime = request.app[INSTANCE]
    principal = current_principal(request)
    await joinable(request.app[DB], session_id, principal, request.app[CASE_STAFF])
    member, channel = _member(principal), f"live:{session_id}"
    async with request.app[DB].transaction() as s:
        pin = await pin_session(
            s, session_id=session_id, now=request.app[CLOCK].now(), ttl=runtime.ttl
        )
    ws = web.WebSocketResponse(heartbeat=20, max_msg_size=MAX_MESSAGE * 2)
    await ws.prepare(request)
    bus, stop = runtime.bus, asyncio.Event()
    async with bus.subscribe(channel) as messages:
        await bus.present(channel, member, PRESENCE_TTL_S)
        await ws.send_json(
            {
                "type": "welcome",
                "you": member,
                "instance": runtime.instance_id,
                "media_instance": pin.instance_id,
                "members": sorted(await bus.members(channel)),
            }
        )
        await bus.publish(channel, {"type": "joined", "member": member})
        tasks = [
            asyncio.create_task(_announce(bus, channel, member, stop)),
            asyncio.create_task(_relay_out(ws, messages, member)),
        ]

        async def part() -> None:
            stop.set()
            for task in tasks:
                task.cancel()
            await asyncio.gather(*tasks, return_exceptions=True)
            await bus.absent(channel, member)
            await bus.publish(channel, {"type": "left", "member": member})

        try:
            await _relay_in(ws, bus, channel, member)
        finally:
            await depart(part())  # the others hear of it even if this handler is cancelled
    return ws
