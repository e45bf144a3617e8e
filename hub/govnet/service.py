"""The seam between applications and the platform link.

* :func:`forward_to_govnet` — call it in the transaction that marks an application forwarded:
  the message to the platform commits with the state change.
* :class:`StatusSink` — implement it to hear of every new platform status of a case (from the
  submit answer, a callback or reconciliation), in the transaction that records it; register it
  with ``app[STATUS_SINKS].append(sink)`` (:mod:`hub.govnet.runtime`) in the hub's ``create_app``.
"""

from __future__ import annotations

from datetime import datetime
from typing import Any, Protocol

from sqlalchemy import select, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.outbox import OutboxMessage, enqueue
from hub.db import outbox_messages
from hub.govnet.model import QUEUED, PlatformStatus, Source, is_newer
from hub.govnet.tables import govnet_cases

__all__ = [
    "DESTINATION",
    "StatusSink",
    "apply_status",
    "case_status",
    "forward_to_govnet",
    "record_receipt",
]

DESTINATION = "govnet"


class StatusSink(Protocol):
    async def platform_status(
        self, session: AsyncSession, update: PlatformStatus, *, now: datetime
    ) -> None:
        """A status newer than any seen before for ``update.reference``; runs once per version."""
        ...


async def forward_to_govnet(
    session: AsyncSession, *, reference: str, payload: dict[str, Any], now: datetime
) -> int:
    """Queue the application for the platform in the caller's transaction; returns the message id.

    ``payload`` is the platform's case document; ``reference`` (the application number) is put
    in it, keys the idempotency of the delivery and orders messages of one application.
    """
    document = {**payload, "reference": reference}
    message_id = await enqueue(
        session,
        outbox_messages,
        destination=DESTINATION,
        kind="case.submit",
        key=f"govnet:{reference}",
        payload=document,
        order_key=reference,
        now=now,
    )
    known = (
        await session.execute(
            select(govnet_cases.c.reference).where(govnet_cases.c.reference == reference)
        )
    ).first()
    if known is None:
        await session.execute(
            govnet_cases.insert().values(
                reference=reference,
                case_no=None,
                status=QUEUED,
                version=0,
                reason=None,
                source="outbox",
                updated_at=now,
            )
        )
    return message_id


async def apply_status(
    session: AsyncSession, sinks: list[StatusSink], update_: PlatformStatus, *, now: datetime
) -> bool:
    """Record a platform status if it is newer than what we know, then tell the sinks."""
    row = (
        await session.execute(
            select(govnet_cases.c.version).where(govnet_cases.c.reference == update_.reference)
        )
    ).first()
    if not is_newer(None if row is None else int(row.version), update_):
        return False
    values = {
        "case_no": update_.case_no,
        "status": update_.status,
        "version": update_.version,
        "reason": update_.reason,
        "source": update_.source,
        "updated_at": now,
    }
    if row is None:
        await session.execute(govnet_cases.insert().values(reference=update_.reference, **values))
    else:
        result = await session.execute(
            update(govnet_cases)
            .where(
                govnet_cases.c.reference == update_.reference,
                govnet_cases.c.version == row.version,
            )
            .values(**values)
        )
        if not result.rowcount:  # type: ignore[attr-defined]
            return False  # a concurrent update won; it carried a version at least as new
    for sink in sinks:
        await sink.platform_status(session, update_, now=now)
    return True


def record_receipt(sinks: list[StatusSink], clock_now: Any) -> Any:
    """The outbox delivery hook for ``govnet``: the platform's answer is the first status."""

    async def hook(
        session: AsyncSession, message: OutboxMessage, receipt: dict[str, object]
    ) -> None:
        if "case_no" in receipt:
            status = PlatformStatus.from_platform(dict(receipt), Source.SUBMIT)
            await apply_status(session, sinks, status, now=clock_now())

    return hook


async def case_status(session: AsyncSession, reference: str) -> dict[str, Any] | None:
    """What the hub knows of a case at the platform (``None``: never forwarded)."""
    row = (
        await session.execute(select(govnet_cases).where(govnet_cases.c.reference == reference))
    ).first()
    if row is None:
        return None
    return {
        "status": row.status,
        "case_no": row.case_no,
        "reason": row.reason,
        "updated_at": row.updated_at,
    }
