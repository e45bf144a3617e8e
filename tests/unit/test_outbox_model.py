"""The outbox's retry plan: backoff with full jitter, a cap, dead letters with a reason."""

from __future__ import annotations

import random
from datetime import UTC, datetime, timedelta

import pytest

from common.outbox.model import (
    MessageState,
    RetryPolicy,
    SendOutcome,
    after_attempt,
    backoff_delay,
)

NOW = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
POLICY = RetryPolicy(
    base_delay=timedelta(seconds=1), max_delay=timedelta(seconds=60), max_attempts=5
)


def test_backoff_grows_exponentially_until_the_cap() -> None:
    class Top(random.Random):
        def random(self) -> float:
            return 1.0

    delays = [backoff_delay(POLICY, n, Top()).total_seconds() for n in range(1, 10)]
    assert delays == [1, 2, 4, 8, 16, 32, 60, 60, 60]


def test_full_jitter_spreads_delays_over_the_whole_interval() -> None:
    rng = random.Random(7)
    delays = [backoff_delay(POLICY, 4, rng).total_seconds() for _ in range(2000)]
    assert all(0 <= d <= 8 for d in delays)
    assert min(delays) < 0.5 and max(delays) > 7.5  # not clustered at the ceiling
    assert 3.5 < sum(delays) / len(delays) < 4.5


def test_same_seed_same_plan() -> None:
    a = [backoff_delay(POLICY, n, random.Random(3)) for n in range(1, 6)]
    b = [backoff_delay(POLICY, n, random.Random(3)) for n in range(1, 6)]
    assert a == b


def test_failure_before_the_limit_schedules_a_retry_with_the_reason() -> None:
    step = after_attempt(
        POLICY, SendOutcome.retry("HTTP 503"), attempts=2, now=NOW, rng=random.Random(1)
    )
    assert step.state is MessageState.PENDING
    assert step.due_at is not None and NOW <= step.due_at <= NOW + timedelta(seconds=2)
    assert step.reason == "HTTP 503"


def test_the_last_allowed_failure_dead_letters_with_a_reason() -> None:
    step = after_attempt(
        POLICY, SendOutcome.retry("timed out"), attempts=5, now=NOW, rng=random.Random(1)
    )
    assert step.state is MessageState.DEAD
    assert step.due_at is None
    assert "5 attempts" in step.reason and "timed out" in step.reason


def test_a_refusal_is_dead_at_once() -> None:
    step = after_attempt(
        POLICY, SendOutcome.refused("HTTP 422 key reused"), attempts=1, now=NOW, rng=random.Random()
    )
    assert step.state is MessageState.DEAD
    assert "HTTP 422 key reused" in step.reason


def test_delivery_ends_the_plan() -> None:
    step = after_attempt(POLICY, SendOutcome.ok(), attempts=9, now=NOW, rng=random.Random())
    assert step.state is MessageState.DELIVERED and step.due_at is None


@pytest.mark.parametrize(
    "kw",
    [
        {"base_delay": timedelta(0)},
        {"base_delay": timedelta(seconds=10), "max_delay": timedelta(seconds=1)},
        {"max_attempts": 0},
        {"lease": timedelta(0)},
    ],
)
def test_nonsense_policies_are_refused(kw: dict[str, object]) -> None:
    with pytest.raises(ValueError):
        RetryPolicy(**kw)  # type: ignore[arg-type]


def test_attempts_count_from_one() -> None:
    with pytest.raises(ValueError):
        backoff_delay(POLICY, 0, random.Random())
