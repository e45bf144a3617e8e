"""Forwarding a participant's tracks to every other peer of a session.

Each participant has one stable :class:`SourceSwitch` per kind. When its connection is rebuilt
the new incoming track is switched in; the others keep receiving the same stable track, so a
rebuild on one side needs no renegotiation on the others. :class:`SessionRelay` hands out
aiortc ``MediaRelay`` proxies of the stable tracks, one per consumer (peer, recorder, frame tap).
"""

from __future__ import annotations

import asyncio
import fractions
import time
from typing import Any

from aiortc.contrib.media import MediaRelay
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, VideoFrame

__all__ = ["SessionRelay", "SourceSwitch"]

VIDEO_RATE = 90_000


class SourceSwitch(MediaStreamTrack):
    """A track that reads from whichever source is switched in, with continuous timestamps."""

    def __init__(self, kind: str) -> None:
        super().__init__()
        self.kind = kind
        self._source: MediaStreamTrack | None = None
        self._ready = asyncio.Event()
        self._reading: asyncio.Future[Any] | None = None
        self._interrupted = False
        self._start: float | None = None
        self._samples = 0

    def switch(self, source: MediaStreamTrack | None) -> None:
        """Read from ``source`` from now on; a read pending on the old source is abandoned
        (a connection closed before it started never ends its tracks by itself)."""
        self._source = source
        if self._reading is not None and not self._reading.done():
            self._interrupted = True
            self._reading.cancel()
        if source is None:
            self._ready.clear()
        else:
            self._ready.set()

    async def recv(self) -> AudioFrame | VideoFrame:
        while True:
            if self.readyState != "live":
                raise MediaStreamError
            await self._ready.wait()
            source = self._source
            if source is None:
                continue
            self._reading = asyncio.ensure_future(source.recv())
            try:
                frame = await self._reading
            except asyncio.CancelledError:
                if not self._interrupted:
                    raise
                self._interrupted = False
                continue
            except MediaStreamError:
                if self._source is source:  # the source ended and was not replaced
                    self.switch(None)
                continue
            if isinstance(frame, AudioFrame | VideoFrame):
                return self._restamp(frame)

    def _restamp(self, frame: AudioFrame | VideoFrame) -> AudioFrame | VideoFrame:
        now = time.monotonic()
        if self._start is None:
            self._start = now
        if isinstance(frame, AudioFrame):
            frame.pts = self._samples
            frame.time_base = fractions.Fraction(1, frame.sample_rate)
            self._samples += frame.samples
        else:
            frame.pts = int((now - self._start) * VIDEO_RATE)
            frame.time_base = fractions.Fraction(1, VIDEO_RATE)
        return frame

    def stop(self) -> None:
        super().stop()
        self.switch(None)
        self._ready.set()


class SessionRelay:
    """The stable tracks of a session's participants, and proxies of them for each consumer."""

    def __init__(self) -> None:
        self._relay = MediaRelay()
        self.switches: dict[str, dict[str, SourceSwitch]] = {}

    def publish(self, participant: str, tracks: list[MediaStreamTrack]) -> None:
        """Switch in ``tracks`` (one per kind) as the participant's current sources."""
        switches = self.switches.setdefault(participant, {})
        for track in tracks:
            switch = switches.get(track.kind)
            if switch is None:
                switch = switches[track.kind] = SourceSwitch(track.kind)
            switch.switch(track)

    def subscribe(self, participant: str) -> list[MediaStreamTrack]:
        """Fresh proxies of ``participant``'s stable tracks (audio first, then video)."""
        switches = self.switches.get(participant, {})
        return [
            self._relay.subscribe(switches[kind], buffered=False)
            for kind in ("audio", "video")
            if kind in switches
        ]

    def withdraw(self, participant: str) -> None:
        """The participant left: its stable tracks end for every consumer."""
        for switch in self.switches.pop(participant, {}).values():
            switch.stop()

    def participants(self) -> list[str]:
        return list(self.switches)
