"""Pure rules of the platform link: idempotency decisions, fault draws, status order, drift."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from govnet_sim.model import (
    CallbackFault,
    CaseStatus,
    FaultPlan,
    Faults,
    IdempotencyDecision,
    KeyRecord,
    RequestFault,
    decide,
    next_status,
)
from hub.govnet.model import Drift, PlatformStatus, find_drift, is_newer

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
WAIT = timedelta(minutes=2)


@pytest.mark.parametrize(
    ("record", "expected"),
    [
        (None, IdempotencyDecision.NEW),
        (KeyRecord("h", True, NOW), IdempotencyDecision.REPLAY),
        (KeyRecord("other", True, NOW), IdempotencyDecision.MISMATCH),
        (KeyRecord("other", False, NOW), IdempotencyDecision.MISMATCH),
        (KeyRecord("h", False, NOW - timedelta(seconds=5)), IdempotencyDecision.IN_FLIGHT),
        (KeyRecord("h", False, NOW - timedelta(minutes=3)), IdempotencyDecision.NEW),
    ],
)
def test_idempotency_decisions(record: KeyRecord | None, expected: IdempotencyDecision) -> None:
    assert decide(record, "h", now=NOW, abandon_after=WAIT) is expected


def test_statuses_move_forward_only() -> None:
    assert next_status(CaseStatus.RECEIVED, returned=True) is CaseStatus.IN_PROCESS
    assert next_status(CaseStatus.IN_PROCESS, returned=False) is CaseStatus.COMPLETED
    assert next_status(CaseStatus.IN_PROCESS, returned=True) is CaseStatus.RETURNED
    with pytest.raises(ValueError):
        next_status(CaseStatus.COMPLETED, returned=False)


def test_fault_rates_are_honoured_and_seeded() -> None:
    plan = FaultPlan(error_rate=0.2, timeout_rate=0.1, duplicate_callback_rate=0.3, seed=11)
    draws = [Faults(plan).request() for _ in range(3)]
    assert len(set(draws)) == 1  # same seed, same first draw
    faults = Faults(plan)
    requests = [faults.request() for _ in range(5000)]
    assert 0.17 < requests.count(RequestFault.ERROR) / 5000 < 0.23
    assert 0.08 < requests.count(RequestFault.TIMEOUT) / 5000 < 0.12
    assert RequestFault.SLOW not in requests
    callbacks = [faults.callback() for _ in range(5000)]
    assert 0.27 < callbacks.count(CallbackFault.DUPLICATE) / 5000 < 0.33
    assert CallbackFault.DROP not in callbacks


@pytest.mark.parametrize(
    "kw", [{"error_rate": 1.5}, {"error_rate": 0.6, "slow_rate": 0.6}, {"slow_s": -1}]
)
def test_impossible_fault_plans_are_refused(kw: dict[str, float]) -> None:
    with pytest.raises(ValueError):
        FaultPlan(**kw)  # type: ignore[arg-type]


def test_only_newer_versions_apply() -> None:
    update = PlatformStatus("WC-1", "ZJ1", "in_process", 2, None, "callback")
    assert is_newer(None, update) and is_newer(1, update)
    assert not is_newer(2, update) and not is_newer(3, update)


def test_drift_is_a_lagging_hub_or_a_case_unknown_at_the_platform() -> None:
    hub = {"a": ("received", 1), "b": ("in_process", 2), "c": ("queued", 0)}
    platform = {"a": ("completed", 3), "b": ("in_process", 2)}
    assert find_drift(hub, platform) == [
        Drift("a", "received", "completed"),
        Drift("c", "queued", None),
    ]
