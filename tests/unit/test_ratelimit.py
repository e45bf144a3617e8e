"""Rate limits (the ``limits`` library, in memory or shared through Redis) and the pure
one-time-code check."""

from __future__ import annotations

import os
import uuid
from datetime import timedelta

import pytest

from common.clock import FixedClock
from common.factors import matching_step
from common.ratelimit import RateLimited, RateLimits
from signing.totp import code_at


async def test_a_key_gets_its_limit_per_window_and_then_waits() -> None:
    limits = RateLimits(policies={"sign_in": (3, timedelta(minutes=1))})
    for _ in range(3):
        await limits.check("sign_in", "1.2.3.4|clerk")
    with pytest.raises(RateLimited) as caught:
        await limits.check("sign_in", "1.2.3.4|clerk")
    assert caught.value.status == 429 and 58 <= caught.value.retry_after <= 60
    await limits.check("sign_in", "5.6.7.8|clerk")  # another address has its own budget


async def test_misses_are_counted_and_a_spent_budget_refuses_before_counting() -> None:
    limits = RateLimits(policies={"query_code": (2, timedelta(seconds=30))})
    await limits.refuse_if_spent("query_code", "k")  # nothing spent: passes, counts nothing
    await limits.count("query_code", "k")
    await limits.refuse_if_spent("query_code", "k")
    await limits.count("query_code", "k")
    with pytest.raises(RateLimited) as caught:
        await limits.refuse_if_spent("query_code", "k")
    assert 28 <= caught.value.retry_after <= 30


async def test_instances_sharing_redis_share_one_budget() -> None:
    """Two hub instances behind the proxy: a guesser switching between them gains nothing."""
    url = os.environ.get("QIAOLINK_TEST_REDIS_URL", "redis://127.0.0.1:6379/0")
    policy = {"query_code": (4, timedelta(minutes=1))}
    prefix = f"test-{uuid.uuid4().hex}"
    first = RateLimits(url, policy, prefix=prefix)
    second = RateLimits(url, policy, prefix=prefix)
    for limits in (first, second, first, second):
        await limits.check("query_code", "9.9.9.9|")
    for limits in (first, second):
        with pytest.raises(RateLimited):
            await limits.check("query_code", "9.9.9.9|")


def test_a_code_matches_once_and_only_in_ascii_digits() -> None:
    clock = FixedClock()
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    code = code_at(secret, clock.now())
    step = matching_step(secret, code, clock.now(), after=None)
    assert step is not None
    assert matching_step(secret, code, clock.now(), after=step) is None  # used
    wide = code.translate(str.maketrans("0123456789", "０１２３４５６７８９"))
    assert matching_step(secret, wide, clock.now(), after=None) is None
    clock.advance(timedelta(minutes=5))
    assert matching_step(secret, code, clock.now(), after=None) is None  # stale
