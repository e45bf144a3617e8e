"""Helpers for tests of the platform link: signed requests, a simulator app, a callback sink."""

from __future__ import annotations

import json
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from common.httpsig import RequestVerifier, load_or_create_key, load_public_key, sign_request
from common.settings import GovnetSimSettings
from govnet_sim.app import create_app as create_sim
from tests.helpers import migrated_database


def hub_key(data_dir: Path) -> Ed25519PrivateKey:
    return load_or_create_key(data_dir / "keys" / "hub-govnet.pem")


def signed_headers(
    key: Ed25519PrivateKey,
    method: str,
    path: str,
    body: bytes,
    *,
    key_id: str = "hub",
    created: datetime | None = None,
    idempotency_key: str | None = None,
    authority: str = "127.0.0.1",
) -> dict[str, str]:
    """``path`` is a whole URL, or a path on the test server at 127.0.0.1 (``authority``)."""
    headers = sign_request(
        method=method,
        url=path if path.startswith("http") else f"http://{authority}{path}",
        body=body,
        key=key,
        key_id=key_id,
        created=created or datetime.now(UTC),
        headers={"Idempotency-Key": idempotency_key} if idempotency_key is not None else None,
    )
    headers["Content-Type"] = "application/json"
    return headers


def body_of(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, sort_keys=True).encode()


async def simulator(url: str, data_dir: Path, **settings: Any) -> web.Application:
    db = await migrated_database(url, "govnet_sim:migrations")
    defaults: dict[str, Any] = {"step_delay_s": 0.05, "tick_s": 0.05, "fault_seed": 7}
    cfg = GovnetSimSettings(data_dir=data_dir, database_url=url, **{**defaults, **settings})
    return create_sim(cfg, database=db)


class CallbackSink:
    """A stand-in for the hub's callback route that checks every callback's signature."""

    def __init__(self, data_dir: Path) -> None:
        self.data_dir = data_dir
        self.events: list[dict[str, Any]] = []
        self.refused = 0

    def app(self) -> web.Application:
        app = web.Application()
        app.router.add_post("/cb", self.handle)
        return app

    async def handle(self, request: web.Request) -> web.Response:
        from common.clock import SystemClock

        public = load_public_key(self.data_dir / "keys" / "govnet-sim.pub.pem")
        verifier = RequestVerifier(lambda k: public if k == "govnet" else None, clock=SystemClock())
        body = await request.read()
        try:
            verifier.verify(method="POST", url=str(request.url), headers=request.headers, body=body)
        except Exception:
            self.refused += 1
            return web.json_response({"refused": True}, status=401)
        self.events.append(json.loads(body))
        return web.json_response({"ok": True})
