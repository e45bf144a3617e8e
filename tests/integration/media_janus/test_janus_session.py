"""Sessions on Janus: parties see each other through the VideoRoom, Janus records each stream."""

from __future__ import annotations

from pathlib import Path

import av

from common.clock import FixedClock
from media import EventLog
from media.janus import JanusPlane, JanusRoom

from ..media.loopback import join, until


def make_room(plane: JanusPlane, tmp_path: Path, clock: FixedClock) -> JanusRoom:
    directory = tmp_path / "recordings"
    directory.mkdir()
    return plane.open_room("s1", events=EventLog("s1", clock), clock=clock, directory=directory)


async def test_two_parties_see_each_other_and_janus_records_both(
    plane: JanusPlane, tmp_path: Path, clock: FixedClock
) -> None:
    room = make_room(plane, tmp_path, clock)
    notary = await join(room, "notary", "notary")
    resident = await join(room, "resident", "resident", shade=200)
    await until(lambda: notary.frames_from("resident") > 30 and resident.frames_from("notary") > 30)
    streams = await room.close()
    await notary.leave()
    await resident.leave()

    named = sorted((s.participant, s.role, s.kind) for s in streams)
    assert named == [
        ("notary", "notary", "audio"),
        ("notary", "notary", "video"),
        ("resident", "resident", "audio"),
        ("resident", "resident", "video"),
    ]
    video = next(s for s in streams if s.participant == "resident" and s.kind == "video")
    with av.open(str(video.path)) as container:
        decoded = sum(1 for _ in container.decode(container.streams.video[0]))
    assert decoded > 20
    assert not list(video.path.parent.glob("*.mjr"))


async def test_three_parties_each_receive_the_other_two(
    plane: JanusPlane, tmp_path: Path, clock: FixedClock
) -> None:
    room = make_room(plane, tmp_path, clock)
    mediator = await join(room, "mediator", "mediator")
    milan = await join(room, "milan", shade=80)
    prato = await join(room, "prato", shade=160)
    parties = (mediator, milan, prato)
    await until(
        lambda: all(p.frames_from(o.name) > 10 for p in parties for o in parties if o is not p)
    )
    streams = await room.close()
    for party in parties:
        await party.leave()
    assert sorted({s.participant for s in streams}) == ["mediator", "milan", "prato"]
    assert len(streams) == 6
