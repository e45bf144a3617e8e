"""Janus for tests and the benchmark: in a network namespace of its own, reached over a veth.

Janus offers only the namespace's address in its SDP; this process's aiortc peers offer only
the veth's outer address (aioice's host lookup is narrowed to it, here only, as the loopback
tests do with 127.0.0.1). Media thus stays on the pair, never on the machine's own network.
The namespace and the veth go away when the block ends.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import subprocess
from collections.abc import AsyncIterator, Iterator
from dataclasses import dataclass
from pathlib import Path

import aioice.ice

from media.janus import JanusLayout, janus_available, running_janus

__all__ = ["JanusSite", "can_run_janus", "janus_site", "veth_namespace"]


def can_run_janus() -> bool:
    return janus_available() and os.geteuid() == 0 and shutil.which("ip") is not None


def _sh(*args: str) -> None:
    subprocess.run(args, check=True, capture_output=True, timeout=30)


@contextlib.contextmanager
def veth_namespace() -> Iterator[tuple[str, str, str]]:
    """``(namespace, outer address, inner address)`` on a fresh /24 of 10.128.0.0/9."""
    tag = f"{os.getpid() % 10000}{secrets.token_hex(2)}"
    name, outer, inner = f"qlj{tag}", f"qjo{tag}", f"qji{tag}"
    net = f"10.{128 + secrets.randbelow(120)}.{secrets.randbelow(250)}"
    _sh("ip", "netns", "add", name)
    try:
        _sh("ip", "netns", "exec", name, "ip", "link", "set", "lo", "up")
        _sh("ip", "link", "add", outer, "type", "veth", "peer", "name", inner)
        _sh("ip", "link", "set", inner, "netns", name)
        _sh("ip", "addr", "add", f"{net}.1/24", "dev", outer)
        _sh("ip", "link", "set", outer, "up")
        _sh("ip", "netns", "exec", name, "ip", "addr", "add", f"{net}.2/24", "dev", inner)
        _sh("ip", "netns", "exec", name, "ip", "link", "set", inner, "up")
        yield name, f"{net}.1", f"{net}.2"
    finally:
        subprocess.run(["ip", "link", "delete", outer], check=False, capture_output=True)
        subprocess.run(["ip", "netns", "delete", name], check=False, capture_output=True)


@dataclass(frozen=True)
class JanusSite:
    namespace: str
    host: str  # our side of the veth: aiortc peers here offer this address only
    layouts: tuple[JanusLayout, ...]
    pids: tuple[int, ...]

    @property
    def urls(self) -> list[str]:
        return [layout.url for layout in self.layouts]


@contextlib.asynccontextmanager
async def janus_site(folder: Path, instances: int = 1) -> AsyncIterator[JanusSite]:
    """``instances`` Janus processes in one namespace, each with its folder and ports."""
    with veth_namespace() as (namespace, host, inner):
        original = aioice.ice.get_host_addresses
        aioice.ice.get_host_addresses = lambda use_ipv4, use_ipv6: [host]  # tests only
        try:
            async with contextlib.AsyncExitStack() as stack:
                layouts, pids = [], []
                for i in range(instances):
                    layout = JanusLayout(
                        folder / f"janus-{i}",
                        http_port=8088 + i,
                        address=inner,
                        rtp_ports=(20000 + 1000 * i, 20999 + 1000 * i),
                    )
                    process = await stack.enter_async_context(
                        running_janus(layout, prefix=("ip", "netns", "exec", namespace))
                    )
                    layouts.append(layout)
                    pids.append(process.pid)
                yield JanusSite(namespace, host, tuple(layouts), tuple(pids))
        finally:
            aioice.ice.get_host_addresses = original
