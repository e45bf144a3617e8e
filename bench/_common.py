"""Shared helpers for benchmarks: a server in its own process, a timed load from this one."""

from __future__ import annotations

import asyncio
import json
import socket
import subprocess
import sys
import time
import urllib.request
from collections.abc import Awaitable, Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def start(args: list[str], port: int, env: dict[str, str] | None = None) -> subprocess.Popen[bytes]:
    proc = subprocess.Popen([sys.executable, *args], cwd=ROOT, env=env)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        try:
            urllib.request.urlopen(f"http://127.0.0.1:{port}/healthz", timeout=1)
            return proc
        except OSError:
            time.sleep(0.2)
    proc.kill()
    raise RuntimeError(f"server on {port} did not come up")


async def load(call: Callable[[int], Awaitable[bool]], seconds: float, workers: int = 16) -> float:
    """Successful calls per second with ``workers`` concurrent callers for ``seconds``."""
    done = 0
    stop = time.monotonic() + seconds
    counter = iter(range(10**9))

    async def worker() -> None:
        nonlocal done
        while time.monotonic() < stop:
            if await call(next(counter)):
                done += 1

    started = time.monotonic()
    await asyncio.gather(*(worker() for _ in range(workers)))
    return done / (time.monotonic() - started)


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
