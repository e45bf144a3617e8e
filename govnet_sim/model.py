"""The platform's pure rules: case statuses, the idempotency contract and fault draws."""

from __future__ import annotations

import hashlib
import random
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

__all__ = [
    "CallbackFault",
    "CaseStatus",
    "FaultPlan",
    "Faults",
    "IdempotencyDecision",
    "RequestFault",
    "decide",
    "next_status",
    "request_hash",
]


class CaseStatus(StrEnum):
    RECEIVED = "received"
    IN_PROCESS = "in_process"
    COMPLETED = "completed"
    RETURNED = "returned"  # sent back to the hub for correction

    @property
    def final(self) -> bool:
        return self in (CaseStatus.COMPLETED, CaseStatus.RETURNED)


def next_status(status: CaseStatus, *, returned: bool) -> CaseStatus:
    """received → in_process → completed (or returned); a final status does not move."""
    if status is CaseStatus.RECEIVED:
        return CaseStatus.IN_PROCESS
    if status is CaseStatus.IN_PROCESS:
        return CaseStatus.RETURNED if returned else CaseStatus.COMPLETED
    raise ValueError(f"a {status.value} case does not move on")


def request_hash(body: bytes) -> str:
    return hashlib.sha256(body).hexdigest()


class IdempotencyDecision(StrEnum):
    NEW = "new"  # first request with this key: process it
    REPLAY = "replay"  # same key, same payload, answered: the first answer again
    MISMATCH = "mismatch"  # same key, other payload: 422
    IN_FLIGHT = "in_flight"  # same key while the first is still processed: 409


@dataclass(frozen=True)
class KeyRecord:
    request_hash: str
    answered: bool
    started_at: datetime


def decide(
    record: KeyRecord | None, wanted_hash: str, *, now: datetime, abandon_after: timedelta
) -> IdempotencyDecision:
    """What a request with an idempotency key gets, given what the key already holds.

    A key whose first request never finished (the platform died mid-way) counts as free again
    after ``abandon_after``.
    """
    if record is None:
        return IdempotencyDecision.NEW
    if record.request_hash != wanted_hash:
        return IdempotencyDecision.MISMATCH
    if record.answered:
        return IdempotencyDecision.REPLAY
    if now - record.started_at > abandon_after:
        return IdempotencyDecision.NEW
    return IdempotencyDecision.IN_FLIGHT


class RequestFault(StrEnum):
    NONE = "none"
    ERROR = "error"  # 503 before anything is stored
    TIMEOUT = "timeout"  # processed, but answered only after the client gave up
    SLOW = "slow"  # processed and answered late, within the client's patience


class CallbackFault(StrEnum):
    NONE = "none"
    DROP = "drop"  # the callback is lost
    DUPLICATE = "duplicate"  # the callback arrives twice


@dataclass(frozen=True)
class FaultPlan:
    error_rate: float = 0.0
    timeout_rate: float = 0.0
    slow_rate: float = 0.0
    timeout_s: float = 30.0
    slow_s: float = 2.0
    drop_callback_rate: float = 0.0
    duplicate_callback_rate: float = 0.0
    seed: int | None = None

    def __post_init__(self) -> None:
        rates = (self.error_rate, self.timeout_rate, self.slow_rate)
        if not all(0.0 <= r <= 1.0 for r in (*rates, *self.callback_rates)):
            raise ValueError("fault rates are between 0 and 1")
        if sum(rates) > 1.0 or sum(self.callback_rates) > 1.0:
            raise ValueError("the request (or callback) fault rates add up to more than 1")
        if self.timeout_s < 0 or self.slow_s < 0:
            raise ValueError("fault delays are not negative")

    @property
    def callback_rates(self) -> tuple[float, float]:
        return (self.drop_callback_rate, self.duplicate_callback_rate)


class Faults:
    """Draws faults from a plan with its own seeded random source."""

    def __init__(self, plan: FaultPlan) -> None:
        self.plan = plan
        self.rng = random.Random(plan.seed)

    def request(self) -> RequestFault:
        x = self.rng.random()
        for fault, rate in (
            (RequestFault.ERROR, self.plan.error_rate),
            (RequestFault.TIMEOUT, self.plan.timeout_rate),
            (RequestFault.SLOW, self.plan.slow_rate),
        ):
            if x < rate:
                return fault
            x -= rate
        return RequestFault.NONE

    def callback(self) -> CallbackFault:
        x = self.rng.random()
        if x < self.plan.drop_callback_rate:
            return CallbackFault.DROP
        if x < self.plan.drop_callback_rate + self.plan.duplicate_callback_rate:
            return CallbackFault.DUPLICATE
        return CallbackFault.NONE
