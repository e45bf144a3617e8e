"""Pure rules of identity at the node: lock-out, retention, attempt life, decision reason."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from media.face import (
    REPLAY_LIMIT,
    LivenessStatus,
    MatchStatus,
    PresentationStatus,
    SeriesAnalysis,
)

__all__ = [
    "KIOSK_GRANT_TTL",
    "LockoutPolicy",
    "attempt_reason",
    "decision_checks",
    "grant_refusal",
    "locked_until",
    "retention_cutoff",
]


# How long a kiosk grant the clerk opened stays usable: enough to sit down at the kiosk and
# follow the prompts, short enough that a forgotten grant is worthless.
KIOSK_GRANT_TTL = timedelta(minutes=10)


@dataclass(frozen=True)
class LockoutPolicy:
    free_failures: int = 5  # failures allowed before any delay
    first_delay: timedelta = timedelta(minutes=1)
    max_delay: timedelta = timedelta(hours=24)


def locked_until(
    failures: int, last_failure_at: datetime | None, policy: LockoutPolicy
) -> datetime | None:
    """When the next attempt may start: after the fifth consecutive failure the resident waits
    ``first_delay``, and the wait doubles with each further failure (up to ``max_delay``)."""
    if failures < policy.free_failures or last_failure_at is None:
        return None
    doublings = min(failures - policy.free_failures, 30)
    delay: timedelta = min(policy.first_delay * (2**doublings), policy.max_delay)
    return last_failure_at + delay


def retention_cutoff(now: datetime, days: int) -> datetime:
    """Records stored before this instant are due for deletion."""
    if now.tzinfo is None:
        raise ValueError("retention is computed on timezone-aware times")
    return now - timedelta(days=days)


def attempt_reason(analysis: SeriesAnalysis) -> str:
    """``accepted`` or the first reason that refuses: faces and liveness first, then whether
    a head or a picture performed them, then identity."""
    if analysis.liveness.status is not LivenessStatus.PASSED:
        return f"liveness_{analysis.liveness.status.value}"
    pad = analysis.presentation
    if pad is None or pad.status is not PresentationStatus.DEPTH:  # a head must be measured
        return f"presentation_{pad.status.value if pad else PresentationStatus.NOT_MEASURED.value}"
    if analysis.match.status is not MatchStatus.MATCH:
        return f"identity_{analysis.match.status.value}"
    return "accepted"


def grant_refusal(state: str, expires_at: datetime, now: datetime, *, starting: bool) -> str | None:
    """Why a kiosk grant cannot be used now (``used``, ``expired``), or None.

    A grant starts one attempt (``open`` → ``started``) and ends with its decision (``used``);
    ``starting`` asks whether it may start an attempt, which only an open grant may."""
    if state == "used" or (starting and state != "open"):
        return "used"
    if now >= expires_at:
        return "expired"
    return None


def decision_checks(analysis: SeriesAnalysis | None, replay_score: float | None) -> dict[str, Any]:
    """Each check's measured value beside its limit, for the signed decision."""
    checks: dict[str, Any] = {
        "replay": {
            "score": None if replay_score is None else round(replay_score, 3),
            "limit": REPLAY_LIMIT,
            "unit": "mean differing bits of the closest earlier attempt's frames",
        }
    }
    if analysis is None:
        return checks
    checks["liveness"] = {"status": analysis.liveness.status.value}
    pad = analysis.presentation
    checks["presentation"] = {
        "status": pad.status.value if pad else "not_measured",
        "parallax": pad.parallax if pad else None,
        "min_parallax": pad.min_parallax if pad else None,
        "turned_frames": pad.turned_frames if pad else 0,
    }
    checks["identity"] = {
        "status": analysis.match.status.value,
        "distance": analysis.match.distance,
    }
    return checks
