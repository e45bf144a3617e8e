"""Two and three aiortc participants in one process, through a MediaRoom, recorded."""

from __future__ import annotations

import asyncio
from pathlib import Path

import av
import pytest

from common.clock import FixedClock
from media import EventLog, MediaRoom, SessionRecorder, sha256_file

from .loopback import join, until


def make_room(tmp_path: Path, clock: FixedClock) -> MediaRoom:
    return MediaRoom(
        "s1",
        ice_servers=[],
        events=EventLog("s1", clock),
        recorder=SessionRecorder(tmp_path, "s1"),
    )


async def test_two_parties_see_each_other_and_the_recording_has_both(
    tmp_path: Path, clock: FixedClock
) -> None:
    room = make_room(tmp_path, clock)
    notary = await join(room, "notary", "notary")
    await until(lambda: notary.sent("answer"))
    resident = await join(room, "resident", shade=200)
    await until(lambda: notary.frames_from("resident") > 30 and resident.frames_from("notary") > 30)
    await asyncio.sleep(1.0)
    segments = await room.close()
    await notary.leave()
    await resident.leave()

    both = segments[-1]
    assert both.tracks == ("notary/audio", "notary/video", "resident/audio", "resident/video")
    assert both.sha256 == sha256_file(both.path)
    with av.open(str(both.path)) as container:
        kinds = sorted(s.type for s in container.streams)
        assert kinds == ["audio", "audio", "video", "video"]
        assert container.duration is not None
        seconds = container.duration / 1e6
        video = container.streams.video[0]
        decoded = sum(1 for _ in container.decode(video))
    assert seconds >= 1.5
    assert decoded >= 10 * seconds
    assert (video.codec_context.width, video.codec_context.height) == (640, 480)


async def test_three_parties_each_receive_the_other_two(tmp_path: Path, clock: FixedClock) -> None:
    room = make_room(tmp_path, clock)
    mediator = await join(room, "mediator", "mediator")
    await until(lambda: mediator.sent("answer"))
    milan = await join(room, "milan", shade=80)
    await until(lambda: milan.sent("answer"))
    prato = await join(room, "prato", shade=160)
    parties = [mediator, milan, prato]
    await until(
        lambda: all(p.frames_from(o.name) > 10 for p in parties for o in parties if o is not p),
        within=40,
    )
    segments = await room.close()
    for party in parties:
        await party.leave()
    assert len(segments[-1].tracks) == 6


async def test_a_party_that_leaves_is_gone_for_the_others_and_the_segment_closes(
    tmp_path: Path, clock: FixedClock
) -> None:
    room = make_room(tmp_path, clock)
    notary = await join(room, "notary", "notary")
    await until(lambda: notary.sent("answer"))
    resident = await join(room, "resident")
    await until(lambda: notary.frames_from("resident") > 10)
    await resident.leave()  # the tab closes: socket and connection gone without a word
    await until(lambda: notary.sent("peer-left"))
    assert notary.sent("peer-left")[-1]["participant"] == "resident"
    assert "resident" not in room.members
    frames_then = notary.frames_from("resident")
    await asyncio.sleep(0.5)
    assert notary.frames_from("resident") == frames_then
    segments = await room.close()
    await notary.leave()
    with_resident = [s for s in segments if "resident/video" in s.tracks]
    assert with_resident and segments[-1].tracks == ("notary/audio", "notary/video")
    for segment in segments:  # every segment was closed cleanly: it opens and decodes
        with av.open(str(segment.path)) as container:
            assert sum(1 for _ in container.decode(video=0)) > 0


async def test_a_failed_connection_is_rebuilt_and_recording_continues_in_a_new_segment(
    tmp_path: Path, clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    import aioice.ice
    import aioice.stun

    # Consent checks every 0.2 s that time out after 0.1 s: a dead path is noticed in ~2 s.
    monkeypatch.setattr(aioice.ice, "CONSENT_INTERVAL", 0.2)
    monkeypatch.setattr(aioice.stun, "RETRY_RTO", 0.1)
    room = make_room(tmp_path, clock)
    notary = await join(room, "notary", "notary")
    await until(lambda: notary.sent("answer"))
    resident = await join(room, "resident")
    await until(lambda: notary.frames_from("resident") > 10)
    segments_before = len(room.recorder.segments) if room.recorder else 0
    link = room.members["resident"].link
    assert link is not None and resident.peer.link is not None
    for transceiver in resident.peer.link.pc.getTransceivers()[:1]:  # the path dies silently
        await transceiver.receiver.transport.transport.stop()
    await until(lambda: resident.sent("rebuild"), within=30)
    await until(lambda: link.generation == 1 and link.pc.connectionState == "connected")
    frames_then = notary.frames_from("resident")
    await until(lambda: notary.frames_from("resident") > frames_then + 20)
    assert link.drops == 1
    assert link.history(generation=0)[-1] in {"failed", "closed"}
    assert link.history(generation=1)[-1] == "connected"
    segments = await room.close()
    await notary.leave()
    await resident.leave()
    assert len(segments) >= segments_before + 2
    assert segments[-1].tracks == (
        "notary/audio",
        "notary/video",
        "resident/audio",
        "resident/video",
    )
    assert len({s.sha256 for s in segments}) == len(segments)
