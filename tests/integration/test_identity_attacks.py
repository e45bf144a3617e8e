"""The attack suite: pictures and replays sent to the node as camera frames, each refused with
the check that refused it named in the signed decision, while a real head turn passes.

A genuine series turns the head in 3-D (the nose moves against the face outline); the attacks
are made from the same photo: held still, tilted in perspective with the eyes painted shut at
the right moments, moved smoothly across the frame while tilted, played out of order, and an
earlier genuine attempt's frames re-encoded, with a comment added, or rearranged to perform a
new challenge, by the same resident or by another one.
"""

from __future__ import annotations

import io
import struct
from pathlib import Path
from typing import Any

from PIL import Image

from common.clock import FixedClock
from media.face import FaceEngine
from tests import facedata as fd
from tests.integration.test_identity_node import (
    attempt,
    enrol,
    node,
    photo,
    send,
)
from tests.integration.test_identity_node import engine as engine  # the module's face engine


def reencoded(frames: list[bytes], quality: int = 70) -> list[bytes]:
    return [fd.jpeg(Image.open(io.BytesIO(f)), quality=quality) for f in frames]


def commented(frames: list[bytes]) -> list[bytes]:
    """The same JPEGs with a comment segment after the start marker: new bytes, same pixels."""
    text = b"edited"
    segment = b"\xff\xfe" + struct.pack(">H", len(text) + 2) + text
    return [f[:2] + segment + f[2:] for f in frames]


def drifting(
    challenge: list[str], *, posed: bool = True, who: str = "hanks"
) -> tuple[list[bytes], list[int]]:
    """A photo moved smoothly across the frame; ``posed``: also tilted to fake the turns, with
    the eyes painted shut for the blink."""
    sample = fd.face(who)
    names = ["open", "open"] + [p for a in challenge for p in fd.POSES[a]]
    frames = []
    for i, name in enumerate(names):
        base = fd.camera_frame(sample, dx=-0.1 + 0.2 * i / len(names), dy=0.02)
        frames.append(fd.jpeg(fd.pose(base, name, flat=True) if posed else base))
    return frames, [125 * i for i in range(len(names))]


async def verify(client, rid: str, make) -> dict[str, Any]:  # type: ignore[no-untyped-def]
    started = await attempt(client, rid)
    frames, times = make(started["challenge"])
    response = await send(client, rid, started["attempt_id"], frames, times)
    assert response.status == 200, await response.text()
    return dict((await response.json())["decision"])


async def test_every_attack_is_refused_by_a_named_check(
    aiohttp_client, db_url: str, tmp_path: Path, clock: FixedClock, engine: FaceEngine
) -> None:
    client, db = await node(aiohttp_client, db_url, tmp_path, clock, engine)
    assert (await enrol(client, "res-1")).status == 201
    assert (await enrol(client, "res-2", photo("hanks"))).status == 201
    assert (await enrol(client, "res-3", photo("t1_2"))).status == 201
    astronaut, hanks = fd.face("astronaut"), fd.face("hanks")
    kept: dict[str, Any] = {}

    def genuine(challenge: list[str]) -> tuple[list[bytes], list[int]]:
        frames, times = fd.live_series(astronaut, challenge, seed=21)
        kept["frames"], kept["times"], kept["challenge"] = frames, times, challenge
        return frames, times

    passed = await verify(client, "res-1", genuine)
    assert passed["accepted"] is True and passed["reason"] == "accepted", passed
    pad = passed["checks"]["presentation"]
    assert pad["status"] == "depth" and pad["parallax"] > pad["min_parallax"]
    assert passed["checks"]["replay"]["score"] is None or (
        passed["checks"]["replay"]["score"] > passed["checks"]["replay"]["limit"]
    )

    def replay(frames: list[bytes]):  # type: ignore[no-untyped-def]
        return lambda _challenge: (frames, kept["times"])

    def out_of_order(challenge: list[str]) -> tuple[list[bytes], list[int]]:
        frames, times = fd.live_series(hanks, challenge, seed=22)
        return [*frames[:2], *reversed(frames[2:])], times  # the actions come backwards

    def rearranged(challenge: list[str]) -> tuple[list[bytes], list[int]]:
        """The earlier genuine frames, their action blocks put in the order now asked."""
        old, blocks = kept["frames"], [a for a in kept["challenge"]]
        moved = [f for a in challenge for f in old[2 + 6 * blocks.index(a) :][:6]]
        return reencoded([*old[:2], *moved], quality=75), kept["times"]

    attacks = [
        ("res-1", lambda c: fd.live_series(astronaut, c, seed=23, still=True), "liveness"),
        ("res-1", lambda c: fd.live_series(astronaut, c, seed=24, flat=True), "presentation"),
        ("res-1", replay(reencoded(kept["frames"])), "replay"),
        ("res-1", replay(commented(kept["frames"])), "replay"),
        ("res-2", drifting, "presentation"),
        ("res-3", lambda c: drifting(c, posed=False, who="t1_2"), "liveness"),
        ("res-2", out_of_order, "liveness"),
        ("res-1", rearranged, "replay"),
        ("res-2", replay(reencoded(kept["frames"], quality=90)), "replay"),  # another resident
    ]
    expected = {
        "liveness": ("liveness_incomplete", "liveness_wrong_order"),
        "presentation": ("presentation_flat",),
        "replay": ("replay_content",),
    }
    for rid, make, check in attacks:
        decision = await verify(client, rid, make)
        assert decision["accepted"] is False and decision["reason"] in expected[check], (
            check,
            decision["reason"],
        )
        checks = decision["checks"]
        if check == "presentation":
            assert checks["presentation"]["parallax"] < checks["presentation"]["min_parallax"]
            assert checks["liveness"]["status"] == "passed"  # liveness alone would not refuse
        if check == "replay":
            assert checks["replay"]["score"] <= checks["replay"]["limit"]
        if check == "liveness":
            assert decision["reason"] == f"liveness_{checks['liveness']['status']}"
    await db.close()
