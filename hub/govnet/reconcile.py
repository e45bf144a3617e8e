"""Reconciliation: compare the hub's view of open cases with the platform's and repair drift.

Callbacks get lost (the platform drops some, the hub may be down); a poll of every case still
open at the hub catches up, and each repair is audited.
"""

from __future__ import annotations

from dataclasses import dataclass

import aiohttp
from sqlalchemy import select

from common.audit import record
from common.clock import Clock
from common.db import Database
from hub.db import audit_events
from hub.govnet.client import GovnetClient, PlatformUnavailable
from hub.govnet.model import FINAL, QUEUED, PlatformStatus, Source, find_drift
from hub.govnet.service import StatusSink, apply_status
from hub.govnet.tables import govnet_cases

__all__ = ["ReconcileReport", "reconcile_once"]


@dataclass(frozen=True)
class ReconcileReport:
    checked: int
    repaired: int
    missing: int  # delivered by the hub's account, unknown to the platform
    failed_batches: int


async def _open_cases(db: Database) -> dict[str, tuple[str, int]]:
    async with db.transaction() as s:
        rows = await s.execute(
            select(govnet_cases.c.reference, govnet_cases.c.status, govnet_cases.c.version).where(
                govnet_cases.c.status.not_in(sorted(FINAL))
            )
        )
        return {r.reference: (r.status, int(r.version)) for r in rows}


async def reconcile_once(
    db: Database, client: GovnetClient, sinks: list[StatusSink], *, clock: Clock, batch: int = 200
) -> ReconcileReport:
    hub = await _open_cases(db)
    repaired = missing = failed = 0
    references = sorted(hub)
    for start in range(0, len(references), batch):
        chunk = references[start : start + batch]
        try:
            seen = await client.query(chunk)
        except (PlatformUnavailable, aiohttp.ClientError, TimeoutError):
            failed += 1
            continue
        platform = {ref: (str(doc["status"]), int(doc["version"])) for ref, doc in seen.items()}
        drift = find_drift({ref: hub[ref] for ref in chunk}, platform)
        async with db.transaction() as s:
            now = clock.now()
            for item in drift:
                if item.platform_status is None:
                    if item.hub_status != QUEUED:
                        missing += 1
                        await record(
                            s,
                            audit_events,
                            at=now,
                            actor="reconciler",
                            action="govnet.missing_at_platform",
                            subject=item.reference,
                            detail={"hub": item.hub_status},
                        )
                    continue
                update = PlatformStatus.from_platform(seen[item.reference], Source.POLL)
                if await apply_status(s, sinks, update, now=now):
                    repaired += 1
                    await record(
                        s,
                        audit_events,
                        at=now,
                        actor="reconciler",
                        action="govnet.drift_repaired",
                        subject=item.reference,
                        detail={
                            "hub": item.hub_status,
                            "platform": update.status,
                            "version": update.version,
                        },
                    )
    return ReconcileReport(len(references), repaired, missing, failed)
