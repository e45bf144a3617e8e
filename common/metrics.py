"""Request metrics in Prometheus text format (exposition format 0.0.4), shared by all services.

:class:`RequestMetrics` counts requests per route template, method and status and keeps a
latency histogram per route and method, through ``prometheus_client``;
:func:`metrics_middleware` feeds it and writes one structured access-log line per request
(with the request id). A service adds its own gauges
by registering a :data:`Collector` in ``app[COLLECTORS]`` (the hub adds its outbox).
"""

from __future__ import annotations

import ipaddress
import logging
import time
from collections.abc import Awaitable, Callable, Iterable, Sequence
from typing import Any

from aiohttp import web
from prometheus_client import CollectorRegistry, Counter, Histogram, generate_latest

from common.logs import REQUEST_ID

__all__ = [
    "BUCKETS",
    "COLLECTORS",
    "METRICS",
    "Collector",
    "RequestMetrics",
    "allowed",
    "metrics_middleware",
]

log = logging.getLogger("qiaolink.access")
Handler = Callable[[web.Request], Awaitable[web.StreamResponse]]
Collector = Callable[[web.Application], Awaitable[str]]
BUCKETS: tuple[float, ...] = (0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1.0, 2.5, 5.0, 10.0)


class RequestMetrics:
    """Counters of one process in their own ``prometheus_client`` registry (one per app, so
    two apps in one process, as in the tests, count apart); each instance is scraped alone."""

    def __init__(self, service: str, buckets: Sequence[float] = BUCKETS) -> None:
        self.service = service
        self.registry = CollectorRegistry(auto_describe=True)
        self._requests = Counter(
            "qiaolink_http_requests",
            "HTTP requests answered, by route and status.",
            ("service", "route", "method", "status"),
            registry=self.registry,
        )
        self._latency = Histogram(
            "qiaolink_http_request_duration_seconds",
            "Time to answer, by route.",
            ("service", "route", "method"),
            buckets=buckets,
            registry=self.registry,
        )

        # the labelled children, found once: label values are bounded (route templates)
        self._children: dict[tuple[str, str, int], tuple[Any, Any]] = {}

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        children = self._children.get(key)
        if children is None:
            children = self._children[key] = (
                self._requests.labels(self.service, route, method, str(status)),
                self._latency.labels(self.service, route, method),
            )
        children[0].inc()
        children[1].observe(seconds)

    def render(self) -> str:
        return generate_latest(self.registry).decode()


METRICS = web.AppKey("request_metrics", RequestMetrics)
COLLECTORS: web.AppKey[list[Collector]] = web.AppKey("metrics_collectors")


def _route_of(request: web.Request) -> str:
    """The route's template (``/api/applications/{number}``), never the raw path: a bounded
    set of label values whatever callers send."""
    info = request.match_info
    if info.http_exception is not None:
        return "unmatched"
    resource = info.route.resource
    return resource.canonical if resource is not None else "unmatched"


def metrics_middleware(
    metrics: RequestMetrics, service: str
) -> Callable[..., Awaitable[web.StreamResponse]]:
    @web.middleware
    async def measure(request: web.Request, handler: Handler) -> web.StreamResponse:
        started = time.perf_counter()
        status = 500
        try:
            response = await handler(request)
            status = response.status
            return response
        except web.HTTPException as exc:
            status = exc.status
            raise
        finally:
            elapsed = time.perf_counter() - started
            route = _route_of(request)
            metrics.observe(route, request.method, status, elapsed)
            log.info(
                "%s %s %s",
                request.method,
                request.path,
                status,
                extra={
                    "fields": {
                        "service": service,
                        "route": route,
                        "status": status,
                        "duration_ms": round(elapsed * 1000, 2),
                        "request_id": REQUEST_ID.get(),
                    }
                },
            )

    return measure


def allowed(remote: str | None, networks: Iterable[str]) -> bool:
    """Whether a caller's address lies in one of ``networks`` (those allowed to read /metrics,
    or the proxies whose forwarded headers are believed)."""
    if not remote:
        return False
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)
