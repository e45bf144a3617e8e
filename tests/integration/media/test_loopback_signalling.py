"""Signalling and in-session events over loopback: refusals, a frame tap, the event log."""

from __future__ import annotations

import asyncio
import json
from datetime import timedelta

import pytest
from av import VideoFrame

from common.clock import FixedClock
from media import EventLog, FrameTap, MediaRoom, SamplingPolicy, TokenIssuer, TokenRejected
from media.events import Caption, ShowPage

from .loopback import join, until


def room_without_recorder(clock: FixedClock, entries: list[dict[str, object]]) -> MediaRoom:
    async def sink(entry: object) -> None:
        entries.append(entry.as_json())  # type: ignore[attr-defined]

    return MediaRoom("s1", ice_servers=[], events=EventLog("s1", clock, sink=sink))


UNUSABLE_OFFER = (  # well formed, but no peer could connect with it (no rtcp-mux, no codec)
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 99\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendrecv\r\n"
    "a=rtpmap:99 FOO/8000\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef0123456789\r\n"
    "a=fingerprint:sha-256 " + ":".join(["AB"] * 32) + "\r\na=setup:actpass\r\n"
)


async def test_malformed_sdp_is_refused_and_the_member_can_still_join(clock: FixedClock) -> None:
    room = room_without_recorder(clock, [])
    notary = await join(room, "notary", "notary")
    await until(lambda: notary.sent("answer"))
    for bad in (
        json.dumps({"type": "offer", "sdp": "v=0\r\nthis is not sdp\r\n"}),
        json.dumps({"type": "offer", "sdp": "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n"}),
        json.dumps({"type": "offer"}),
        "{not json",
        json.dumps({"type": "offer", "sdp": "v=0\r\n" + "a=x\r\n" * 40_000}),
        json.dumps({"type": "offer", "sdp": UNUSABLE_OFFER}),
    ):
        notary.socket.to_server.put_nowait(bad)
    await until(lambda: len(notary.sent("error")) == 6)
    codes = [m["code"] for m in notary.sent("error")]
    assert codes == [
        "media.sdp_malformed",
        "media.sdp_malformed",
        "media.message_invalid",
        "media.message_not_json",
        "media.message_too_large",
        "media.sdp_unusable",
    ]
    resident = await join(room, "resident")  # the room still works after the refusals
    await until(lambda: notary.frames_from("resident") > 5)
    await room.close()
    await notary.leave()
    await resident.leave()


def test_a_token_for_one_session_does_not_open_another(clock: FixedClock) -> None:
    issuer = TokenIssuer(b"k" * 32, clock, ttl=timedelta(minutes=5))
    token = issuer.issue("session-a", "resident", "wang")
    assert issuer.verify(token, "session-a").participant == "wang"
    with pytest.raises(TokenRejected) as wrong:
        issuer.verify(token, "session-b")
    assert wrong.value.code == "media.token_wrong_session"
    forged = TokenIssuer(b"x" * 32, clock).issue("session-a", "notary", "wang")
    with pytest.raises(TokenRejected) as bad:
        issuer.verify(forged, "session-a")
    assert bad.value.code == "media.token_invalid"
    clock.advance(timedelta(minutes=5))
    with pytest.raises(TokenRejected) as late:
        issuer.verify(token, "session-a")
    assert late.value.code == "media.token_expired"


async def test_frame_tap_samples_a_slow_consumer_while_the_call_keeps_its_rate(
    clock: FixedClock,
) -> None:
    room = room_without_recorder(clock, [])
    notary = await join(room, "notary", "notary")
    await until(lambda: notary.sent("answer"))
    resident = await join(room, "resident")
    await until(lambda: notary.frames_from("resident") > 5)
    seen: list[tuple[int, int]] = []

    async def slow_face_check(frame: VideoFrame) -> None:
        seen.append((frame.width, frame.height))
        await asyncio.to_thread(lambda: __import__("time").sleep(0.4))  # a face model's pace

    async def call_rate() -> float:
        before = notary.frames_from("resident")
        await asyncio.sleep(2.0)
        return (notary.frames_from("resident") - before) / 2.0

    untapped = await call_rate()
    video = next(t for t in room.relay.subscribe("resident") if t.kind == "video")
    tap = FrameTap(video, slow_face_check, SamplingPolicy(every_nth=1, max_per_second=10))
    tap.start()
    tapped = await call_rate()
    await tap.stop()
    await room.close()
    await notary.leave()
    await resident.leave()
    delivered = tap.counts.delivered
    assert 2 <= delivered <= 7  # about one per 0.4 s (fewer on a busy machine), not every frame
    assert tap.counts.dropped_busy > delivered  # frames went by while the consumer was busy
    assert seen[0] == (320, 240)
    # the call did not slow down to the consumer's pace (2.5 a second): noise aside, it kept
    # most of its own rate
    assert tapped >= 0.5 * untapped and tapped > 4 * delivered / 2.0


async def test_data_channel_events_reach_everyone_and_the_log(clock: FixedClock) -> None:
    entries: list[dict[str, object]] = []
    room = room_without_recorder(clock, entries)
    notary = await join(room, "notary", "notary")
    await until(lambda: notary.sent("answer"))
    resident = await join(room, "resident")
    await until(lambda: resident.frames_from("notary") > 5 and notary.peer.channel is not None)
    got: list[dict[str, object]] = []

    async def on_event(event: dict[str, object]) -> None:
        got.append(event)

    resident.peer.on_event = on_event
    await until(
        lambda: notary.peer.channel is not None and notary.peer.channel.readyState == "open"
    )
    assert notary.peer.channel is not None
    notary.peer.channel.send(
        ShowPage(kind="show_page", document_id="poa-1", page=2).model_dump_json()
    )
    notary.peer.channel.send('{"kind": "show_page", "page": -1}')
    await room.post_event("notary", Caption(kind="caption", text="请看第二页", lang="zh"))
    await until(lambda: len(got) == 2)
    await room.close()
    await notary.leave()
    await resident.leave()
    assert sorted(e["kind"] for e in got) == ["caption", "show_page"]
    page = next(e for e in got if e["kind"] == "show_page")
    assert page["participant"] == "notary"
    assert page["payload"] == {"document_id": "poa-1", "page": 2}
    assert [e["seq"] for e in entries] == [1, 2]  # the refused event was not logged
    assert [e["kind"] for e in entries] == [e["kind"] for e in sorted(got, key=lambda e: e["seq"])]
    assert entries[0]["at"] == clock.now().isoformat()
