"""The platform simulator's application factory: its API, status page, case processor and the
relay that sends status callbacks to the hub."""

from __future__ import annotations

import random
from collections.abc import AsyncIterator
from datetime import timedelta
from pathlib import Path

import aiohttp
from aiohttp import web

from common.access import PUBLIC
from common.clock import Clock, SystemClock
from common.db import Database
from common.httpsig import PeerKeyFile, RequestVerifier, load_or_create_key
from common.logs import request_id_trace
from common.outbox import Relay, RetryPolicy
from common.periodic import Round, periodic
from common.service import CLOCK, DB, PAGES, ServiceSpec, build_app
from common.settings import GovnetSimSettings
from common.web import Authenticator, RouteTable
from govnet_sim import service
from govnet_sim.callbacks import CallbackSender
from govnet_sim.context import PLATFORM, PlatformContext
from govnet_sim.model import FaultPlan, Faults
from govnet_sim.routes import routes as api_routes
from govnet_sim.tables import audit_events, outbox

__all__ = ["MIGRATIONS", "SPEC", "create_app", "fault_plan"]

MIGRATIONS = "govnet_sim:migrations"
SPEC = ServiceSpec(
    "govnet-sim",
    "Provincial platform simulator",
    "0.1.0",
    MIGRATIONS,
    Path(__file__).parent / "templates",
    "Asia/Shanghai",
)
SETTINGS = web.AppKey("settings", GovnetSimSettings)

routes = RouteTable()


@routes.get("/", access=PUBLIC, summary="The simulator's front page", tags=("pages",))
async def index(request: web.Request) -> web.Response:
    return request.app[PAGES].render(request, "govnet_index.html")


routes.extend(api_routes)


def fault_plan(settings: GovnetSimSettings) -> FaultPlan:
    return FaultPlan(
        error_rate=settings.fault_error_rate,
        timeout_rate=settings.fault_timeout_rate,
        slow_rate=settings.fault_slow_rate,
        timeout_s=settings.fault_timeout_s,
        slow_s=settings.fault_slow_s,
        drop_callback_rate=settings.fault_drop_callback_rate,
        duplicate_callback_rate=settings.fault_duplicate_callback_rate,
        seed=settings.fault_seed,
    )


def _context(settings: GovnetSimSettings, clock: Clock) -> PlatformContext:
    keys_dir = settings.data_dir / "keys"
    hub_key = settings.hub_key_file or keys_dir / "hub-govnet.pub.pem"
    verifier = RequestVerifier(
        PeerKeyFile(settings.hub_key_id, hub_key),  # the hub's key
        clock=clock,
        max_age=timedelta(seconds=settings.signature_max_age_s),
    )
    return PlatformContext(
        settings=settings,
        key=load_or_create_key(keys_dir / "govnet-sim.pem"),
        verifier=verifier,
        faults=Faults(fault_plan(settings)),
    )


async def _workers(app: web.Application) -> AsyncIterator[None]:
    """The case processor and the callback relay, stopped with the app."""
    ctx, db, clock = app[PLATFORM], app[DB], app[CLOCK]
    settings = ctx.settings
    async with aiohttp.ClientSession(trace_configs=[request_id_trace()]) as http:
        sender = CallbackSender(http, key=ctx.key, clock=clock, faults=lambda: ctx.faults)
        relay = Relay(
            db,
            outbox,
            {service.CALLBACK: sender},
            clock=clock,
            policy=RetryPolicy(
                base_delay=timedelta(seconds=0.5),
                max_delay=timedelta(seconds=30),
                max_attempts=50,
                lease=timedelta(seconds=20),
            ),
        )
        async with (
            periodic(relay.round, interval_s=settings.tick_s, what="the callback relay"),
            periodic(_case_round(app), interval_s=settings.tick_s, what="case processing"),
        ):
            yield


def _case_round(app: web.Application) -> Round:
    """Cases move on each tick; every hundredth tick forgets nonces too old to be replayed."""
    ctx, db, clock = app[PLATFORM], app[DB], app[CLOCK]
    settings = ctx.settings
    rng = random.Random(settings.fault_seed)
    ticks = 0

    async def tick() -> None:
        nonlocal ticks
        await service.advance_cases(
            db,
            now=clock.now(),
            step_delay=timedelta(seconds=settings.step_delay_s),
            rng=rng,
            return_rate=settings.return_rate,
        )
        ticks += 1
        if ticks % 100 == 0:
            await service.forget_old_nonces(
                db, before=clock.now() - 2 * timedelta(seconds=settings.signature_max_age_s)
            )

    return tick


def create_app(
    settings: GovnetSimSettings,
    *,
    clock: Clock | None = None,
    database: Database | None = None,
    authenticator: Authenticator | None = None,
) -> web.Application:
    clock = clock or SystemClock()
    app = build_app(
        SPEC,
        settings,
        routes,
        clock=clock,
        database=database,
        authenticator=authenticator,
        audit=audit_events,
        extra_cleanup=[_workers],
    )
    app[SETTINGS] = settings
    app[PLATFORM] = _context(settings, clock)
    return app
