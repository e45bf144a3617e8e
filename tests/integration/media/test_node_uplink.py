"""Kiosk → node → hub: the node carries its kiosk to the hub over one connection per session."""

from __future__ import annotations

import asyncio
import json
from pathlib import Path
from typing import Any

import av
from aiohttp.test_utils import TestClient

from media import sha256_file
from tests.helpers import service_app

from .loopback import join_over, until
from .test_hub_sessions import NOTARY, HeaderAuth, hub_client, open_session

CLERK = {"X-Test-Role": "clerk"}


async def node_client(aiohttp_client: Any, tmp_path: Path, hub_url: str) -> TestClient:
    import overseas_node.app

    url = f"sqlite+aiosqlite:///{tmp_path / 'node.db'}"
    app, db = await service_app("node", url, tmp_path / "node", hub_url=hub_url)
    settings = app[overseas_node.app.SETTINGS]
    app = overseas_node.app.create_app(settings, database=db, authenticator=HeaderAuth())
    return await aiohttp_client(app)  # type: ignore[no-any-return]


async def test_kiosk_and_notary_see_each_other_through_the_node(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    hub = await hub_client(aiohttp_client, f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", tmp_path)
    node = await node_client(aiohttp_client, tmp_path, str(hub.make_url("")))
    opened = await open_session(hub)
    session_id = opened["session_id"]
    by_name = {i["participant"]: i for i in opened["invitations"]}

    refused = await node.post("/api/kiosk-sessions", json={}, headers=NOTARY)
    assert refused.status == 403  # only the branch's clerks start the kiosk
    started = await node.post(
        "/api/kiosk-sessions",
        json={
            "session_id": session_id,
            "hub_token": by_name["milan-node"]["token"],
            "participant": "kiosk-1",
        },
        headers=CLERK,
    )
    assert started.status == 201, await started.text()
    kiosk_invite = await started.json()

    notary = await join_over(hub, by_name["notary-li"]["signal"], "notary-li")
    kiosk = await join_over(node, kiosk_invite["signal"], "kiosk-1", shade=120)
    await until(
        lambda: notary.frames_from("milan-node") > 20 and kiosk.frames_from("notary-li") > 20,
        within=40,
    )
    shown = await (await node.get(f"/api/kiosk-sessions/{session_id}", headers=CLERK)).json()
    assert shown["uplink"] == "up" and shown["present"] == ["kiosk-1", "notary-li"]

    assert kiosk.peer.channel is not None
    await until(lambda: kiosk.peer.channel is not None and kiosk.peer.channel.readyState == "open")
    kiosk.peer.channel.send(
        json.dumps({"kind": "consent_answer", "prompt_id": "p1", "given": True})
    )
    await until(lambda: len(hub_room_events(hub, session_id)) == 1)
    await asyncio.sleep(0.3)

    node_end = await (
        await node.post(f"/api/kiosk-sessions/{session_id}/end", headers=CLERK)
    ).json()
    hub_end = await (await hub.post(f"/api/sessions/{session_id}/end", headers=NOTARY)).json()
    await notary.leave()
    await kiosk.leave()

    assert hub_end["events"][0]["kind"] == "consent_answer"
    assert hub_end["events"][0]["participant"] == "milan-node"
    assert ["notary-li/video", "milan-node/video"] == [
        t for t in hub_end["segments"][-1]["tracks"] if t.endswith("video")
    ]
    local = node_end["segments"]  # the node's own recording: its kiosk only
    assert local and all(s["tracks"] == ["kiosk-1/audio", "kiosk-1/video"] for s in local)
    path = tmp_path / "node" / "recordings" / session_id / local[-1]["file"]
    assert sha256_file(path) == local[-1]["sha256"]
    with av.open(str(path)) as container:
        assert container.duration is not None and container.duration > 0


def hub_room_events(hub: TestClient, session_id: str) -> list[Any]:
    from hub.sessions.live import LIVE

    room = hub.app[LIVE].rooms.get(session_id)
    return room.events.entries if room is not None else []


async def test_the_uplink_comes_back_after_its_socket_drops(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    from overseas_node.sessions.live import KIOSK

    hub = await hub_client(aiohttp_client, f"sqlite+aiosqlite:///{tmp_path / 'hub.db'}", tmp_path)
    node = await node_client(aiohttp_client, tmp_path, str(hub.make_url("")))
    opened = await open_session(hub)
    session_id = opened["session_id"]
    by_name = {i["participant"]: i for i in opened["invitations"]}
    started = await node.post(
        "/api/kiosk-sessions",
        json={
            "session_id": session_id,
            "hub_token": by_name["milan-node"]["token"],
            "participant": "kiosk-1",
        },
        headers=CLERK,
    )
    notary = await join_over(hub, by_name["notary-li"]["signal"], "notary-li")
    kiosk = await join_over(node, (await started.json())["signal"], "kiosk-1")
    await until(lambda: notary.frames_from("milan-node") > 10, within=40)
    uplink = node.app[KIOSK].get(session_id).uplink
    uplink.retry_delays = [0.2]
    from hub.sessions.live import LIVE

    room = hub.app[LIVE].room(session_id)
    before = room.members["milan-node"].link

    await uplink.reconnect()
    await until(lambda: uplink.connections == 2 and uplink.state == "up")
    assert [m["type"] for m in uplink.peer.messages].count("welcome") == 2
    frames_then = notary.frames_from("milan-node")
    # Either the hub saw the old socket end first (the node left and joined again) or the new
    # socket first (the node's connection is rebuilt under the same relayed track); either way
    # the notary receives the node again, over the node's new connection.
    await until(lambda: notary.frames_from("milan-node") > frames_then + 20, within=40)
    after = room.members["milan-node"].link
    assert after is not None and (after is not before or after.generation >= 1)

    await node.post(f"/api/kiosk-sessions/{session_id}/end", headers=CLERK)
    await hub.post(f"/api/sessions/{session_id}/end", headers=NOTARY)
    await notary.leave()
    await kiosk.leave()
