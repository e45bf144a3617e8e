"""Writes of one kind that arrive together are committed together (group commit).

A commit costs about the same for one row as for fifty: on PostgreSQL a round trip and a flush of
the write-ahead log, on SQLite the one writer's turn and a thread hop for every statement. So the
first request writes at once, alone, and every request that arrives while that commit is under way
waits for the next one, which writes all of them in one transaction with one statement per table.
Nobody waits for a timer, only for one turn of the event loop: under light load every batch
holds one job.

A request is answered only after its own rows are committed, so an accepted request is in the
database, and its audit entry in the log, exactly as before. A job the batch writer refuses (an
unknown service item) gets its own error and the others still commit. When a batch fails as a
whole (a unique number drawn twice, a lost connection), each of its jobs is written again alone in
a transaction of its own: one job's failure is never another's, and nothing is half-written.

Written here because no library kept by the project batches an asyncio SQLAlchemy unit of work;
database drivers batch statements, not callers.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable, Sequence
from typing import Generic, TypeVar

from sqlalchemy.ext.asyncio import AsyncSession

from common.db import Database

__all__ = ["BatchWriter", "GroupCommit"]

log = logging.getLogger(__name__)

J = TypeVar("J")
R = TypeVar("R")

# Writes every job of a batch in the caller's transaction; returns, in the jobs' order, each
# job's result or the exception that refuses that job alone (its rows left unwritten).
BatchWriter = Callable[[AsyncSession, Sequence[J]], Awaitable[list[R | Exception]]]


class GroupCommit(Generic[J, R]):
    def __init__(
        self,
        db: Database,
        write: BatchWriter[J, R],
        *,
        most: int = 64,
        lanes: int = 1,
        retry: tuple[type[Exception], ...] = (),
        attempts: int = 3,
    ) -> None:
        """``lanes``: batches that may be written at once (1 where the database has one writer;
        more where commits wait on the disk and the server groups their flushes itself).
        ``retry``: errors on which a job written alone is tried again (up to ``attempts``),
        e.g. a unique index refusing a randomly drawn number."""
        self._db = db
        self._write = write
        self._most = most
        self._retry = retry
        self._attempts = attempts
        self._lanes = lanes
        self._pending: list[tuple[J, asyncio.Future[R]]] = []
        self._draining = 0  # lanes at work, counted where they start and stop
        self._tasks: set[asyncio.Task[None]] = set()  # held so that none is collected early

    async def submit(self, job: J) -> R:
        """Write ``job`` and return its result once it is committed."""
        future: asyncio.Future[R] = asyncio.get_running_loop().create_future()
        self._pending.append((job, future))
        if self._draining < self._lanes:
            self._draining += 1
            task = asyncio.create_task(self._drain())
            self._tasks.add(task)
            task.add_done_callback(self._tasks.discard)
        return await future

    async def _drain(self) -> None:
        try:
            while self._pending:
                # one turn of the loop first: requests already received reach this batch
                await asyncio.sleep(0)
                batch = self._pending[: self._most]
                del self._pending[: self._most]
                if batch:
                    await self._commit(batch)
        finally:
            self._draining -= 1  # no await after the last look at the queue

    async def _commit(self, batch: list[tuple[J, asyncio.Future[R]]]) -> None:
        if len(batch) == 1:
            await self._alone(*batch[0])
            return
        try:
            async with self._db.transaction() as session:
                outcomes = await self._write(session, [job for job, _ in batch])
        except Exception:
            log.info("a batch of %d writes failed as a whole; writing each alone", len(batch))
            for job, future in batch:
                await self._alone(job, future)
            return
        for (_, future), outcome in zip(batch, outcomes, strict=True):
            _settle(future, outcome)

    async def _alone(self, job: J, future: asyncio.Future[R]) -> None:
        for attempt in range(1, self._attempts + 1):
            try:
                async with self._db.transaction() as session:
                    (outcome,) = await self._write(session, [job])
                    if isinstance(outcome, Exception):
                        raise outcome  # rolls back whatever the writer did for it
            except self._retry as exc:
                if attempt < self._attempts:
                    continue
                _settle(future, exc)
            except Exception as exc:
                _settle(future, exc)
            else:
                _settle(future, outcome)
            return


def _settle(future: asyncio.Future[R], outcome: R | Exception) -> None:
    if future.done():  # its caller went away; the write stands
        return
    if isinstance(outcome, Exception):
        future.set_exception(outcome)
    else:
        future.set_result(outcome)
