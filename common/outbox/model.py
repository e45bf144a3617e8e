"""The outbox's pure rules: message states, the retry plan and when a message goes dead.

No database, no clock, no network: the relay hands in ``now`` and a random source, so every
decision can be replayed in a unit test.
"""

from __future__ import annotations

import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = [
    "MessageState",
    "NextStep",
    "RetryPolicy",
    "SendOutcome",
    "after_attempt",
    "backoff_delay",
]


class MessageState(StrEnum):
    PENDING = "pending"  # waiting to be sent (again)
    DELIVERED = "delivered"  # the receiver acknowledged it
    DEAD = "dead"  # given up; an officer may requeue it


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential backoff with full jitter, capped, and a limit on attempts."""

    base_delay: timedelta = timedelta(seconds=1)
    max_delay: timedelta = timedelta(minutes=5)
    max_attempts: int = 12
    lease: timedelta = timedelta(seconds=30)  # how long one relay owns a claimed message

    def __post_init__(self) -> None:
        if self.base_delay <= timedelta(0) or self.max_delay < self.base_delay:
            raise ValueError("need 0 < base_delay <= max_delay")
        if self.max_attempts < 1:
            raise ValueError("max_attempts must be at least 1")
        if self.lease <= timedelta(0):
            raise ValueError("the lease must be positive")


@dataclass(frozen=True)
class SendOutcome:
    """What one send attempt achieved. ``permanent`` failures are not retried."""

    delivered: bool
    reason: str = ""
    permanent: bool = False
    receipt: dict[str, object] | None = None  # what the receiver answered, for the hook

    @classmethod
    def ok(cls, receipt: dict[str, object] | None = None) -> SendOutcome:
        return cls(True, receipt=receipt)

    @classmethod
    def retry(cls, reason: str) -> SendOutcome:
        return cls(False, reason)

    @classmethod
    def refused(cls, reason: str, receipt: dict[str, object] | None = None) -> SendOutcome:
        return cls(False, reason, permanent=True, receipt=receipt)


@dataclass(frozen=True)
class NextStep:
    state: MessageState
    due_at: datetime | None  # when to try again (pending only)
    reason: str  # the last error, or why the message went dead


def backoff_delay(policy: RetryPolicy, attempt: int, rng: random.Random) -> timedelta:
    """Full jitter: uniform in [0, min(max_delay, base_delay * 2**(attempt-1))]."""
    if attempt < 1:
        raise ValueError("attempts are counted from 1")
    ceiling = policy.base_delay * (1 << min(attempt - 1, 32))
    ceiling = min(ceiling, policy.max_delay)
    fraction: float = rng.random()
    return ceiling * fraction


def after_attempt(
    policy: RetryPolicy,
    outcome: SendOutcome,
    *,
    attempts: int,
    now: datetime,
    rng: random.Random,
) -> NextStep:
    """The message's next state after its ``attempts``-th send ended with ``outcome``."""
    if outcome.delivered:
        return NextStep(MessageState.DELIVERED, None, "")
    if outcome.permanent:
        return NextStep(MessageState.DEAD, None, f"refused by the receiver: {outcome.reason}")
    if attempts >= policy.max_attempts:
        return NextStep(
            MessageState.DEAD,
            None,
            f"gave up after {attempts} attempts; last error: {outcome.reason}",
        )
    return NextStep(
        MessageState.PENDING, now + backoff_delay(policy, attempts, rng), outcome.reason
    )
