"""Wiring of the platform link into the hub: keys, verifier, relay and reconciliation tasks."""

from __future__ import annotations

import asyncio
import contextlib
import logging
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path

import aiohttp
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from common.httpsig import RequestVerifier, load_or_create_key, load_public_key
from common.logs import request_id_trace
from common.outbox import Relay, RetryPolicy
from common.service import CLOCK, DB
from common.settings import HubSettings
from hub.db import outbox_messages
from hub.govnet.client import GovnetClient, GovnetSender
from hub.govnet.reconcile import reconcile_once
from hub.govnet.service import DESTINATION, STATUS_SINKS, record_receipt

__all__ = ["GOVNET", "GovnetRuntime", "install", "retry_policy"]

log = logging.getLogger("qiaolink.govnet")


class PlatformKeys:
    """The platform's public key, read from its file once it exists (the platform may start
    after the hub)."""

    def __init__(self, key_id: str, path: Path) -> None:
        self.key_id, self.path = key_id, path
        self._key: Ed25519PublicKey | None = None

    def __call__(self, key_id: str) -> Ed25519PublicKey | None:
        if key_id != self.key_id:
            return None
        if self._key is None and self.path.exists():
            self._key = load_public_key(self.path)
        return self._key


@dataclass
class GovnetRuntime:
    settings: HubSettings
    key: Ed25519PrivateKey
    verifier: RequestVerifier
    client: GovnetClient | None = None
    relay: Relay | None = None


GOVNET = web.AppKey("govnet", GovnetRuntime)


def retry_policy(settings: HubSettings) -> RetryPolicy:
    return RetryPolicy(
        base_delay=timedelta(seconds=settings.outbox_base_delay_s),
        max_delay=timedelta(seconds=max(settings.outbox_max_delay_s, settings.outbox_base_delay_s)),
        max_attempts=settings.outbox_max_attempts,
        lease=timedelta(seconds=settings.outbox_lease_s),
    )


def install(app: web.Application, settings: HubSettings) -> None:
    """Keys and verifier now; client, relay and reconciliation with the app's lifetime."""
    keys_dir = settings.data_dir / "keys"
    platform_key = settings.govnet_platform_key_file or keys_dir / "govnet-sim.pub.pem"
    app[GOVNET] = GovnetRuntime(
        settings=settings,
        key=load_or_create_key(keys_dir / "hub-govnet.pem"),
        verifier=RequestVerifier(PlatformKeys("govnet", platform_key), clock=app[CLOCK]),
    )
    app[STATUS_SINKS] = []
    app.cleanup_ctx.append(_link)


async def _link(app: web.Application) -> AsyncIterator[None]:
    runtime, clock = app[GOVNET], app[CLOCK]
    settings = runtime.settings
    stop = asyncio.Event()
    async with aiohttp.ClientSession(trace_configs=[request_id_trace()]) as http:
        runtime.client = GovnetClient(
            http,
            base_url=settings.govnet_url,
            key=runtime.key,
            key_id=settings.govnet_key_id,
            clock=clock,
            timeout_s=settings.govnet_timeout_s,
        )
        runtime.relay = Relay(
            app[DB],
            outbox_messages,
            {DESTINATION: GovnetSender(runtime.client)},
            clock=clock,
            policy=retry_policy(settings),
            rng=random.Random(),
            batch=settings.outbox_batch,
            concurrency=settings.outbox_concurrency,
            hooks={DESTINATION: record_receipt(app[STATUS_SINKS], clock.now)},
        )
        tasks = []
        if settings.outbox_relay_enabled:
            tasks = [
                asyncio.create_task(
                    runtime.relay.run(interval=settings.outbox_relay_interval_s, stop=stop)
                ),
                asyncio.create_task(_reconcile_loop(app, stop)),
            ]
        yield
        stop.set()
        # A round in flight finishes (its sends are bounded by the platform timeout) rather
        # than being cancelled inside a database transaction.
        grace = 2 * settings.govnet_timeout_s + 10
        for task in tasks:
            with contextlib.suppress(asyncio.CancelledError, TimeoutError):
                await asyncio.wait_for(asyncio.shield(task), grace)


async def _reconcile_loop(app: web.Application, stop: asyncio.Event) -> None:
    runtime = app[GOVNET]
    interval = runtime.settings.govnet_reconcile_interval_s
    while not stop.is_set():
        with contextlib.suppress(TimeoutError):
            await asyncio.wait_for(stop.wait(), interval)
        if stop.is_set() or runtime.client is None:
            return
        try:
            report = await reconcile_once(
                app[DB], runtime.client, app[STATUS_SINKS], clock=app[CLOCK]
            )
            if report.repaired or report.missing:
                log.info("reconciliation: %s", report)
        except Exception:
            log.exception("reconciliation failed; trying again next round")
