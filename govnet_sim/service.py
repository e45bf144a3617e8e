"""The platform's services: take a case under an idempotency key, move cases on, answer polls.

Each function loads, applies the pure rules of :mod:`govnet_sim.model`, and commits; every
decision is recorded through :func:`common.audit.record`.
"""

from __future__ import annotations

import json
import random
import uuid
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from sqlalchemy import and_, delete, func, or_, select, update
from sqlalchemy.dialects.postgresql import insert as pg_insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.ext.asyncio import AsyncSession

from common.audit import record
from common.db import Database
from common.outbox.store import accept_once, enqueue
from govnet_sim.model import CaseStatus, IdempotencyDecision, KeyRecord, decide, next_status
from govnet_sim.tables import audit_events, cases, idempotency_keys, inbox_keys, outbox

__all__ = [
    "Answer",
    "advance_cases",
    "begin_request",
    "case_by_number",
    "cases_by_reference",
    "create_case",
    "first_use_of_nonce",
    "forget_old_nonces",
    "release_key",
    "status_counts",
]

ABANDON_AFTER = timedelta(minutes=2)  # a first request that never finished frees its key
CALLBACK = "hub-callback"


@dataclass(frozen=True)
class Answer:
    status: int
    body: dict[str, Any]


async def first_use_of_nonce(db: Database, *, key_id: str, nonce: str, now: datetime) -> bool:
    async with db.transaction() as s:
        return await accept_once(s, inbox_keys, source=f"nonce:{key_id}", key=nonce, now=now)


async def forget_old_nonces(db: Database, *, before: datetime) -> None:
    async with db.transaction() as s:
        await s.execute(
            delete(inbox_keys).where(
                inbox_keys.c.source.like("nonce:%"), inbox_keys.c.received_at < before
            )
        )


async def begin_request(
    db: Database, *, client_id: str, key: str, body_hash: str, now: datetime
) -> tuple[IdempotencyDecision, Answer | None]:
    """Claim ``key`` for this request, or say why not (replay, mismatch, in flight)."""
    async with db.transaction() as s:
        insert = pg_insert if s.get_bind().dialect.name == "postgresql" else sqlite_insert
        inserted = await s.execute(
            insert(idempotency_keys)
            .values(
                client_id=client_id, key=key, request_hash=body_hash, answered=False, started_at=now
            )
            .on_conflict_do_nothing()
        )
        if inserted.rowcount:  # type: ignore[attr-defined]
            return IdempotencyDecision.NEW, None
        row = (
            await s.execute(
                select(idempotency_keys).where(
                    idempotency_keys.c.client_id == client_id, idempotency_keys.c.key == key
                )
            )
        ).one()
        held = KeyRecord(row.request_hash, row.answered, row.started_at)
        decision = decide(held, body_hash, now=now, abandon_after=ABANDON_AFTER)
        if decision is IdempotencyDecision.REPLAY:
            return decision, Answer(row.response_status, json.loads(row.response_body))
        if decision is IdempotencyDecision.NEW:  # the first holder was abandoned: take over
            taken = await s.execute(
                update(idempotency_keys)
                .where(
                    idempotency_keys.c.client_id == client_id,
                    idempotency_keys.c.key == key,
                    idempotency_keys.c.started_at == row.started_at,
                    idempotency_keys.c.answered.is_(False),
                )
                .values(started_at=now)
            )
            if not taken.rowcount:  # type: ignore[attr-defined]
                return IdempotencyDecision.IN_FLIGHT, None
        return decision, None


async def release_key(db: Database, *, client_id: str, key: str) -> None:
    """Free a key whose first request failed before it was answered."""
    async with db.transaction() as s:
        await s.execute(
            delete(idempotency_keys).where(
                idempotency_keys.c.client_id == client_id,
                idempotency_keys.c.key == key,
                idempotency_keys.c.answered.is_(False),
            )
        )


def _case_view(row: Any) -> dict[str, Any]:
    return {
        "case_no": row.case_no,
        "reference": row.reference,
        "status": row.status,
        "version": row.version,
        "reason": row.reason,
        "updated_at": row.updated_at.isoformat(),
    }


async def create_case(
    db: Database,
    *,
    client_id: str,
    key: str,
    reference: str,
    payload: dict[str, Any],
    callback_url: str,
    now: datetime,
) -> Answer:
    """Register the case and store the answer under the key, in one transaction."""
    async with db.transaction() as s:
        existing = (
            await s.execute(
                select(cases).where(cases.c.client_id == client_id, cases.c.reference == reference)
            )
        ).first()
        if existing is not None:
            answer = Answer(
                409,
                {
                    "code": "case.duplicate_reference",
                    "title": "A case with this reference exists under another idempotency key.",
                    "case_no": existing.case_no,
                },
            )
        else:
            case_no = f"ZJ{now:%Y%m%d}{uuid.uuid4().hex[:12].upper()}"
            values = {
                "case_no": case_no,
                "client_id": client_id,
                "idempotency_key": key,
                "reference": reference,
                "status": CaseStatus.RECEIVED.value,
                "version": 1,
                "reason": None,
                "payload": json.dumps(payload, sort_keys=True, ensure_ascii=False),
                "callback_url": callback_url,
                "received_at": now,
                "updated_at": now,
            }
            await s.execute(cases.insert().values(**values))
            await record(
                s,
                audit_events,
                at=now,
                actor=client_id,
                action="case.received",
                subject=case_no,
                detail={"reference": reference, "key": key},
            )
            answer = Answer(201, _case_view(_Row(values)))
        await s.execute(
            update(idempotency_keys)
            .where(idempotency_keys.c.client_id == client_id, idempotency_keys.c.key == key)
            .values(
                answered=True,
                response_status=answer.status,
                response_body=json.dumps(answer.body, ensure_ascii=False),
            )
        )
    return answer


class _Row:
    def __init__(self, values: dict[str, Any]) -> None:
        self.__dict__.update(values)


async def advance_cases(
    db: Database,
    *,
    now: datetime,
    step_delay: timedelta,
    rng: random.Random,
    return_rate: float,
    limit: int = 500,
) -> int:
    """Move cases that spent ``step_delay`` in their status on; each move queues a callback."""
    moved = 0
    async with db.transaction() as s:
        rows = (
            await s.execute(
                select(cases)
                .where(
                    or_(
                        cases.c.status == CaseStatus.RECEIVED.value,
                        cases.c.status == CaseStatus.IN_PROCESS.value,
                    ),
                    cases.c.updated_at <= now - step_delay,
                )
                .order_by(cases.c.updated_at)
                .limit(limit)
            )
        ).all()
        for row in rows:
            moved += await _advance_one(s, row, now=now, returned=rng.random() < return_rate)
    return moved


async def _advance_one(s: AsyncSession, row: Any, *, now: datetime, returned: bool) -> int:
    status = next_status(CaseStatus(row.status), returned=returned)
    reason = (
        "materials incomplete: see the platform's notice" if status is CaseStatus.RETURNED else None
    )
    version = row.version + 1
    result = await s.execute(
        update(cases)
        .where(and_(cases.c.case_no == row.case_no, cases.c.version == row.version))
        .values(status=status.value, version=version, reason=reason, updated_at=now)
    )
    if not result.rowcount:  # type: ignore[attr-defined]
        return 0
    event = {
        "event_id": f"{row.case_no}:v{version}",
        "case_no": row.case_no,
        "reference": row.reference,
        "status": status.value,
        "version": version,
        "reason": reason,
        "at": now.isoformat(),
    }
    await enqueue(
        s,
        outbox,
        destination=CALLBACK,
        kind="case.status",
        key=event["event_id"],
        payload={"url": row.callback_url, "event": event},
        order_key=row.case_no,
        now=now,
    )
    await record(
        s,
        audit_events,
        at=now,
        actor="platform",
        action=f"case.{status.value}",
        subject=row.case_no,
        detail={"version": version},
    )
    return 1


async def cases_by_reference(
    db: Database, *, client_id: str, references: list[str]
) -> dict[str, dict[str, Any]]:
    async with db.transaction() as s:
        rows = await s.execute(
            select(cases).where(cases.c.client_id == client_id, cases.c.reference.in_(references))
        )
        return {row.reference: _case_view(row) for row in rows}


async def case_by_number(db: Database, *, client_id: str, case_no: str) -> dict[str, Any] | None:
    async with db.transaction() as s:
        row = (
            await s.execute(
                select(cases).where(cases.c.client_id == client_id, cases.c.case_no == case_no)
            )
        ).first()
        return _case_view(row) if row is not None else None


async def status_counts(db: Database) -> dict[str, int]:
    async with db.transaction() as s:
        rows = await s.execute(select(cases.c.status, func.count()).group_by(cases.c.status))
        return {str(status): int(n) for status, n in rows}
