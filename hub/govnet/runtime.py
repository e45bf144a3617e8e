"""Wiring of the platform link into the hub: keys, verifier, relay and reconciliation tasks."""

from __future__ import annotations

import logging
import random
from collections.abc import AsyncIterator
from dataclasses import dataclass
from datetime import timedelta

import aiohttp
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from common.httpsig import PeerKeyFile, RequestVerifier, load_or_create_key
from common.logs import request_id_trace
from common.outbox import Relay, RetryPolicy
from common.periodic import periodic
from common.service import CLOCK, DB
from common.settings import HubSettings
from hub.db import outbox_messages
from hub.govnet.client import GovnetClient, GovnetSender
from hub.govnet.reconcile import reconcile_once
from hub.govnet.service import DESTINATION, STATUS_SINKS, record_receipt

__all__ = ["GOVNET", "GovnetRuntime", "install", "retry_policy"]

log = logging.getLogger("qiaolink.govnet")


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
        verifier=RequestVerifier(PeerKeyFile("govnet", platform_key), clock=app[CLOCK]),
    )
    app[STATUS_SINKS] = []
    app.cleanup_ctx.append(_link)


async def _link(app: web.Application) -> AsyncIterator[None]:
    runtime, clock = app[GOVNET], app[CLOCK]
    settings = runtime.settings
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
        if not settings.outbox_relay_enabled:
            yield
            return
        # A round in flight finishes (its sends are bounded by the platform timeout) rather
        # than being cancelled inside a database transaction.
        grace = 2 * settings.govnet_timeout_s + 10
        client = runtime.client

        async def reconcile() -> None:
            report = await reconcile_once(app[DB], client, app[STATUS_SINKS], clock=clock)
            if report.repaired or report.missing:
                log.info("reconciliation: %s", report)

        async with (
            periodic(
                runtime.relay.round,
                interval_s=settings.outbox_relay_interval_s,
                what="the platform outbox relay",
                grace_s=grace,
            ),
            periodic(
                reconcile,
                interval_s=settings.govnet_reconcile_interval_s,
                what="reconciliation",
                wait_first=True,
                grace_s=grace,
            ),
        ):
            yield
