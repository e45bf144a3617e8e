"""Signing requests: resident (face + one-time code), then the assigned notary, then the seal.

A request names one document (its SHA-256 is what the resident consents to) and moves
``awaiting_resident → resident_signed → notarized → sealed``. Each step appends one PAdES
signature (timestamped by the hub TSA) and advances the state by compare-and-set, so two
concurrent steps cannot both land; a signed file whose step lost is removed again.
"""

from __future__ import annotations

import hashlib
import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import Principal
from common.audit import record
from common.db import Database
from common.errors import N_, Conflict, NotFound
from hub.applications.storage import MaterialStore
from hub.applications.tables import Application
from hub.db import audit_events
from hub.signatures.model import RequestState, check_pdf
from hub.signatures.tables import signing_requests

__all__ = ["SignatureStep", "advance", "create_request", "load_request", "resident_id_of"]


def resident_id_of(app: Application) -> str:
    return f"resident:{app.resident_document}"


async def create_request(
    db: Database,
    store: MaterialStore,
    *,
    number: str,
    notary: str,
    title: str,
    pdf: bytes,
    actor: Principal,
    at: datetime,
) -> dict[str, Any]:
    check_pdf(pdf)
    digest = hashlib.sha256(pdf).hexdigest()
    written = store.put(digest, pdf)
    try:
        async with db.transaction() as session:
            app = await session.scalar(select(Application).where(Application.number == number))
            if app is None:
                raise NotFound(
                    "application.not_found",
                    N_("No application {number}."),
                    params={"number": number},
                )
            request_id = secrets.token_hex(12)
            await session.execute(
                insert(signing_requests).values(
                    id=request_id,
                    application_number=number,
                    resident_id=resident_id_of(app),
                    resident_name=app.resident_name,
                    notary=notary,
                    title=title,
                    document_sha256=digest,
                    current_sha256=digest,
                    state=RequestState.AWAITING_RESIDENT.value,
                    created_by=actor.subject,
                    created_at=at,
                    updated_at=at,
                )
            )
            await record(
                session,
                audit_events,
                at=at,
                actor=actor,
                action="signature.requested",
                subject=f"signing:{request_id}",
                detail={"application": number, "document_sha256": digest, "notary": notary},
            )
    except BaseException:
        if written:
            store.remove(digest)
        raise
    return {"id": request_id, "document_sha256": digest, "state": RequestState.AWAITING_RESIDENT}


async def load_request(session: AsyncSession, request_id: str) -> Any:
    row = (
        await session.execute(select(signing_requests).where(signing_requests.c.id == request_id))
    ).first()
    if row is None:
        raise NotFound("signing.no_request", N_("No such signing request."))
    return row


@dataclass(frozen=True)
class SignatureStep:
    """One signature appended to the request's current file."""

    request_id: str
    before: RequestState
    after: RequestState
    action: str  # audit action
    actor: Principal | str
    detail: dict[str, Any]


async def advance(
    db: Database,
    store: MaterialStore,
    step: SignatureStep,
    *,
    row: Any,
    sign: Callable[[bytes], Awaitable[bytes]],
    at: datetime,
    changes: dict[str, Any] | None = None,
) -> dict[str, Any]:
    """Sign the current file, store it, move the state on (compare-and-set), audit."""
    signed = await sign(store.get(row.current_sha256))
    digest = hashlib.sha256(signed).hexdigest()
    written = store.put(digest, signed)
    try:
        async with db.transaction() as session:
            t = signing_requests
            moved = await session.execute(
                update(t)
                .where(
                    t.c.id == step.request_id,
                    t.c.state == step.before.value,
                    t.c.current_sha256 == row.current_sha256,
                )
                .values(
                    state=step.after.value, current_sha256=digest, updated_at=at, **(changes or {})
                )
            )
            if int(moved.rowcount or 0) != 1:  # type: ignore[attr-defined]
                raise Conflict(
                    "signing.state_changed",
                    N_("Someone else changed this signing request meanwhile. Please reload."),
                )
            await record(
                session,
                audit_events,
                at=at,
                actor=step.actor,
                action=step.action,
                subject=f"signing:{step.request_id}",
                detail={
                    **step.detail,
                    "signed_sha256": digest,
                    "before_sha256": row.current_sha256,
                },
            )
    except BaseException:
        if written:
            store.remove(digest)
        raise
    return {"id": step.request_id, "state": step.after, "current_sha256": digest}
