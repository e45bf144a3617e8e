"""Signing requests: resident (face + one-time code), then the assigned notary, then the seal.

A request names one document (its SHA-256 is what the resident consents to) and moves
``awaiting_resident → resident_signed → notarized → sealed``. Each step appends one PAdES
signature (timestamped by the hub TSA) and advances the state by compare-and-set, so two
concurrent steps cannot both land; a signed file whose step lost is removed again.
"""

from __future__ import annotations

import secrets
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import Principal
from common.audit import record
from common.db import Database, compare_and_set
from common.errors import N_, Conflict, NotFound
from hub.applications.storage import MaterialStore
from hub.applications.tables import Application
from hub.db import audit_events
from hub.signatures.model import RequestState, check_pdf
from hub.signatures.tables import signing_requests
from hub.signing_step import signing_step

__all__ = [
    "SignatureStep",
    "advance",
    "create_request",
    "current_sha256",
    "insert_request",
    "load_request",
    "resident_id_of",
]


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
    async with store.kept(pdf) as digest, db.transaction() as session:
        app = await session.scalar(select(Application).where(Application.number == number))
        if app is None:
            raise NotFound(
                "application.not_found",
                N_("No application {number}."),
                params={"number": number},
            )
        request_id = secrets.token_hex(12)
        await insert_request(
            session,
            request_id,
            application_number=number,
            resident_id=resident_id_of(app),
            resident_name=app.resident_name,
            notary=notary,
            title=title,
            document_sha256=digest,
            actor=actor,
            at=at,
            detail={"application": number, "document_sha256": digest, "notary": notary},
        )
    return {"id": request_id, "document_sha256": digest, "state": RequestState.AWAITING_RESIDENT}


async def insert_request(
    session: AsyncSession,
    request_id: str,
    *,
    application_number: str,
    resident_id: str,
    resident_name: str,
    notary: str,
    title: str,
    document_sha256: str,
    actor: Principal,
    at: datetime,
    detail: dict[str, Any],
) -> None:
    """A new request awaiting the resident for a stored document, audited."""
    await session.execute(
        insert(signing_requests).values(
            id=request_id,
            application_number=application_number,
            resident_id=resident_id,
            resident_name=resident_name,
            notary=notary,
            title=title,
            document_sha256=document_sha256,
            current_sha256=document_sha256,
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
        detail=detail,
    )


async def load_request(session: AsyncSession, request_id: str) -> Any:
    row = (
        await session.execute(select(signing_requests).where(signing_requests.c.id == request_id))
    ).first()
    if row is None:
        raise NotFound("signing.no_request", N_("No such signing request."))
    return row


async def current_sha256(session: AsyncSession, request_id: str) -> str | None:
    """The hash of the request's document as signed so far (None for no such request)."""
    found = await session.scalar(
        select(signing_requests.c.current_sha256).where(signing_requests.c.id == request_id)
    )
    return str(found) if found else None


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
    then: Callable[[AsyncSession, str], Awaitable[None]] | None = None,
) -> dict[str, Any]:
    """Sign the current file, store it, move the state on (compare-and-set), audit; ``then``
    (the record the request belongs to, moved in the same transaction) last."""

    async def commit(digest: str) -> str:
        async with db.transaction() as session:
            t = signing_requests
            await compare_and_set(
                session,
                update(t)
                .where(
                    t.c.id == step.request_id,
                    t.c.state == step.before.value,
                    t.c.current_sha256 == row.current_sha256,
                )
                .values(
                    state=step.after.value, current_sha256=digest, updated_at=at, **(changes or {})
                ),
                Conflict(
                    "signing.state_changed",
                    N_("Someone else changed this signing request meanwhile. Please reload."),
                ),
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
            if then is not None:
                await then(session, digest)
        return digest

    digest = await signing_step(store, row.current_sha256, sign, commit)
    return {"id": step.request_id, "state": step.after, "current_sha256": digest}
