"""Pure rules of the hub's side of the platform link: status updates and drift."""

from __future__ import annotations

from dataclasses import dataclass
from enum import StrEnum
from typing import Any

__all__ = ["FINAL", "QUEUED", "Drift", "PlatformStatus", "find_drift", "is_newer"]

QUEUED = "queued"  # handed to the outbox, no answer from the platform yet
FINAL = frozenset({"completed", "returned"})


class Source(StrEnum):
    SUBMIT = "submit"  # the platform's answer to our POST
    CALLBACK = "callback"
    POLL = "poll"  # reconciliation


@dataclass(frozen=True)
class PlatformStatus:
    """One status of a case at the platform, as the platform numbered it."""

    reference: str  # our reference (the application number)
    case_no: str  # the platform's case number
    status: str  # received | in_process | completed | returned
    version: int  # the platform counts every change from 1
    reason: str | None
    source: str

    @classmethod
    def from_platform(cls, doc: dict[str, Any], source: Source) -> PlatformStatus:
        return cls(
            reference=str(doc["reference"]),
            case_no=str(doc["case_no"]),
            status=str(doc["status"]),
            version=int(doc["version"]),
            reason=doc.get("reason"),
            source=source.value,
        )


def is_newer(known_version: int | None, update: PlatformStatus) -> bool:
    """Duplicated or late updates (same or lower version) change nothing."""
    return known_version is None or update.version > known_version


@dataclass(frozen=True)
class Drift:
    reference: str
    hub_status: str
    platform_status: str | None  # None: the platform does not know the case


def find_drift(
    hub: dict[str, tuple[str, int]], platform: dict[str, tuple[str, int]]
) -> list[Drift]:
    """References whose hub view (status, version) lags the platform's, or is unknown there."""
    drift = []
    for reference, (status, version) in sorted(hub.items()):
        seen = platform.get(reference)
        if seen is None:
            drift.append(Drift(reference, status, None))
        elif seen[1] > version:
            drift.append(Drift(reference, status, seen[0]))
    return drift
