"""Wiring the link to the hub into the node: files, the outbox relay and the link rounds."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator, Callable
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
from aiohttp import web

from common.filestore import FileStore
from common.httpsig import load_or_create_key
from common.outbox import Relay, RetryPolicy, hook_by_kind
from common.periodic import periodic
from common.service import CLOCK, DB
from common.settings import NodeSettings
from overseas_node.db import outbox_messages
from overseas_node.intake.link import HubLink, delivered, refusal_hook
from overseas_node.intake.receipt import PROGRESS_URL
from overseas_node.intake.routes import FILES, LINK
from overseas_node.intake.service import HUB
from overseas_node.sessions.crosscheck import MANIFEST_KIND, hub_answered, hub_refused

__all__ = ["STATIC_DIR", "install"]

# The link to China may be down for days: keep trying, never give a message up for that.
POLICY = RetryPolicy(
    base_delay=timedelta(seconds=1),
    max_delay=timedelta(minutes=2),
    max_attempts=100_000,
    lease=timedelta(seconds=60),
)


STATIC_DIR = Path(__file__).parent / "static"


def install(app: web.Application, settings: NodeSettings) -> Callable[..., Any]:
    app[FILES] = FileStore(settings.data_dir / "intake")
    app[PROGRESS_URL] = (settings.hub_public_url or settings.hub_url).rstrip("/") + "/progress"

    async def ctx(app: web.Application) -> AsyncIterator[None]:
        if not settings.link_enabled:
            yield
            return
        async with aiohttp.ClientSession() as http:
            link = HubLink(
                settings.hub_url.rstrip("/"),
                settings.branch_code,
                load_or_create_key(settings.data_dir / "keys" / f"node-{settings.branch_code}.pem"),
                app[CLOCK],
                http,
                timeout_s=settings.link_timeout_s,
            )
            app[LINK] = link
            relay = Relay(
                app[DB],
                outbox_messages,
                {HUB: link},
                clock=app[CLOCK],
                policy=POLICY,
                rng=random.Random(),
                hooks={HUB: hook_by_kind({MANIFEST_KIND: hub_answered(app[CLOCK])}, delivered)},
                dead_hooks={
                    HUB: hook_by_kind(
                        {MANIFEST_KIND: hub_refused(app[CLOCK])}, refusal_hook(app[CLOCK])
                    )
                },
            )
            grace = 2 * settings.link_timeout_s + 5
            async with (
                periodic(
                    relay.round,
                    interval_s=settings.link_interval_s,
                    what="the outbox to the hub",
                    grace_s=grace,
                ),
                periodic(
                    lambda: link.round(app[DB]),
                    interval_s=settings.link_interval_s,
                    what="the link's housekeeping",
                    grace_s=grace,
                ),
            ):
                yield

    return ctx
