"""In-process rate limits: at most ``limit`` hits per ``window`` for one key (IP + subject).

A sliding log per key, pruned on each hit; a clock is injected. This slows a guesser down within
one process; the lock-out that survives restarts and spans instances is kept in the database
(see :mod:`common.factors`).
"""

from __future__ import annotations

from collections import deque
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from aiohttp import web

from common.clock import Clock
from common.errors import N_, DomainError

__all__ = [
    "DEFAULT_POLICIES",
    "RATE_LIMITS",
    "RateLimited",
    "RateLimiter",
    "RateLimits",
    "enforce",
]


class RateLimited(DomainError):
    status = 429

    def __init__(self, retry_after: int) -> None:
        super().__init__(
            "rate.limited",
            N_("Too many requests. Try again in {seconds} seconds."),
            params={"seconds": retry_after},
        )
        self.retry_after = retry_after


@dataclass
class RateLimiter:
    limit: int
    window: timedelta
    clock: Clock
    max_keys: int = 100_000  # a flood of distinct keys cannot grow memory without bound
    _hits: dict[str, deque[datetime]] = field(default_factory=dict, repr=False)

    def hit(self, key: str) -> int:
        """Count one hit; 0 if allowed, else the seconds until the next hit would be."""
        now = self.clock.now()
        log = self._hits.get(key)
        if log is None:
            if len(self._hits) >= self.max_keys:
                self._prune(now)
            log = self._hits[key] = deque()
        while log and log[0] <= now - self.window:
            log.popleft()
        if len(log) >= self.limit:
            wait = log[0] + self.window - now
            return max(1, int(wait.total_seconds() + 0.999))
        log.append(now)
        return 0

    def _prune(self, now: datetime) -> None:
        for key in [k for k, v in self._hits.items() if not v or v[-1] <= now - self.window]:
            del self._hits[key]
        if len(self._hits) >= self.max_keys:  # all busy: forget the oldest half
            for key in list(self._hits)[: self.max_keys // 2]:
                del self._hits[key]


# name → (hits, window): sign-in, one-time codes, identity verification, signalling
DEFAULT_POLICIES: dict[str, tuple[int, timedelta]] = {
    "sign_in": (10, timedelta(minutes=1)),
    "one_time_code": (10, timedelta(minutes=1)),
    "verification": (30, timedelta(minutes=1)),
    "signalling": (120, timedelta(minutes=1)),
    "query_code": (30, timedelta(minutes=1)),
}


class RateLimits:
    """One limiter per named policy, for one app."""

    def __init__(
        self, clock: Clock, policies: dict[str, tuple[int, timedelta]] | None = None
    ) -> None:
        self.limiters = {
            name: RateLimiter(limit, window, clock)
            for name, (limit, window) in (policies or DEFAULT_POLICIES).items()
        }

    def check(self, policy: str, key: str) -> None:
        wait = self.limiters[policy].hit(key)
        if wait:
            raise RateLimited(wait)


RATE_LIMITS = web.AppKey("rate_limits", RateLimits)


def enforce(request: web.Request, policy: str, subject: str = "") -> None:
    """Count this request against ``policy`` for its client address and ``subject``."""
    limits = request.app.get(RATE_LIMITS)
    if limits is not None:
        limits.check(policy, f"{request.remote or '?'}|{subject}")
