"""The hub's side of the platform link: signed callbacks, dedup, reconciliation, ops routes."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path

from sqlalchemy import select

from common.httpsig import load_or_create_key, sign_request
from hub.db import audit_events
from hub.govnet.model import PlatformStatus
from hub.govnet.runtime import GOVNET, STATUS_SINKS
from hub.govnet.service import forward_to_govnet
from hub.govnet.tables import govnet_cases
from tests.helpers import service_app

PATH = "/api/v1/govnet/callbacks"


class Recorder:
    def __init__(self) -> None:
        self.seen: list[tuple[str, str, int]] = []

    async def platform_status(self, session, update: PlatformStatus, *, now) -> None:  # type: ignore[no-untyped-def]
        self.seen.append((update.reference, update.status, update.version))


def _signed(client, key, body: bytes) -> dict[str, str]:  # type: ignore[no-untyped-def]
    headers = sign_request(
        method="POST",
        url=str(client.make_url(PATH)),
        body=body,
        key=key,
        key_id="govnet",
        created=datetime.now(UTC),
    )
    headers["Content-Type"] = "application/json"
    return headers


def _event(version: int, status: str) -> bytes:
    return json.dumps(
        {
            "event_id": f"ZJ1:v{version}",
            "case_no": "ZJ1",
            "reference": "WC-1",
            "status": status,
            "version": version,
            "reason": None,
        }
    ).encode()


async def test_signed_callbacks_reach_the_sink_once_and_in_version_order(
    aiohttp_client, db_url: str, tmp_path: Path
) -> None:
    platform_key = load_or_create_key(tmp_path / "keys" / "govnet-sim.pem")
    app, db = await service_app("hub", db_url, tmp_path, outbox_relay_enabled=False)
    recorder = Recorder()
    app[STATUS_SINKS].append(recorder)
    client = await aiohttp_client(app)

    body = _event(3, "completed")
    first = await client.post(PATH, data=body, headers=_signed(client, platform_key, body))
    assert first.status == 200 and await first.json() == {"duplicate": False, "applied": True}
    dup = await client.post(PATH, data=body, headers=_signed(client, platform_key, body))
    assert await dup.json() == {"duplicate": True, "applied": False}
    late = _event(2, "in_process")  # arrives after the newer status: changes nothing
    assert (
        await (
            await client.post(PATH, data=late, headers=_signed(client, platform_key, late))
        ).json()
    )["applied"] is False
    assert recorder.seen == [("WC-1", "completed", 3)]

    headers = _signed(client, platform_key, body)
    await client.post(PATH, data=body, headers=headers)
    replay = await client.post(PATH, data=body, headers=headers)
    assert replay.status == 401
    forged = _signed(client, load_or_create_key(tmp_path / "other.pem"), body)
    assert (await client.post(PATH, data=body, headers=forged)).status == 401
    assert (await client.post(PATH, data=body)).status == 401
    async with db.transaction() as s:
        row = (await s.execute(select(govnet_cases))).one()
    assert (row.reference, row.status, row.version, row.source) == (
        "WC-1",
        "completed",
        3,
        "callback",
    )


async def test_ops_json_needs_staff_and_metrics_show_the_queue(
    aiohttp_client, db_url: str, tmp_path: Path
) -> None:
    app, db = await service_app("hub", db_url, tmp_path, outbox_relay_enabled=False)
    client = await aiohttp_client(app)
    async with db.transaction() as s:
        for n in range(3):
            await forward_to_govnet(
                s, reference=f"WC-{n}", payload={"item": "x"}, now=datetime.now(UTC)
            )
    assert (await client.get("/api/v1/ops/outbox")).status == 401
    assert (await client.post("/api/v1/ops/outbox/1/requeue")).status == 401
    metrics = await (await client.get("/metrics")).text()
    assert 'qiaolink_outbox_depth{destination="govnet"} 3' in metrics
    assert 'qiaolink_outbox_dead_letters{destination="govnet"} 0' in metrics
    assert "# TYPE qiaolink_outbox_oldest_undelivered_seconds gauge" in metrics
    assert app[GOVNET].key is not None
    assert (tmp_path / "keys" / "hub-govnet.pub.pem").exists()  # made on first start
    async with db.transaction() as s:
        actions = (await s.scalars(select(audit_events.c.action))).all()
        assert actions == ["access.denied", "access.denied"]  # the two refused calls only
