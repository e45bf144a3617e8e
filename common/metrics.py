"""Request metrics in Prometheus text format (exposition format 0.0.4), shared by all services.

:class:`RequestMetrics` counts requests per route template, method and status and keeps a
latency histogram per route and method; :func:`metrics_middleware` feeds it and writes one
structured access-log line per request (with the request id). A service adds its own gauges
by registering a :data:`Collector` in ``app[COLLECTORS]`` (the hub adds its outbox).
"""

from __future__ import annotations

import ipaddress
import logging
import time
from bisect import bisect_left
from collections.abc import Awaitable, Callable, Iterable, Sequence
from dataclasses import dataclass, field

from aiohttp import web

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


def _label(value: str) -> str:
    return value.replace("\\", "\\\\").replace('"', '\\"').replace("\n", "\\n")


@dataclass
class _Histogram:
    counts: list[int]
    total: float = 0.0
    n: int = 0


@dataclass
class RequestMetrics:
    """In-memory counters of one process; each instance is scraped on its own."""

    buckets: Sequence[float] = BUCKETS
    requests: dict[tuple[str, str, int], int] = field(default_factory=dict)
    latency: dict[tuple[str, str], _Histogram] = field(default_factory=dict)

    def observe(self, route: str, method: str, status: int, seconds: float) -> None:
        key = (route, method, status)
        self.requests[key] = self.requests.get(key, 0) + 1
        hist = self.latency.setdefault(
            (route, method), _Histogram(counts=[0] * (len(self.buckets) + 1))
        )
        hist.counts[bisect_left(self.buckets, seconds)] += 1
        hist.total += seconds
        hist.n += 1

    def render(self, service: str) -> str:
        lines = [
            "# HELP qiaolink_http_requests_total HTTP requests answered, by route and status.",
            "# TYPE qiaolink_http_requests_total counter",
        ]
        for (route, method, status), count in sorted(self.requests.items()):
            lines.append(
                f'qiaolink_http_requests_total{{service="{service}",route="{_label(route)}",'
                f'method="{method}",status="{status}"}} {count}'
            )
        name = "qiaolink_http_request_duration_seconds"
        lines += [f"# HELP {name} Time to answer, by route.", f"# TYPE {name} histogram"]
        for (route, method), hist in sorted(self.latency.items()):
            labels = f'service="{service}",route="{_label(route)}",method="{method}"'
            running = 0
            for bound, count in zip([*self.buckets, float("inf")], hist.counts, strict=True):
                running += count
                le = "+Inf" if bound == float("inf") else f"{bound:g}"
                lines.append(f'{name}_bucket{{{labels},le="{le}"}} {running}')
            lines.append(f"{name}_sum{{{labels}}} {hist.total:.6f}")
            lines.append(f"{name}_count{{{labels}}} {hist.n}")
        return "\n".join(lines) + "\n"


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
    """Whether a caller's address lies in one of the networks allowed to read /metrics."""
    if not remote:
        return False
    try:
        address = ipaddress.ip_address(remote)
    except ValueError:
        return False
    return any(address in ipaddress.ip_network(net, strict=False) for net in networks)
