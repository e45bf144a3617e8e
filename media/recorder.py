"""Recording a session: every participant's audio and video in Matroska, in segments.

A segment holds a fixed set of tracks. When the set changes (someone joins or leaves) or a
connection is rebuilt, :meth:`SessionRecorder.rotate` closes the current file cleanly and opens
the next, so a session is a sequence of playable files, each hashed with SHA-256 when closed.
Encoding and muxing run on one worker thread per recorder, never on the event loop; when the
worker falls behind, frames are dropped and counted rather than queued without bound.
"""

from __future__ import annotations

import asyncio
import contextlib
import fractions
import hashlib
import time
from collections.abc import Awaitable, Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
from aiortc.mediastreams import MediaStreamError, MediaStreamTrack
from av import AudioFrame, VideoFrame
from av.video.reformatter import VideoReformatter

__all__ = ["Segment", "SessionRecorder", "sha256_file"]

MS = fractions.Fraction(1, 1000)
AUDIO_RATE = 48_000
OPUS_FRAME = 960  # 20 ms


@dataclass(frozen=True)
class Segment:
    index: int
    path: Path
    sha256: str
    tracks: tuple[str, ...]  # "participant/kind", in stream order
    frames: int
    dropped: int


def sha256_file(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as fh:
        for block in iter(lambda: fh.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()


class _Muxer:
    """One segment's container; used only from the recorder's worker thread."""

    def __init__(self, path: Path, labels: list[tuple[str, str]], width: int, height: int):
        self.path = path
        self.width, self.height = width, height
        self.container: Any = av.open(str(path), "w", format="matroska")
        self.streams: list[Any] = []
        self.state: list[dict[str, Any]] = []
        for _label, kind in labels:
            stream: Any
            if kind == "video":
                stream = self.container.add_stream("libx264", rate=30)
                stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
                stream.codec_context.time_base = MS
                stream.codec_context.options = {"preset": "ultrafast", "tune": "zerolatency"}
                self.state.append({"last": -1})
            else:
                stream = self.container.add_stream("libopus", rate=AUDIO_RATE)
                stream.layout = "stereo"
                resampler = av.AudioResampler(
                    format="s16", layout="stereo", rate=AUDIO_RATE, frame_size=OPUS_FRAME
                )
                self.state.append({"resampler": resampler, "next": None})
            self.streams.append(stream)
        # A reformatter of our own: a frame's built-in one (``frame.reformat``) is shared by
        # every consumer of that frame, and two threads scaling through one scaler deadlock.
        self.scaler = VideoReformatter()
        self.frames = 0

    def write(self, index: int, frame: AudioFrame | VideoFrame, elapsed: float) -> None:
        """Encode one frame. Frames are shared with the call's other consumers, so they are
        never modified here: timestamps go on our own copies or on the packets."""
        stream, state = self.streams[index], self.state[index]
        if isinstance(frame, VideoFrame):
            self._write_video(stream, state, frame, elapsed)
        else:
            self._write_audio(stream, state, frame, elapsed)
        self.frames += 1

    def _write_video(
        self, stream: Any, state: dict[str, Any], frame: VideoFrame, elapsed: float
    ) -> None:
        pts = int(elapsed * 1000)
        if pts <= state["last"]:
            return
        state["last"] = pts
        out = self.scaler.reformat(
            frame, width=self.width, height=self.height, format="yuv420p", threads=1
        )
        if out is frame:  # PyAV hands back the same frame when nothing changes
            out = VideoFrame.from_ndarray(frame.to_ndarray(), format="yuv420p")
        out.pts, out.time_base = pts, MS
        self.container.mux(stream.encode(out))

    def _write_audio(
        self, stream: Any, state: dict[str, Any], frame: AudioFrame, elapsed: float
    ) -> None:
        if state["next"] is None:
            state["next"] = int(elapsed * AUDIO_RATE)
        # A resampler with a frame size always returns new frames of exactly that size.
        for piece in state["resampler"].resample(frame):
            piece.pts, piece.time_base = state["next"], fractions.Fraction(1, AUDIO_RATE)
            state["next"] += piece.samples
            self.container.mux(stream.encode(piece))

    def close(self) -> str | None:
        """Flush and close; the file's SHA-256, or ``None`` (and no file) if nothing was written."""
        if self.frames:
            for stream in self.streams:
                self.container.mux(stream.encode(None))
        self.container.close()
        if not self.frames:
            self.path.unlink(missing_ok=True)
            return None
        return sha256_file(self.path)


class SessionRecorder:
    """Records the tracks it is given into ``directory/<session>-NNN.mkv`` segments."""

    def __init__(
        self,
        directory: Path,
        session_id: str,
        *,
        width: int = 640,
        height: int = 480,
        max_pending: int = 30,
        on_segment: Callable[[Segment], Awaitable[None]] | None = None,
    ) -> None:
        self.directory = directory
        self.session_id = session_id
        self.width, self.height = width, height
        self.max_pending = max_pending
        self.on_segment = on_segment  # told of each segment once its file is closed and hashed
        self.segments: list[Segment] = []
        self._worker = ThreadPoolExecutor(max_workers=1, thread_name_prefix=f"rec-{session_id}")
        self._muxer: _Muxer | None = None
        self._labels: tuple[str, ...] = ()
        self._tasks: list[asyncio.Task[None]] = []
        self._tracks: list[MediaStreamTrack] = []
        self._pending = 0
        self._dropped = 0
        self._started = 0.0
        self._lock = asyncio.Lock()

    async def rotate(self, sources: dict[str, MediaStreamTrack]) -> Segment | None:
        """Close the current segment (returned) and start one recording ``sources``.

        ``sources`` maps "participant/kind" to a track this recorder alone consumes.
        """
        async with self._lock:
            closed = await self._close_current()
            if sources:
                await self._open(sources)
            return closed

    async def stop(self) -> list[Segment]:
        """Close the last segment and the worker; every segment of the session, in order."""
        await self.rotate({})
        # The last segment was closed on the worker after every write queued before it, so
        # nothing is left to wait for: do not block the event loop on the thread's exit.
        self._worker.shutdown(wait=False)
        return list(self.segments)

    async def _open(self, sources: dict[str, MediaStreamTrack]) -> None:
        loop = asyncio.get_running_loop()
        index = len(self.segments)
        path = self.directory / f"{self.session_id}-{index:03d}.mkv"
        labels = [(label, track.kind) for label, track in sources.items()]
        self._muxer = await loop.run_in_executor(
            self._worker, _Muxer, path, labels, self.width, self.height
        )
        self._labels = tuple(sources)
        self._tracks = list(sources.values())
        self._started = time.monotonic()
        self._dropped = 0
        self._tasks = [
            asyncio.create_task(self._consume(self._muxer, i, track))
            for i, track in enumerate(self._tracks)
        ]

    async def _consume(self, muxer: _Muxer, index: int, track: MediaStreamTrack) -> None:
        loop = asyncio.get_running_loop()
        while True:
            try:
                frame = await track.recv()
            except MediaStreamError:
                return
            if not isinstance(frame, AudioFrame | VideoFrame):
                continue
            if self._pending >= self.max_pending:
                self._dropped += 1
                continue
            self._pending += 1
            elapsed = time.monotonic() - self._started
            future = loop.run_in_executor(self._worker, muxer.write, index, frame, elapsed)
            future.add_done_callback(self._done)

    def _done(self, future: asyncio.Future[None]) -> None:
        self._pending -= 1
        if not future.cancelled() and future.exception() is not None:
            self._dropped += 1

    async def _close_current(self) -> Segment | None:
        muxer, self._muxer = self._muxer, None
        if muxer is None:
            return None
        for task in self._tasks:
            task.cancel()
        for task in self._tasks:
            with contextlib.suppress(asyncio.CancelledError):
                await task
        for track in self._tracks:
            track.stop()
        loop = asyncio.get_running_loop()
        digest = await loop.run_in_executor(self._worker, muxer.close)
        if digest is None:
            return None
        segment = Segment(
            len(self.segments), muxer.path, digest, self._labels, muxer.frames, self._dropped
        )
        self.segments.append(segment)
        if self.on_segment is not None:
            await self.on_segment(segment)
        return segment
