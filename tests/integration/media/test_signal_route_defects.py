"""The hub's signalling route: tokens admit a rejoin while the session runs and nothing after it
ends; signalling is rate-limited (refused with an error, the socket stays open)."""

from __future__ import annotations

import json
from datetime import timedelta
from pathlib import Path
from typing import Any

from aiohttp.test_utils import TestClient

from common.clock import FixedClock
from tests.helpers import service_app

from .test_hub_sessions import NOTARY, HeaderAuth, open_session


async def hub_on(aiohttp_client: Any, tmp_path: Path, clock: FixedClock) -> TestClient:
    import hub.app

    url = f"sqlite+aiosqlite:///{tmp_path / 'h.db'}"
    app, db = await service_app("hub", url, tmp_path, clock=clock)
    app = hub.app.create_app(
        app[hub.app.SETTINGS], clock=clock, database=db, authenticator=HeaderAuth()
    )
    return await aiohttp_client(app)  # type: ignore[no-any-return]


async def welcomed(client: TestClient, path: str) -> Any:
    ws = await client.ws_connect(path)
    assert json.loads((await ws.receive()).data)["type"] == "welcome"
    return ws


async def test_a_participant_rejoins_after_the_token_ttl_but_not_after_the_session_ends(
    aiohttp_client: Any, tmp_path: Path, clock: FixedClock
) -> None:
    client = await hub_on(aiohttp_client, tmp_path, clock)
    opened = await open_session(client)
    notary, node = (i["signal"] for i in opened["invitations"])
    ws = await welcomed(client, notary)
    await ws.close()
    clock.advance(timedelta(minutes=45))  # a long act: the invitation's ten minutes are over
    ws = await welcomed(client, notary)  # came back with the token of its URL
    await ws.close()
    late = await client.get(node)  # never joined: its invitation has expired
    assert late.status == 401 and (await late.json())["code"] == "media.token_expired"
    sid = opened["session_id"]
    body = {"participant": "notary-li", "role": "notary"}
    fresh = await client.post(f"/api/sessions/{sid}/invitations", json=body, headers=NOTARY)
    assert fresh.status == 201
    ended = await client.post(f"/api/sessions/{sid}/end", headers=NOTARY)
    assert ended.status == 200
    after = await client.get(notary)  # the rejoin ends with the session
    assert after.status == 401 and (await after.json())["code"] == "media.token_expired"
    unexpired = await client.get((await fresh.json())["signal"])
    assert unexpired.status == 404
    assert (await unexpired.json())["code"] == "media.session_not_live"


async def test_signalling_is_rate_limited_with_an_error_and_the_socket_stays_open(
    aiohttp_client: Any, tmp_path: Path, clock: FixedClock
) -> None:
    client = await hub_on(aiohttp_client, tmp_path, clock)
    opened = await open_session(client)
    ws = await welcomed(client, opened["invitations"][0]["signal"])
    caption = {"kind": "caption", "text": "请看第二页", "lang": "zh"}
    for _ in range(130):
        await ws.send_str(json.dumps({"type": "event", "event": caption}))
    # 120 a minute, the connection counted: 119 events kept (each comes back to the socket,
    # as to every member), 11 refused
    told = [json.loads((await ws.receive(timeout=10)).data) for _ in range(130)]
    refused = [m for m in told if m["type"] != "event"]
    assert len(refused) == 11 and len(told) - len(refused) == 119
    assert {(r["type"], r["code"]) for r in refused} == {("error", "rate.limited")}
    assert refused[0]["params"]["seconds"] >= 1
    assert await logged(client, opened["session_id"]) == 119
    again = await client.get(opened["invitations"][0]["signal"])  # connecting again too
    assert again.status == 429
    assert not ws.closed  # refused, not dropped: the page keeps its socket
    await ws.close()


async def logged(client: TestClient, session_id: str) -> int:
    shown = await client.get(f"/api/sessions/{session_id}", headers=NOTARY)
    return len((await shown.json())["events"])
