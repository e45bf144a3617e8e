"""Shared helpers for benchmarks: a server in its own process, a timed load from this one."""

from __future__ import annotations

import asyncio
import json
import math
import socket
import statistics
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(
    args: list[str], port: int, env: dict[str, str] | None = None, cwd: Path = ROOT
) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, *args], cwd=cwd, env=env)
    deadline = time.monotonic() + 180  # a busy shared machine starts slowly
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server on {port} did not come up")


@dataclass(frozen=True)
class Run:
    """One timed load: successful calls per second and each call's latency in seconds."""

    rate: float
    latencies: tuple[float, ...]


async def load(call: Callable[[int], Awaitable[bool]], seconds: float, workers: int = 16) -> float:
    """Successful calls per second with ``workers`` concurrent callers for ``seconds``."""
    return (await timed_load(call, seconds, workers)).rate


async def timed_load(
    call: Callable[[int], Awaitable[bool]], seconds: float, workers: int = 16
) -> Run:
    """Like :func:`load`, keeping every successful call's latency."""
    latencies: list[float] = []
    stop = time.monotonic() + seconds
    counter = iter(range(10**9))

    async def worker() -> None:
        while time.monotonic() < stop:
            began = time.perf_counter()
            if await call(next(counter)):
                latencies.append(time.perf_counter() - began)

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return Run(len(latencies) / (time.monotonic() - started), tuple(latencies))


def percentile(values: Sequence[float], q: float) -> float:
    """The ``q``-th percentile (0..100) by nearest rank; 0 for no values."""
    if not values:
        return 0.0
    ordered = sorted(values)
    rank = max(1, math.ceil(q / 100 * len(ordered)))
    return ordered[rank - 1]


@dataclass(frozen=True)
class Summary:
    """Several runs of one target: the median rate, its spread, and pooled latency."""

    name: str
    rates: tuple[float, ...]
    p50_ms: float
    p99_ms: float

    @property
    def median(self) -> float:
        return statistics.median(self.rates)

    @property
    def spread(self) -> float:
        """(max - min) / median of the runs' rates."""
        return (max(self.rates) - min(self.rates)) / self.median if self.median else 0.0

    def line(self, unit: str) -> str:
        runs = ", ".join(f"{r:.0f}" for r in self.rates)
        return (
            f"{self.name}: median {self.median:.1f} {unit} (runs {runs}; spread "
            f"{100 * self.spread:.0f}%), p50 {self.p50_ms:.2f} ms, p99 {self.p99_ms:.2f} ms"
        )


def summarise(name: str, runs: Sequence[Run]) -> Summary:
    pooled = [x for run in runs for x in run.latencies]
    return Summary(
        name,
        tuple(run.rate for run in runs),
        1000 * percentile(pooled, 50),
        1000 * percentile(pooled, 99),
    )


def report(name: str, ours: float, baseline: float, unit: str) -> None:
    print(
        json.dumps(
            {
                "bench": name,
                "ours": round(ours, 2),
                "baseline": round(baseline, 2),
                "unit": unit,
                "ratio": round(ours / baseline, 3),
            }
        )
    )
