"""The platform simulator's contract: signatures, idempotency, asynchronous status, faults."""

from __future__ import annotations

import asyncio
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from tests.govnet_support import CallbackSink, body_of, hub_key, signed_headers, simulator

PATH = "/api/v1/cases"


def _url(client: Any, path: str) -> str:
    return str(client.make_url(path))


async def _setup(aiohttp_client, aiohttp_server, db_url: str, tmp_path: Path, **kw: Any):
    sink = CallbackSink(tmp_path)
    server = await aiohttp_server(sink.app())
    app = await simulator(db_url, tmp_path, callback_url=str(server.make_url("/cb")), **kw)
    client = await aiohttp_client(app)
    return client, hub_key(tmp_path), sink


async def _post(client, key, doc: dict[str, Any], idem: str | None, **kw: Any):
    body = body_of(doc)
    return await client.post(
        PATH,
        data=body,
        headers=signed_headers(key, "POST", _url(client, PATH), body, idempotency_key=idem, **kw),
    )


async def test_idempotency_rules(aiohttp_client, aiohttp_server, db_url, tmp_path) -> None:
    client, key, _ = await _setup(aiohttp_client, aiohttp_server, db_url, tmp_path)
    doc = {"reference": "WC-1", "item": "hukou"}

    missing = await _post(client, key, doc, None)
    assert missing.status == 400
    assert (await missing.json())["code"] == "idempotency.missing"

    first = await _post(client, key, doc, "k-1")
    assert first.status == 201
    answer = await first.json()
    assert answer["status"] == "received" and answer["case_no"].startswith("ZJ")

    again = await _post(client, key, doc, "k-1")
    assert again.status == 201 and await again.json() == answer
    assert again.headers["Idempotent-Replayed"] == "true"

    other = await _post(client, key, {**doc, "item": "marriage"}, "k-1")
    assert other.status == 422
    assert (await other.json())["code"] == "idempotency.mismatch"

    invalid = await _post(client, key, {"no": "reference"}, "k-2")
    assert invalid.status == 422 and (await invalid.json())["code"] == "request.invalid"


async def test_same_key_while_the_first_is_in_flight_is_409(
    aiohttp_client, aiohttp_server, db_url, tmp_path
) -> None:
    client, key, _ = await _setup(
        aiohttp_client, aiohttp_server, db_url, tmp_path, fault_slow_rate=1.0, fault_slow_s=0.6
    )
    doc = {"reference": "WC-2"}
    slow = asyncio.create_task(_post(client, key, doc, "k-slow"))
    await asyncio.sleep(0.2)
    busy = await _post(client, key, doc, "k-slow")
    assert busy.status == 409 and (await busy.json())["code"] == "idempotency.in_flight"
    assert (await slow).status == 201


async def test_stale_replayed_tampered_and_unknown_signatures_are_refused(
    aiohttp_client, aiohttp_server, db_url, tmp_path
) -> None:
    client, key, _ = await _setup(aiohttp_client, aiohttp_server, db_url, tmp_path)
    body = body_of({"reference": "WC-3"})

    stale = signed_headers(
        key,
        "POST",
        _url(client, PATH),
        body,
        idempotency_key="s",
        created=datetime.now(UTC) - timedelta(minutes=10),
    )
    resp = await client.post(PATH, data=body, headers=stale)
    assert resp.status == 401 and "stale" in (await resp.json())["title"]

    good = signed_headers(key, "POST", _url(client, PATH), body, idempotency_key="r")
    assert (await client.post(PATH, data=body, headers=good)).status == 201
    replay = await client.post(PATH, data=body, headers=good)
    assert replay.status == 401 and "replayed" in (await replay.json())["title"]

    fresh = signed_headers(key, "POST", _url(client, PATH), body, idempotency_key="t")
    tampered = await client.post(PATH, data=body_of({"reference": "WC-EVIL"}), headers=fresh)
    assert tampered.status == 401

    stranger = signed_headers(
        Ed25519PrivateKey.generate(), "POST", _url(client, PATH), body, idempotency_key="u"
    )
    assert (await client.post(PATH, data=body, headers=stranger)).status == 401
    unsigned = await client.post(PATH, data=body, headers={"Idempotency-Key": "v"})
    assert unsigned.status == 401
    assert (await unsigned.json())["code"] == "signature.refused"


async def _wait_for(predicate, within: float = 10.0) -> None:
    deadline = asyncio.get_running_loop().time() + within
    while not predicate():
        assert asyncio.get_running_loop().time() < deadline, "timed out waiting"
        await asyncio.sleep(0.05)


async def test_cases_move_on_and_signed_callbacks_report_each_status(
    aiohttp_client, aiohttp_server, db_url, tmp_path
) -> None:
    client, key, sink = await _setup(aiohttp_client, aiohttp_server, db_url, tmp_path)
    case_no = (await (await _post(client, key, {"reference": "WC-4"}, "k-4")).json())["case_no"]
    await _wait_for(lambda: len(sink.events) >= 2)
    statuses = [(e["status"], e["version"]) for e in sink.events]
    assert statuses[0] == ("in_process", 2)
    assert statuses[1][0] in {"completed", "returned"} and statuses[1][1] == 3
    assert sink.refused == 0

    path = f"/api/v1/cases/{case_no}"
    polled = await client.get(path, headers=signed_headers(key, "GET", _url(client, path), b""))
    assert polled.status == 200
    assert (await polled.json())["status"] == statuses[1][0]
    query = body_of({"references": ["WC-4", "WC-none"]})
    found = await (
        await client.post(
            "/api/v1/cases/query",
            data=query,
            headers=signed_headers(key, "POST", _url(client, "/api/v1/cases/query"), query),
        )
    ).json()
    assert [c["case_no"] for c in found["cases"]] == [case_no]
    assert found["unknown"] == ["WC-none"]


async def test_fault_switches(aiohttp_client, aiohttp_server, db_url, tmp_path) -> None:
    client, key, sink = await _setup(aiohttp_client, aiohttp_server, db_url, tmp_path)
    bad = await client.put("/api/v1/admin/faults", json={"error_rate": 0.7, "timeout_rate": 0.5})
    assert bad.status == 422

    await client.put("/api/v1/admin/faults", json={"error_rate": 1.0})
    failed = await _post(client, key, {"reference": "WC-5"}, "k-5")
    assert failed.status == 503
    await client.put("/api/v1/admin/faults", json={"duplicate_callback_rate": 1.0})
    ok = await _post(client, key, {"reference": "WC-5"}, "k-5")
    assert ok.status == 201 and "Idempotent-Replayed" not in ok.headers  # nothing was kept
    await _wait_for(lambda: len(sink.events) >= 4)
    ids = [e["event_id"] for e in sink.events]
    assert len(ids) == 4 and len(set(ids)) == 2  # every callback twice

    await client.put("/api/v1/admin/faults", json={"drop_callback_rate": 1.0})
    await _post(client, key, {"reference": "WC-6"}, "k-6")
    await asyncio.sleep(0.6)
    assert len(sink.events) == 4  # dropped: the hub must poll
    assert (await (await client.get("/api/v1/admin/faults")).json())["drop_callback_rate"] == 1.0


async def test_status_page_in_three_languages(
    aiohttp_client, aiohttp_server, db_url, tmp_path
) -> None:
    client, key, _ = await _setup(aiohttp_client, aiohttp_server, db_url, tmp_path)
    await _post(client, key, {"reference": "WC-7"}, "k-7")
    for lang, title in {"zh": "平台状态", "en": "Platform status", "it": "Stato della"}.items():
        page = await client.get("/status", params={"lang": lang})
        assert page.status == 200 and title in await page.text()


async def test_what_a_request_does_cannot_be_changed_in_flight(
    aiohttp_client, aiohttp_server, db_url, tmp_path
) -> None:
    """A query added, another host named, another idempotency key: each refused, and the
    untouched request still goes through once."""
    client, key, _ = await _setup(aiohttp_client, aiohttp_server, db_url, tmp_path)
    body = body_of({"reference": "WC-9"})
    headers = signed_headers(key, "POST", _url(client, PATH), body, idempotency_key="w")
    queried = await client.post(PATH + "?x=1", data=body, headers=headers)
    assert queried.status == 401, await queried.text()
    other_host = await client.post(PATH, data=body, headers={**headers, "Host": "evil.example"})
    assert other_host.status == 401
    rekeyed = await client.post(PATH, data=body, headers={**headers, "Idempotency-Key": "w2"})
    assert rekeyed.status == 401
    # signed for a path, the key added afterwards
    bare = signed_headers(key, "POST", _url(client, PATH), body)
    added = await client.post(PATH, data=body, headers={**bare, "Idempotency-Key": "w3"})
    assert added.status == 401
    ok = await client.post(PATH, data=body, headers=headers)
    assert ok.status == 201, await ok.text()
