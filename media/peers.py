"""One aiortc peer connection with an explicit configuration, a state log, and rebuilds.

aiortc has no ICE restart, so a failed connection is replaced: :meth:`PeerLink.rebuild` closes
the old ``RTCPeerConnection`` and opens a new one with the same configuration; signalling then
negotiates it again. Every state change is logged with its generation, so a test (or an auditor)
reads the whole sequence.
"""

from __future__ import annotations

import asyncio
import base64
import contextlib
import hashlib
import hmac
import time
from collections.abc import Awaitable, Callable, Sequence
from dataclasses import dataclass, field
from datetime import timedelta

from aiortc import RTCBundlePolicy, RTCConfiguration, RTCIceServer, RTCPeerConnection

from media.clock import Clock

__all__ = ["PeerLink", "StateChange", "turn_credentials"]

# aiortc's close waits on its transports; one that never answers must not stall the end of a
# session (and the recording's last segment) behind it.
CLOSE_WITHIN = 10.0


async def close_connection(pc: RTCPeerConnection) -> None:
    """Close ``pc``, giving up on a transport that does not finish within CLOSE_WITHIN."""
    with contextlib.suppress(TimeoutError):
        async with asyncio.timeout(CLOSE_WITHIN):
            await pc.close()


FailedHandler = Callable[["PeerLink"], Awaitable[None]]


@dataclass(frozen=True)
class StateChange:
    generation: int
    kind: str  # "connection" or "ice"
    state: str
    at: float  # monotonic seconds


def turn_credentials(
    secret: bytes, user: str, clock: Clock, ttl: timedelta = timedelta(hours=1)
) -> tuple[str, str]:
    """coturn's time-limited credentials (``use-auth-secret``): ``expiry:user`` and its HMAC."""
    username = f"{int((clock.now() + ttl).timestamp())}:{user}"
    credential = base64.b64encode(hmac.new(secret, username.encode(), hashlib.sha1).digest())
    return username, credential.decode("ascii")


@dataclass
class PeerLink:
    """A peer connection that can be rebuilt; ``pc`` is always the current generation's."""

    ice_servers: Sequence[RTCIceServer]
    name: str = ""
    on_failed: FailedHandler | None = None
    states: list[StateChange] = field(default_factory=list)
    generation: int = 0
    drops: int = 0  # connections lost without being closed or rebuilt by us
    closing: bool = False
    pc: RTCPeerConnection = field(init=False)
    _changed: asyncio.Event = field(init=False, default_factory=asyncio.Event)

    def __post_init__(self) -> None:
        self.pc = self._open()

    def _open(self) -> RTCPeerConnection:
        config = RTCConfiguration(
            iceServers=list(self.ice_servers), bundlePolicy=RTCBundlePolicy.MAX_BUNDLE
        )
        pc = RTCPeerConnection(configuration=config)
        generation = self.generation

        @pc.on("connectionstatechange")
        async def _connection() -> None:
            self._record(generation, "connection", pc.connectionState)
            # aiortc closes a connection by itself once consent to send expires (the path
            # died), so a close nobody asked for is a failure too.
            lost = pc.connectionState in {"failed", "closed"}
            if lost and generation == self.generation and not self.closing:
                self.drops += 1
                if self.on_failed is not None:
                    await self.on_failed(self)

        @pc.on("iceconnectionstatechange")
        async def _ice() -> None:
            self._record(generation, "ice", pc.iceConnectionState)

        return pc

    def _record(self, generation: int, kind: str, state: str) -> None:
        self.states.append(StateChange(generation, kind, state, time.monotonic()))
        self._changed.set()
        self._changed = asyncio.Event()

    def history(self, kind: str = "connection", generation: int | None = None) -> list[str]:
        """The states of ``kind`` in order, for one generation or all."""
        return [
            s.state
            for s in self.states
            if s.kind == kind and (generation is None or s.generation == generation)
        ]

    async def rebuild(self) -> RTCPeerConnection:
        """Close the current connection and open the next generation's."""
        old = self.pc
        self.generation += 1
        self.pc = self._open()
        await close_connection(old)
        return self.pc

    async def wait_for(self, state: str) -> None:
        """Until the current connection reaches ``state``; callers bound it with a timeout."""
        while self.pc.connectionState != state:
            await self._changed.wait()

    async def close(self) -> None:
        self.closing = True
        await close_connection(self.pc)
