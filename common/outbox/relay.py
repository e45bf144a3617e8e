"""The relay: claims due outbox messages, sends them, records what happened.

Several relays (tasks, processes or instances) may run on one table: a claimed message is
leased to one of them. If a relay dies between sending and recording, the lease runs out and
another relay sends the message again with the same idempotency key; the receiver dedups.
"""

from __future__ import annotations

import asyncio
import logging
import random
from collections.abc import Mapping
from typing import Protocol

from sqlalchemy import Table
from sqlalchemy.ext.asyncio import AsyncSession

from common.clock import Clock
from common.db import Database
from common.logs import REQUEST_ID, adopt_request_id
from common.outbox.model import MessageState, RetryPolicy, SendOutcome, after_attempt
from common.outbox.store import OutboxMessage, claim_due, finish, requeue
from common.periodic import repeat

__all__ = ["DeliveryHook", "Relay", "Sender", "hook_by_kind"]

log = logging.getLogger("qiaolink.outbox")


class Sender(Protocol):
    """Delivers one message to its destination, passing ``message.key`` as idempotency key."""

    async def send(self, message: OutboxMessage) -> SendOutcome: ...


class DeliveryHook(Protocol):
    """Runs in the transaction that marks a message delivered (e.g. to store a receipt), or,
    as a dead hook, dead (with the receiver's refusal, when it gave one)."""

    async def __call__(
        self, session: AsyncSession, message: OutboxMessage, receipt: dict[str, object]
    ) -> None: ...


def hook_by_kind(kinds: Mapping[str, DeliveryHook], other: DeliveryHook) -> DeliveryHook:
    """One hook for a destination that receives several kinds of message."""

    async def hook(
        session: AsyncSession, message: OutboxMessage, receipt: dict[str, object]
    ) -> None:
        await kinds.get(message.kind, other)(session, message, receipt)

    return hook


class Relay:
    def __init__(
        self,
        database: Database,
        table: Table,
        senders: Mapping[str, Sender],
        *,
        clock: Clock,
        policy: RetryPolicy | None = None,
        rng: random.Random | None = None,
        batch: int = 100,
        concurrency: int = 16,
        hooks: Mapping[str, DeliveryHook] | None = None,
        dead_hooks: Mapping[str, DeliveryHook] | None = None,
    ) -> None:
        self.database = database
        self.table = table
        self.senders = dict(senders)
        self.clock = clock
        self.policy = policy or RetryPolicy()
        self.rng = rng or random.Random()
        self.batch = batch
        self.hooks = dict(hooks or {})
        self.dead_hooks = dict(dead_hooks or {})  # e.g. to show the sender why it was refused
        self._slots = asyncio.Semaphore(concurrency)

    async def run_once(self) -> int:
        """Claim one batch, send it, record the outcomes; returns how many were attempted."""
        async with self.database.transaction() as session:
            claimed = await claim_due(
                session,
                self.table,
                now=self.clock.now(),
                lease=self.policy.lease,
                limit=self.batch,
                destinations=sorted(self.senders),
            )
        if not claimed:
            return 0
        outcomes = await asyncio.gather(*(self._send(m) for m in claimed))
        results = list(zip(claimed, outcomes, strict=True))
        try:
            async with self.database.transaction() as session:
                for message, outcome in results:
                    await self._record(session, message, outcome)
        except Exception:
            log.exception("recording a batch failed; recording message by message")
            for message, outcome in results:
                try:
                    async with self.database.transaction() as session:
                        await self._record(session, message, outcome)
                except Exception:
                    # the lease runs out and the message is sent again with the same key
                    log.exception("could not record outbox message %s", message.id)
        return len(claimed)

    async def _send(self, message: OutboxMessage) -> SendOutcome:
        """Send under the id of the request that queued the message, so that its logs and the
        receiver's carry the same id (gather runs each send in a context of its own)."""
        sender = self.senders[message.destination]
        timeout = self.policy.lease.total_seconds() * 0.8
        REQUEST_ID.set(message.request_id or adopt_request_id(None))
        async with self._slots:
            log.info(
                "sending outbox message %s to %s",
                message.id,
                message.destination,
                extra={"fields": {"key": message.key, "attempt": message.attempts}},
            )
            try:
                return await asyncio.wait_for(sender.send(message), timeout)
            except TimeoutError:
                return SendOutcome.retry(f"no answer within {timeout:.1f} s")
            except Exception as exc:  # a sender's bug or the network: retry, keep the reason
                return SendOutcome.retry(f"{type(exc).__name__}: {exc}")

    async def _record(
        self, session: AsyncSession, message: OutboxMessage, outcome: SendOutcome
    ) -> None:
        now = self.clock.now()
        step = after_attempt(self.policy, outcome, attempts=message.attempts, now=now, rng=self.rng)
        if not await finish(session, self.table, message, step, now=now):
            log.warning("lost the lease on outbox message %s; another relay has it", message.id)
            return
        if step.state is MessageState.DELIVERED:
            hook = self.hooks.get(message.destination)
            if hook is not None:
                await hook(session, message, outcome.receipt or {})
        elif step.state is MessageState.DEAD:
            log.warning("outbox message %s is dead: %s", message.id, step.reason)
            dead_hook = self.dead_hooks.get(message.destination)
            if dead_hook is not None:
                await dead_hook(session, message, outcome.receipt or {})

    async def round(self) -> bool:
        """One round; True when it took a full batch, so more may be waiting (go again now)."""
        return await self.run_once() >= self.batch

    async def run(self, *, interval: float, stop: asyncio.Event | None = None) -> None:
        """Loop until ``stop`` is set: a full batch goes round at once, else wait ``interval``."""
        await repeat(
            self.round, interval_s=interval, stop=stop or asyncio.Event(), what="an outbox round"
        )

    async def requeue(self, message_id: int) -> str:
        """An officer's requeue of a dead letter; returns the message key."""
        async with self.database.transaction() as session:
            return await requeue(session, self.table, message_id, now=self.clock.now())
