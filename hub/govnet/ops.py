"""The operator's view of delivery: queue depth, oldest undelivered, dead letters, error rate.

``/api/v1/ops/outbox`` (JSON) and requeue are for officers, supervisors and admins.
:func:`outbox_collector` adds the queue's gauges to the service's ``/metrics`` (Prometheus text,
answered only to the networks in ``QIAOLINK_HUB_METRICS_ALLOW``); counts, never content.
"""

from __future__ import annotations

from datetime import datetime, timedelta
from typing import Any

from aiohttp import web

from common.access import Role, allow
from common.audit import record
from common.errors import N_, Invalid
from common.outbox import DestinationStats, dead_letters, queue_stats, requeue
from common.service import CLOCK, DB
from common.web import PRINCIPAL, RouteTable
from hub.db import audit_events, outbox_messages

__all__ = ["outbox_collector", "prometheus_text", "routes"]

routes = RouteTable()
STAFF = allow(Role.OFFICER, Role.SUPERVISOR, Role.ADMIN, read_only=True)
WINDOW = timedelta(hours=1)


def _age(stats: DestinationStats, now: datetime) -> float:
    if stats.oldest_undelivered is None:
        return 0.0
    return max(0.0, (now - stats.oldest_undelivered).total_seconds())


def prometheus_text(stats: list[DestinationStats], now: datetime) -> str:
    """Prometheus exposition format (text 0.0.4) of the outbox's state."""
    metrics: list[tuple[str, str, Any]] = [
        ("qiaolink_outbox_depth", "Undelivered messages still being tried.", lambda s: s.depth),
        (
            "qiaolink_outbox_oldest_undelivered_seconds",
            "Age of the oldest undelivered message.",
            lambda s: _age(s, now),
        ),
        (
            "qiaolink_outbox_dead_letters",
            "Messages given up on, waiting for an officer.",
            lambda s: s.dead,
        ),
        (
            "qiaolink_outbox_error_ratio",
            "Failed share of send attempts in the last hour.",
            lambda s: s.error_rate,
        ),
    ]
    lines = []
    for name, help_text, value in metrics:
        lines += [f"# HELP {name} {help_text}", f"# TYPE {name} gauge"]
        lines += [f'{name}{{destination="{s.destination}"}} {float(value(s)):g}' for s in stats]
    return "\n".join(lines) + "\n"


@routes.get(
    "/api/v1/ops/outbox", access=STAFF, summary="Outbox state per destination", tags=("ops",)
)
async def outbox_view(request: web.Request) -> web.Response:
    now = request.app[CLOCK].now()
    async with request.app[DB].transaction() as s:
        stats = await queue_stats(s, outbox_messages, now=now, window=WINDOW)
        dead = await dead_letters(s, outbox_messages, limit=100)
    return web.json_response(
        {
            "destinations": [
                {
                    "destination": st.destination,
                    "depth": st.depth,
                    "oldest_undelivered": st.oldest_undelivered.isoformat()
                    if st.oldest_undelivered
                    else None,
                    "oldest_age_s": _age(st, now),
                    "dead_letters": st.dead,
                    "error_rate": st.error_rate,
                    "attempts_last_hour": st.attempts,
                }
                for st in stats
            ],
            "dead_letters": [
                {
                    "id": d.id,
                    "destination": d.destination,
                    "kind": d.kind,
                    "key": d.key,
                    "reason": d.reason,
                    "attempts": d.attempts,
                    "since": d.since.isoformat(),
                }
                for d in dead
            ],
        }
    )


@routes.post(
    "/api/v1/ops/outbox/{message_id}/requeue",
    access=allow(Role.OFFICER, Role.SUPERVISOR, Role.ADMIN),
    summary="Put a dead letter back in the queue",
    tags=("ops",),
)
async def requeue_message(request: web.Request) -> web.Response:
    raw = request.match_info["message_id"]
    if not raw.isdigit():
        raise Invalid("outbox.bad_id", N_("No such message in the outbox."))
    now = request.app[CLOCK].now()
    principal = request[PRINCIPAL]
    async with request.app[DB].transaction() as s:
        key = await requeue(s, outbox_messages, int(raw), now=now)
        await record(
            s,
            audit_events,
            at=now,
            actor=principal or "unknown",
            action="outbox.requeued",
            subject=key,
            detail={"message_id": int(raw)},
        )
    return web.json_response({"requeued": int(raw), "key": key})


async def outbox_collector(app: web.Application) -> str:
    """The outbox gauges, added to the service's ``/metrics`` (``app[COLLECTORS]``)."""
    now = app[CLOCK].now()
    async with app[DB].transaction() as s:
        stats = await queue_stats(s, outbox_messages, now=now, window=WINDOW)
    return prometheus_text(stats, now)
