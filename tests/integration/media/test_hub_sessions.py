"""The hub's video sessions through its real app: access, signalling over WebSocket, evidence."""

from __future__ import annotations

import asyncio
import hashlib
import json
from pathlib import Path
from typing import Any

import aiohttp
import av
from aiohttp import web
from aiohttp.test_utils import TestClient
from sqlalchemy import func, select

from common.access import Principal, Role
from common.service import CLOCK, DB
from hub.notarization.tables import notarial_acts
from hub.sessions.tables import VideoSession
from tests.helpers import booked_act_form, open_sealed_recording, service_app

from .loopback import join_over, until


class HeaderAuth:
    """Test-only: the role comes from a header. The product authenticates for real."""

    async def authenticate(self, request: web.Request) -> Principal | None:
        role = request.headers.get("X-Test-Role")
        who = request.headers.get("X-Test-Subject", f"{role}-1")
        branch = request.headers.get("X-Test-Branch")
        return Principal(subject=who, role=Role(role), branch=branch) if role else None


NOTARY = {"X-Test-Role": "notary", "X-Test-Subject": "notary.wz"}  # the act's notary


async def hub_client(aiohttp_client: Any, url: str, tmp_path: Path) -> TestClient:
    import hub.app

    app, _db = await service_app("hub", url, tmp_path)
    settings = app[hub.app.SETTINGS]
    app = hub.app.create_app(settings, database=_db, authenticator=HeaderAuth())
    return await aiohttp_client(app)  # type: ignore[no-any-return]


async def act_number(client: TestClient) -> str:
    """The number of the notarial act the tests' sessions belong to: opened once per hub, by
    the branch clerk on the booking the demo seeding made (a session names a real act)."""
    db = client.app[DB]
    async with db.transaction() as tx:
        number = await tx.scalar(select(notarial_acts.c.number).limit(1))
    if number is None:
        form = await booked_act_form(db, client.app[CLOCK].now())
        clerk = {"X-Test-Role": "clerk", "X-Test-Subject": "clerk.milan", "X-Test-Branch": "MIL"}
        opened = await client.post("/api/notarizations", json=form, headers=clerk)
        assert opened.status == 201, await opened.text()
        number = (await opened.json())["number"]
    return str(number)


async def open_session(client: TestClient, **body: Any) -> dict[str, Any]:
    payload = {
        "case_id": await act_number(client),
        "kind": "notarization",
        "participants": [
            {"participant": "notary-li", "role": "notary"},
            {"participant": "milan-node", "role": "node"},
        ],
        **body,
    }
    response = await client.post("/api/sessions", json=payload, headers=NOTARY)
    assert response.status == 201, await response.text()
    return await response.json()  # type: ignore[no-any-return]


async def snapshot_then_end(client: TestClient, session_id: str, who: str) -> dict[str, Any]:
    """The notary takes a picture of ``who`` (through the hub's frame tap), then ends the
    session; the ended session as the API shows it."""
    snapshot = await client.get(
        f"/api/sessions/{session_id}/participants/{who}/snapshot", headers=NOTARY
    )
    assert snapshot.status == 200 and snapshot.content_type == "image/jpeg"
    await asyncio.sleep(0.5)
    ended = await client.post(f"/api/sessions/{session_id}/end", headers=NOTARY)
    assert ended.status == 200
    return await ended.json()  # type: ignore[no-any-return]


async def test_only_hosts_open_sessions_and_bad_requests_store_nothing(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    client = await hub_client(aiohttp_client, db_url, tmp_path)
    body = {
        "case_id": "C1",
        "kind": "mediation",
        "participants": [{"participant": "a", "role": "mediator"}],
    }
    assert (await client.post("/api/sessions", json=body)).status == 401
    resident = {"X-Test-Role": "resident"}
    assert (await client.post("/api/sessions", json=body, headers=resident)).status == 403
    twice = {**body, "participants": body["participants"] * 2}
    refused = await client.post("/api/sessions", json=twice, headers=NOTARY)
    assert refused.status == 422
    assert (await refused.json())["code"] == "request.invalid"
    opened = await open_session(client)
    shown = await client.get(f"/api/sessions/{opened['session_id']}", headers=NOTARY)
    found = await shown.json()
    assert found["case_id"] == await act_number(client) and found["state"] == "open"
    assert found["segments"] == [] and found["events"] == []
    assert {i["participant"] for i in opened["invitations"]} == {"notary-li", "milan-node"}


async def test_a_token_for_one_session_cannot_join_another(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    client = await hub_client(aiohttp_client, f"sqlite+aiosqlite:///{tmp_path / 'h.db'}", tmp_path)
    first = await open_session(client)
    second = await open_session(client)
    token = first["invitations"][0]["token"]
    response = await client.get(f"/api/sessions/{second['session_id']}/signal?token={token}")
    assert response.status == 401
    problem = await response.json()
    assert problem["code"] == "media.token_wrong_session"
    response = await client.get(
        f"/api/sessions/{first['session_id']}/signal?token=x", headers={"Accept-Language": "it"}
    )
    assert (await response.json())["title"] == "Questo invito non è valido."


async def test_two_participants_over_websockets_are_recorded_hashed_and_logged(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    client = await hub_client(aiohttp_client, f"sqlite+aiosqlite:///{tmp_path / 'h.db'}", tmp_path)
    opened = await open_session(client)
    session_id = opened["session_id"]
    by_name = {i["participant"]: i for i in opened["invitations"]}
    notary = await join_over(client, by_name["notary-li"]["signal"], "notary-li")
    node = None
    try:
        await until(lambda: notary.sent("answer"))
        node = await join_over(client, by_name["milan-node"]["signal"], "milan-node", shade=90)
        await until(
            lambda: notary.frames_from("milan-node") > 20 and node.frames_from("notary-li") > 20
        )

        assert notary.ws is not None
        await notary.ws.send_str(json.dumps({"type": "offer", "sdp": "v=0\r\nnonsense\r\n"}))
        await notary.ws.send_str(
            json.dumps(
                {"type": "event", "event": {"kind": "show_page", "document_id": "poa", "page": 1}}
            )
        )
        await until(lambda: notary.sent("error"))
        assert notary.sent("error")[0]["code"] == "media.sdp_malformed"
        found = await snapshot_then_end(client, session_id, "milan-node")
    finally:
        await notary.leave()
        if node is not None:
            await node.leave()
    assert found["state"] == "ended"
    assert [e["kind"] for e in found["events"]] == ["show_page"]
    assert found["events"][0]["participant"] == "notary-li"
    last = found["segments"][-1]
    assert last["tracks"] == [
        "notary-li/audio",
        "notary-li/video",
        "milan-node/audio",
        "milan-node/video",
    ]
    plain, failures = open_sealed_recording(tmp_path, session_id, last["file"])
    assert failures == []  # sealed: hash signed by the hub seal, encrypted at rest
    assert hashlib.sha256(plain).hexdigest() == last["sha256"]
    path = tmp_path / "check.mkv"
    path.write_bytes(plain)
    with av.open(str(path)) as container:
        assert len(container.streams.video) == 2 and len(container.streams.audio) == 2
    again = await client.post(f"/api/sessions/{session_id}/end", headers=NOTARY)
    assert again.status == 409
    assert (await again.json())["code"] == "media.session_ended"


async def test_the_session_page_and_client_are_served_in_three_languages(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    client = await hub_client(aiohttp_client, f"sqlite+aiosqlite:///{tmp_path / 'h.db'}", tmp_path)
    for lang, words in (("zh", "静音"), ("en", "Mute"), ("it", "Disattivi")):
        page = await client.get(f"/media/session?session=abc&token=t&lang={lang}")
        assert page.status == 200
        html = await page.text()
        assert words in html and '"iceServers": []' in html
    script = await client.get("/media/static/media-session.js")
    assert script.status == 200 and "RTCPeerConnection" in await script.text()


async def test_an_oversized_signalling_message_is_refused_and_the_socket_stays_usable(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    client = await hub_client(aiohttp_client, f"sqlite+aiosqlite:///{tmp_path / 'h.db'}", tmp_path)
    opened = await open_session(client)
    ws = await client.ws_connect(opened["invitations"][0]["signal"])
    welcome = json.loads((await ws.receive()).data)
    assert welcome["type"] == "welcome" and welcome["you"] == "notary-li"
    await ws.send_str(json.dumps({"type": "candidate", "candidate": "x" * 200_000}))
    refused = json.loads((await ws.receive()).data)
    assert refused["code"] == "media.message_too_large"
    await ws.send_str(json.dumps({"type": "leave"}))
    closed = await ws.receive()
    assert closed.type in {aiohttp.WSMsgType.CLOSE, aiohttp.WSMsgType.CLOSED}
    await ws.close()


async def test_a_session_is_out_of_reach_of_hosts_not_on_its_act(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    """Another notary, a mediator or an officer not on the act gets 404 on every session route."""
    client = await hub_client(aiohttp_client, db_url, tmp_path)
    opened = await open_session(client)
    sid = opened["session_id"]
    invitee = {"participant": "intruder", "role": "notary"}
    outsiders = [
        {"X-Test-Role": "notary", "X-Test-Subject": "notary-2"},
        {"X-Test-Role": "mediator"},
        {"X-Test-Role": "officer"},
    ]
    for headers in outsiders:
        calls = [
            ("GET", f"/api/sessions/{sid}", None),
            ("POST", f"/api/sessions/{sid}/invitations", invitee),
            ("GET", f"/api/sessions/{sid}/participants/milan-node/snapshot", None),
            ("POST", f"/api/sessions/{sid}/end", None),
        ]
        for method, path, body in calls:
            response = await client.request(method, path, json=body, headers=headers)
            assert response.status == 404, (headers, response.url, response.status)
            assert (await response.json())["code"] == "media.session_unknown"
    # nor can they open a session of their own on the act, or on an act that does not exist
    body = {"kind": "notarization", "participants": [invitee]}
    number = await act_number(client)
    for headers, number in [*((h, number) for h in outsiders), (NOTARY, "N1")]:
        taken = await client.post(
            "/api/sessions", json={**body, "case_id": number}, headers=headers
        )
        assert taken.status == 404, (headers, number, taken.status)
        assert (await taken.json())["code"] == "media.no_record"
    async with client.app[DB].transaction() as tx:
        assert await tx.scalar(select(func.count()).select_from(VideoSession)) == 1
    shown = await client.get(f"/api/sessions/{sid}", headers=NOTARY)
    assert shown.status == 200 and (await shown.json())["state"] == "open"
    audited = await client.get(f"/api/sessions/{sid}", headers={"X-Test-Role": "auditor"})
    assert audited.status == 200
    fresh = await client.post(f"/api/sessions/{sid}/invitations", json=invitee, headers=NOTARY)
    assert fresh.status == 201
