"""Kiosk → node → hub: the node carries its kiosk to the hub over one connection per session."""

from __future__ import annotations

import asyncio
import json
import shutil
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
    app, db = await service_app(
        "node", url, tmp_path / "node", hub_url=hub_url, link_interval_s=0.1, link_timeout_s=2.0
    )
    settings = app[overseas_node.app.SETTINGS]
    app = overseas_node.app.create_app(settings, database=db, authenticator=HeaderAuth())
    client = await aiohttp_client(app)
    # the hub knows the node by its public key (hub_client's data directory is tmp_path)
    (tmp_path / "keys").mkdir(exist_ok=True)
    shutil.copy(tmp_path / "node" / "keys" / "node-MIL.pub.pem", tmp_path / "keys")
    return client  # type: ignore[no-any-return]


async def node_audit(node: TestClient, action: str) -> list[dict[str, Any]]:
    from sqlalchemy import select

    from common.service import DB
    from overseas_node.db import audit_events

    async with node.app[DB].transaction() as tx:
        rows = await tx.execute(select(audit_events.c.entry).where(audit_events.c.action == action))
        return [json.loads(entry)["detail"] for entry in rows.scalars()]


async def node_audit_soon(node: TestClient, action: str) -> list[dict[str, Any]]:
    for _ in range(100):
        if found := await node_audit(node, action):
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"the node's audit log never recorded {action}")


async def crosscheck(hub: TestClient, session_id: str) -> dict[str, Any]:
    """The hub's view of the session once the branch's manifest has come and been compared."""
    found: dict[str, Any] = {}

    async def arrived() -> bool:
        found.update(await (await hub.get(f"/api/sessions/{session_id}", headers=NOTARY)).json())
        return found.get("crosscheck") is not None

    for _ in range(100):
        if await arrived():
            return found
        await asyncio.sleep(0.1)
    raise AssertionError(f"the branch's manifest never reached the hub: {found}")


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
    await until(
        lambda: [e.kind for e in hub_room_events(hub, session_id)].count("consent_answer") == 1
    )
    await asyncio.sleep(0.3)

    node_end = await (
        await node.post(f"/api/kiosk-sessions/{session_id}/end", headers=CLERK)
    ).json()
    hub_end = await (await hub.post(f"/api/sessions/{session_id}/end", headers=NOTARY)).json()
    await notary.leave()
    await kiosk.leave()

    answers = [e for e in hub_end["events"] if e["kind"] == "consent_answer"]
    assert [e["participant"] for e in answers] == ["milan-node"]
    # the hub recorded both sides while both were there (the node's departure at the end may
    # open one more segment, of the notary alone, before the hub ends the session)
    videos = [[t for t in s["tracks"] if t.endswith("video")] for s in hub_end["segments"]]
    assert ["notary-li/video", "milan-node/video"] in videos
    local = node_end["segments"]  # the node's own recording: its kiosk only
    assert local and all(s["tracks"] == ["kiosk-1/audio", "kiosk-1/video"] for s in local)
    path = tmp_path / "node" / "recordings" / session_id / local[-1]["file"]
    assert sha256_file(path) == local[-1]["sha256"]
    with av.open(str(path)) as container:
        assert container.duration is not None and container.duration > 0

    # The branch's manifest reaches the hub once the hub's recording is done (the hub answered
    # "pending" until then) and agrees with what the node announced while the session ran.
    checked = (await crosscheck(hub, session_id))["crosscheck"]
    assert checked["agree"] and checked["disagreements"] == []
    sent = [s["sha256"] for s in checked["branch_manifest"]["segments"]]
    assert sent == [s["sha256"] for s in local]
    kept = await node_audit_soon(node, "media.hub_manifest")  # the node keeps the hub's too
    assert [w["sha256"] for w in kept[0]["witnessed"]] == sent
    assert await node_audit(node, "media.recordings_disagree") == []


async def notary_and_kiosk(aiohttp_client: Any, tmp_path: Path) -> tuple[Any, ...]:
    """A hub session with the notary at the hub and the kiosk at the node, both seen."""
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
    return hub, node, session_id, notary, kiosk


def hub_room_events(hub: TestClient, session_id: str) -> list[Any]:
    from hub.sessions.live import LIVE

    room = hub.app[LIVE].rooms.get(session_id)
    return room.events.entries if room is not None else []


async def test_the_uplink_comes_back_after_its_socket_drops(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    from overseas_node.sessions.live import KIOSK

    hub, node, session_id, notary, kiosk = await notary_and_kiosk(aiohttp_client, tmp_path)
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


async def test_a_segment_changed_at_the_branch_is_flagged_by_the_hub_and_the_branch(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    hub, node, session_id, notary, kiosk = await notary_and_kiosk(aiohttp_client, tmp_path)
    await kiosk.leave()  # the kiosk's segment closes and is announced to the hub
    await until(lambda: any(e.kind == "segment_closed" for e in hub_room_events(hub, session_id)))
    segment = (await node_audit(node, "media.segment_closed"))[0]
    path = tmp_path / "node" / "recordings" / session_id / segment["file"]
    data = bytearray(path.read_bytes())
    data[len(data) // 2] ^= 0xFF  # the branch's file no longer is what it recorded
    path.write_bytes(bytes(data))

    await hub.post(f"/api/sessions/{session_id}/end", headers=NOTARY)
    await node.post(f"/api/kiosk-sessions/{session_id}/end", headers=CLERK)
    await notary.leave()

    checked = (await crosscheck(hub, session_id))["crosscheck"]
    assert not checked["agree"]
    assert checked["disagreements"] == [
        {
            "index": segment["index"],
            "problem": "hash_differs",
            "hub_sha256": segment["sha256"],
            "branch_sha256": sha256_file(path),
        }
    ]
    flagged = await node_audit_soon(node, "media.recordings_disagree")
    assert [d["index"] for d in flagged[0]["disagreements"]] == [segment["index"]]
