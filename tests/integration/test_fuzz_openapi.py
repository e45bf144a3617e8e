"""Schemathesis against each service's published OpenAPI document, served on 127.0.0.1.

Bounded: at most ``EXAMPLES`` generated requests per operation, no shrinking. Every response
must be a non-5xx that conforms to the documented schema. Staff routes are fuzzed with a
signed-in member's token, so that they are reached past the access check.
"""

from __future__ import annotations

import asyncio
import os
import threading
import time
import traceback
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import pytest
import schemathesis
from aiohttp import web
from hypothesis import HealthCheck, Phase, given, settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import response_schema_conformance

from tests.conftest import free_port
from tests.helpers import service_app

EXAMPLES = 15
# Seconds a service may take to start and the whole run to end, on an idle machine; a busy one
# stretches both by QIAOLINK_FUZZ_SLOWDOWN (the run is the same, only given longer).
SLOWDOWN = float(os.environ.get("QIAOLINK_FUZZ_SLOWDOWN", "1"))
START_S, BUDGET_S = 60 * SLOWDOWN, 90 * SLOWDOWN
CHECKS = [not_a_server_error, response_schema_conformance]
# Who fuzzes each service's staff routes; signing out would end the run's own session.
STAFF = {"hub": "supervisor.wz", "node": "clerk.milan"}
SKIP = {("DELETE", "/api/session"), ("POST", "/api/session/revoke-all")}


async def _start(service: str, data_dir: Path) -> tuple[web.AppRunner, dict[str, str]]:
    app, db = await service_app(
        service, f"sqlite+aiosqlite:///{data_dir / 'fuzz.sqlite3'}", data_dir
    )
    headers: dict[str, str] = {}
    if service in STAFF:
        seed = __import__(
            {"hub": "hub.seed", "node": "overseas_node.seed"}[service], fromlist=["seed_database"]
        )
        from datetime import UTC, datetime

        passwords = await seed.seed_database(db, datetime.now(UTC))
        headers["_user"], headers["_password"] = STAFF[service], passwords[STAFF[service]]
    runner = web.AppRunner(app)
    await runner.setup()
    return runner, headers


@contextmanager
def running(service: str, data_dir: Path) -> Iterator[tuple[str, dict[str, str]]]:
    """The service on a real port, served by its own event loop in a thread."""
    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    port = free_port()

    async def up() -> tuple[web.AppRunner, dict[str, str]]:
        runner, creds = await _start(service, data_dir)
        await web.TCPSite(runner, "127.0.0.1", port).start()
        return runner, creds

    runner, creds = asyncio.run_coroutine_threadsafe(up(), loop).result(START_S)
    try:
        yield f"http://127.0.0.1:{port}", creds
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(60)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()


def _token(base: str, creds: dict[str, str]) -> dict[str, str]:
    import requests

    if not creds:
        return {}
    resp = requests.post(
        f"{base}/api/session",
        json={"username": creds["_user"], "password": creds["_password"]},
        timeout=10,
    )
    assert resp.status_code == 200, resp.text
    return {"Authorization": f"Bearer {resp.json()['token']}"}


def _fuzz(operation: Any, base: str, headers: dict[str, str]) -> None:
    @given(case=operation.as_strategy())
    @settings(
        max_examples=EXAMPLES,
        deadline=None,
        database=None,
        derandomize=True,
        phases=[Phase.explicit, Phase.generate],
        suppress_health_check=list(HealthCheck),
    )
    def run(case: Any) -> None:
        response = case.call(base_url=base, headers=headers, timeout=10)
        case.validate_response(response, checks=CHECKS)

    run()


@pytest.mark.slow
@pytest.mark.parametrize("service", ["hub", "node", "govnet-sim"])
def test_fuzzing_the_published_api_finds_no_server_error(tmp_path: Path, service: str) -> None:
    started = time.monotonic()
    with running(service, tmp_path) as (base, creds):
        headers = _token(base, creds)
        schema = schemathesis.openapi.from_url(f"{base}/api/openapi.json")
        failures: list[str] = []
        operations = 0
        for result in schema.get_all_operations():
            operation = result.ok()
            if (operation.method.upper(), operation.path) in SKIP:
                continue
            operations += 1
            try:
                _fuzz(operation, base, headers)
            except BaseException as exc:  # collect every failing operation, report them all
                failures.append(f"{operation.method.upper()} {operation.path}: {exc}")
    assert operations >= 5
    assert not failures, "\n\n".join(failures)
    assert time.monotonic() - started < BUDGET_S


def test_the_fuzzer_catches_a_server_error() -> None:
    """The harness above fails on a 5xx: shown on a tiny service that breaks on big counts."""
    from pydantic import BaseModel, Field

    from common.access import PUBLIC
    from common.web import RouteTable, middlewares, openapi_document, parse_body

    class Thing(BaseModel):
        count: int = Field(ge=0)

    routes = RouteTable()

    @routes.post("/api/things", access=PUBLIC, summary="make", body=Thing)
    async def make(request: web.Request) -> web.Response:
        thing = await parse_body(request, Thing)
        if thing.count > 3:
            raise RuntimeError("broken")
        return web.json_response({})

    @routes.get("/api/openapi.json", access=PUBLIC, summary="doc")
    async def doc(request: web.Request) -> web.Response:
        return web.json_response(openapi_document("t", "1", routes))

    loop = asyncio.new_event_loop()
    thread = threading.Thread(target=loop.run_forever, daemon=True)
    thread.start()
    app = web.Application(middlewares=middlewares(None))
    routes.install(app)
    runner = web.AppRunner(app)
    port = free_port()

    async def up() -> None:
        await runner.setup()
        await web.TCPSite(runner, "127.0.0.1", port).start()

    asyncio.run_coroutine_threadsafe(up(), loop).result(30)
    try:
        base = f"http://127.0.0.1:{port}"
        schema = schemathesis.openapi.from_url(f"{base}/api/openapi.json")
        operation = schema["/api/things"]["POST"]
        try:
            _fuzz(operation, base, {})
        except BaseException as exc:  # schemathesis raises a group of the failures it saw
            found = "".join(traceback.format_exception(exc))
        else:
            pytest.fail("the fuzzer missed the server error")
        assert "Server error" in found
    finally:
        asyncio.run_coroutine_threadsafe(runner.cleanup(), loop).result(30)
        loop.call_soon_threadsafe(loop.stop)
        thread.join(10)
        loop.close()
