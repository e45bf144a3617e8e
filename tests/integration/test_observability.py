"""Metrics in Prometheus text on all three services, and one request id from the officer's
request through the hub's outbox relay to the platform simulator's logs."""

from __future__ import annotations

import asyncio
import logging
from datetime import UTC, datetime
from pathlib import Path

import aiohttp
import pytest
from prometheus_client.parser import text_string_to_metric_families
from sqlalchemy import select

from common.db import Database
from common.settings import HubSettings
from govnet_sim.tables import cases as platform_cases
from hub.app import create_app as create_hub
from hub.seed import seed_database
from tests.conftest import free_port
from tests.deploy_support import forward, open_application, sign_in
from tests.govnet_support import simulator
from tests.helpers import migrated_database, service_app


@pytest.mark.parametrize("service", ["hub", "node", "govnet-sim"])
async def test_every_service_counts_requests_per_route_and_status(
    aiohttp_client, tmp_path: Path, service: str
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    app, _db = await service_app(service, url, tmp_path)
    client = await aiohttp_client(app)
    for _ in range(3):
        assert (await client.get("/healthz")).status == 200
    assert (await client.get("/no/such/page")).status == 404
    text = await (await client.get("/metrics")).text()
    samples = {
        (sample.name, tuple(sorted(sample.labels.items()))): sample.value
        for family in text_string_to_metric_families(text)
        for sample in family.samples
    }
    healthz = {"service": service, "route": "/healthz", "method": "GET"}

    def value(name: str, **labels: str) -> float | None:
        return samples.get((name, tuple(sorted(labels.items()))))

    assert value("qiaolink_http_requests_total", **healthz, status="200") == 3
    unmatched = {**healthz, "route": "unmatched", "status": "404"}
    assert value("qiaolink_http_requests_total", **unmatched) == 1
    assert "# TYPE qiaolink_http_request_duration_seconds histogram" in text
    assert value("qiaolink_http_request_duration_seconds_count", **healthz) == 3
    if service == "hub":  # the hub adds its outbox gauges to the same page
        assert "# TYPE qiaolink_outbox_depth gauge" in text


async def test_metrics_answer_only_the_allowed_networks(aiohttp_client, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    app, _db = await service_app("govnet-sim", url, tmp_path, metrics_allow=("10.0.0.0/8",))
    client = await aiohttp_client(app)  # calls from 127.0.0.1
    resp = await client.get("/metrics")
    assert resp.status == 403
    assert (await resp.json())["code"] == "access.loopback_only"


async def test_a_bad_request_id_is_replaced_and_a_good_one_kept(
    aiohttp_client, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'db.sqlite3'}"
    app, _db = await service_app("govnet-sim", url, tmp_path)
    client = await aiohttp_client(app)
    kept = await client.get("/healthz", headers={"X-Request-Id": "node-7f3a.1"})
    assert kept.headers["X-Request-Id"] == "node-7f3a.1"
    forged = await client.get("/healthz", headers={"X-Request-Id": 'x" {"level":"ERROR"} <script>'})
    assert forged.headers["X-Request-Id"] != 'x" {"level":"ERROR"} <script>'
    assert len(forged.headers["X-Request-Id"]) == 32


def _ids(caplog: pytest.LogCaptureFixture, service: str, route: str) -> set[str]:
    found = set()
    for record in caplog.records:
        fields = getattr(record, "fields", None)
        if isinstance(fields, dict) and fields.get("service") == service:
            if fields.get("route") == route:
                found.add(str(fields["request_id"]))
    return found


async def test_one_request_id_runs_from_the_officer_through_the_hub_to_the_platform(
    aiohttp_server, tmp_path: Path, caplog: pytest.LogCaptureFixture
) -> None:
    caplog.set_level(logging.INFO)
    sim_port, hub_port = free_port(), free_port()
    sim_url = f"sqlite+aiosqlite:///{tmp_path / 'platform.sqlite3'}"
    hub_url = f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite3'}"
    sim_app = await simulator(
        sim_url, tmp_path, callback_url=f"http://127.0.0.1:{hub_port}/api/v1/govnet/callbacks"
    )
    hub_db = await migrated_database(hub_url, "hub:migrations")
    passwords = await seed_database(hub_db, datetime.now(UTC))
    hub_app = create_hub(
        HubSettings(
            data_dir=tmp_path,
            database_url=hub_url,
            govnet_url=f"http://127.0.0.1:{sim_port}",
            outbox_relay_interval_s=0.05,
        ),
        database=hub_db,
    )
    await aiohttp_server(sim_app, port=sim_port)
    await aiohttp_server(hub_app, port=hub_port)
    base = f"http://127.0.0.1:{hub_port}"
    async with aiohttp.ClientSession() as http:
        clerk = await sign_in(http, base, "clerk.milan", passwords["clerk.milan"])
        officer = await sign_in(http, base, "officer.wz", passwords["officer.wz"])
        number = await open_application(http, base, clerk, "YA1234567")
        await forward(http, base, officer, number, request_id="officer-req-42")

    sim_db = Database(sim_url)
    try:
        for _ in range(200):
            async with sim_db.transaction() as s:
                if (await s.execute(select(platform_cases.c.reference))).first():
                    break
            await asyncio.sleep(0.05)
        else:
            pytest.fail("the application never reached the platform")
    finally:
        await sim_db.close()

    hub_ids = _ids(caplog, "hub", "/api/applications/{number}/accept")
    sim_ids = _ids(caplog, "govnet-sim", "/api/v1/cases")
    assert hub_ids == {"officer-req-42"}
    assert sim_ids == {"officer-req-42"}, "the platform saw the request id of the forwarding"
    relay = [r for r in caplog.records if r.name == "qiaolink.outbox" and "sending" in r.message]
    assert relay, "the relay logs its send"
