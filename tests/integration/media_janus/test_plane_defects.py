"""Defects of the media plane, each checked on the in-process relay and on Janus: an offer
with codecs nobody supports is answered with an error, a role posts only the events it may,
a member back on a new socket gets the events it missed, and every failure of Janus (room
gone, instance lost) is a clear error, then recovers."""

from __future__ import annotations

import asyncio
import json
import os
import signal
from collections.abc import AsyncIterator
from pathlib import Path

import aiohttp
import pytest

from common.clock import FixedClock
from media import EventLog, MediaRoom
from media.janus import JanusPlane, JanusSession
from media.plane import SessionMedia
from tests.janus_support import JanusSite, janus_site

from ..media.loopback import Socket, join, until

VP9_ONLY = (  # well formed and connectable, but only VP9, which neither plane takes
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "m=video 9 UDP/TLS/RTP/SAVPF 98\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendrecv\r\n"
    "a=rtcp-mux\r\na=rtpmap:98 VP9/90000\r\na=ice-ufrag:abcd\r\n"
    "a=ice-pwd:0123456789abcdef0123456789\r\n"
    "a=fingerprint:sha-256 " + ":".join(["AB"] * 32) + "\r\na=setup:actpass\r\n"
)


@pytest.fixture(params=["relay", "janus"])
async def room(
    request: pytest.FixtureRequest, clock: FixedClock, tmp_path: Path
) -> AsyncIterator[SessionMedia]:
    events = EventLog("s1", clock)
    if request.param == "relay":
        import aioice.ice

        monkeypatch = request.getfixturevalue("monkeypatch")
        monkeypatch.setattr(
            aioice.ice, "get_host_addresses", lambda use_ipv4, use_ipv6: ["127.0.0.1"]
        )
        relay = MediaRoom("s1", ice_servers=[], events=events)
        yield relay
        await relay.close()
        return
    async with janus_site(tmp_path) as site:
        plane = JanusPlane(site.urls, timeout=5.0)
        await plane.start()
        janus = plane.open_room("s1", events=events, clock=clock)
        yield janus
        await janus.close()
        await plane.close()


async def test_an_offer_without_a_common_codec_is_answered_with_an_error(
    room: SessionMedia,
) -> None:
    notary = await join(room, "notary", "notary")
    await until(lambda: notary.sent("answer"))
    notary.socket.to_server.put_nowait(json.dumps({"type": "offer", "sdp": VP9_ONLY}))
    await until(lambda: notary.sent("error"))
    assert notary.sent("error")[0]["code"] == "media.sdp_unusable"
    resident = await join(room, "resident", "resident", shade=120)  # the room still works
    await until(lambda: resident.frames_from("notary") > 5)
    await notary.leave()
    await resident.leave()


async def test_only_roles_that_may_post_an_event_kind_post_it(room: SessionMedia) -> None:
    resident = await join(room, "wang", "resident")
    notary = await join(room, "notary", "notary")
    await until(lambda: resident.sent("welcome") and notary.sent("welcome"))
    ask = {"kind": "request_signature", "document_id": "poa", "signer": "wang"}
    resident.socket.to_server.put_nowait(json.dumps({"type": "event", "event": ask}))
    await until(lambda: resident.sent("error"))
    assert resident.sent("error")[0]["code"] == "media.event_not_allowed"
    notary.socket.to_server.put_nowait(json.dumps({"type": "event", "event": ask}))
    await until(lambda: len(room.events.entries) == 1)
    answer = {"kind": "consent_answer", "prompt_id": "p1", "given": True}
    resident.socket.to_server.put_nowait(json.dumps({"type": "event", "event": answer}))
    await until(lambda: len(room.events.entries) == 2)
    logged = [(e.participant, e.kind) for e in room.events.entries]
    assert logged == [("notary", "request_signature"), ("wang", "consent_answer")]
    await resident.leave()
    await notary.leave()


async def events_socket(
    room: SessionMedia, name: str, role: str
) -> tuple[Socket, list[dict[str, object]], asyncio.Task[None]]:
    """A member's signalling socket with no media behind it: what the room tells it."""
    socket, told = Socket(), []

    async def send(text: str) -> None:
        told.append(json.loads(text))

    return socket, told, asyncio.create_task(room.serve(name, role, socket.to_server.get, send))


def captions(told: list[dict[str, object]]) -> list[tuple[object, object]]:
    entries = [m["entry"] for m in told if m["type"] == "event"]
    return [(e["seq"], e["payload"]["text"]) for e in entries]  # type: ignore[index]


async def test_a_member_back_on_a_new_socket_gets_the_events_it_missed(room: SessionMedia) -> None:
    notary = await join(room, "notary", "notary")
    await until(lambda: notary.sent("welcome"))

    def say(text: str) -> None:
        caption = {"kind": "caption", "text": text, "lang": "zh"}
        notary.socket.to_server.put_nowait(json.dumps({"type": "event", "event": caption}))

    first, told, served = await events_socket(room, "wang", "resident")
    await until(lambda: told)
    say("一")  # reaches a member that has not offered any media yet
    await until(lambda: captions(told))
    first.close()  # the resident's socket drops ...
    await served
    say("二")  # ... and this is posted while it is away
    await until(lambda: len(room.events.entries) == 2)
    second, again, served = await events_socket(room, "wang", "resident")
    await until(lambda: again)
    second.to_server.put_nowait(json.dumps({"type": "resume", "since": 1}))
    await until(lambda: captions(again))
    say("三")
    await until(lambda: len(captions(again)) == 2)
    assert captions(told) == [(1, "一")]
    assert captions(again) == [(2, "二"), (3, "三")]  # what it missed, once, then the rest
    second.close()
    await served
    await notary.leave()


async def test_a_room_destroyed_behind_the_hubs_back_is_a_clear_error_then_made_again(
    plane: JanusPlane, site: JanusSite, clock: FixedClock
) -> None:
    failures: list[str] = []

    async def failed(code: str, detail: str) -> None:
        failures.append(code)

    room = plane.open_room("s1", events=EventLog("s1", clock), clock=clock, on_failure=failed)
    notary = await join(room, "notary", "notary")
    await until(lambda: notary.sent("answer"))
    async with aiohttp.ClientSession() as http:  # someone else removes the room
        other = await JanusSession(http, site.urls[0]).start()
        handle = await other.attach()
        await handle.send({"request": "destroy", "room": room.room_id})
        await other.close()
    await until(lambda: any(m["code"] == "media.room_gone" for m in notary.sent("error")))
    assert "media.room_gone" in failures
    assert notary.sent("rebuild")  # the page publishes again, which makes the room anew
    resident = await join(room, "resident", "resident", shade=60)
    await until(lambda: resident.frames_from("notary") > 5 and notary.frames_from("resident") > 5)
    await notary.leave()
    await resident.leave()
    await room.close()


async def test_a_lost_janus_instance_moves_the_session_to_another(
    tmp_path: Path, clock: FixedClock
) -> None:
    async with janus_site(tmp_path, instances=2) as site:
        plane = JanusPlane(site.urls, timeout=3.0, keepalive=1.0)
        await plane.start()
        failures: list[str] = []

        async def failed(code: str, detail: str) -> None:
            failures.append(code)

        room = plane.open_room("s1", events=EventLog("s1", clock), clock=clock, on_failure=failed)
        try:
            notary = await join(room, "notary", "notary")
            resident = await join(room, "resident", "resident", shade=60)
            await until(lambda: resident.frames_from("notary") > 10)
            first = room.instance
            os.kill(site.pids[site.urls.index(first or "")], signal.SIGKILL)
            await until(lambda: any(m["code"] == "media.room_gone" for m in notary.sent("error")))
            await until(lambda: room.instance not in (None, first), within=30)
            before = resident.frames_from("notary")
            await until(lambda: resident.frames_from("notary") > before + 10, within=30)
            assert "media.room_moved" in failures
        finally:
            await notary.leave()
            await resident.leave()
            await room.close()
            await plane.close()
