"""Running the face models off the event loop.

dlib keeps Python's GIL while it computes (measured here: two threads take twice as long as one,
and a 5 ms asyncio ticker stalled for 120 ms while an encoding ran in a thread), so a thread pool
would still stall the loop. The engine therefore runs the pipeline in worker processes.
"""

from __future__ import annotations

import asyncio
import multiprocessing
from collections.abc import Sequence
from concurrent.futures import ProcessPoolExecutor

from media.face.encode import Encoding
from media.face.liveness import Action
from media.face.pipeline import (
    EnrolmentAnalysis,
    PipelineConfig,
    SeriesAnalysis,
    analyse_enrolment,
    analyse_series,
)

__all__ = ["FaceEngine"]


def _warm_up() -> None:
    import face_recognition  # noqa: F401  (loads the models once per worker)


class FaceEngine:
    """A pool of worker processes doing enrolment and verification analyses."""

    def __init__(self, workers: int = 1, config: PipelineConfig | None = None) -> None:
        self.config = config or PipelineConfig()
        self._pool = ProcessPoolExecutor(
            max_workers=workers,
            mp_context=multiprocessing.get_context("forkserver"),
            initializer=_warm_up,
        )

    async def enrolment(self, photo: bytes) -> EnrolmentAnalysis:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(self._pool, analyse_enrolment, photo, self.config)

    async def verification(
        self,
        frames: Sequence[bytes],
        times_ms: Sequence[int],
        challenge: Sequence[Action],
        reference: Encoding,
        threshold: float,
    ) -> SeriesAnalysis:
        loop = asyncio.get_running_loop()
        return await loop.run_in_executor(
            self._pool,
            analyse_series,
            list(frames),
            list(times_ms),
            list(challenge),
            reference,
            threshold,
            self.config,
        )

    def close(self) -> None:
        self._pool.shutdown(wait=True, cancel_futures=True)
