"""The in-process rate limiter and the pure one-time-code check."""

from __future__ import annotations

from datetime import timedelta

import pytest

from common.clock import FixedClock
from common.factors import matching_step
from common.ratelimit import RateLimited, RateLimiter, RateLimits
from signing.totp import code_at


def test_a_key_gets_its_limit_per_window_and_then_waits() -> None:
    clock = FixedClock()
    limiter = RateLimiter(3, timedelta(minutes=1), clock)
    assert [limiter.hit("1.2.3.4|clerk") for _ in range(3)] == [0, 0, 0]
    assert limiter.hit("1.2.3.4|clerk") == 60
    assert limiter.hit("5.6.7.8|clerk") == 0  # another address has its own budget
    clock.advance(timedelta(seconds=45))
    assert limiter.hit("1.2.3.4|clerk") == 15
    clock.advance(timedelta(seconds=15))
    assert limiter.hit("1.2.3.4|clerk") == 0


def test_a_flood_of_distinct_keys_does_not_grow_without_bound() -> None:
    limiter = RateLimiter(1, timedelta(minutes=1), FixedClock(), max_keys=100)
    for n in range(1000):
        limiter.hit(f"10.0.{n}|x")
    assert len(limiter._hits) <= 100


def test_named_policies_raise_429_with_retry_after() -> None:
    limits = RateLimits(FixedClock(), {"sign_in": (1, timedelta(seconds=10))})
    limits.check("sign_in", "k")
    with pytest.raises(RateLimited) as caught:
        limits.check("sign_in", "k")
    assert caught.value.status == 429 and caught.value.retry_after == 10


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
