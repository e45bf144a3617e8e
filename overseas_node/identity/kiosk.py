"""Kiosk grants: the branch clerk lets the kiosk verify one enrolled resident, once, for a while.

The resident at the branch has no login of their own at the node. The clerk, signed in, opens a
grant for the resident (and the hub's notarial act they came for); the kiosk page carries the
grant's token in ``X-Kiosk-Grant`` and acts as that resident for exactly one verification
attempt. Only the token's hash is stored; the grant expires, is used once, and every step is
audited.
"""

from __future__ import annotations

import hashlib
import secrets
import uuid
from dataclasses import dataclass
from typing import Any

from aiohttp import web
from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import Principal, Role
from common.audit import record
from common.errors import N_, DomainError, Forbidden, NotFound
from common.service import CLOCK, DB
from common.sessions import SessionAuthenticator
from common.web import Authenticator
from overseas_node.db import audit_events, staff_sessions
from overseas_node.identity.model import KIOSK_GRANT_TTL, grant_refusal
from overseas_node.identity.service import AttemptHook, Identity, aware, template_of
from overseas_node.identity.tables import kiosk_grants

__all__ = [
    "GRANT_HEADER",
    "KioskGrantAuthenticator",
    "binder",
    "check_own_attempt",
    "grant_of",
    "grant_view",
    "open_grant",
    "spender",
]

GRANT_HEADER = "X-Kiosk-Grant"
GRANT, ATTEMPT = "kiosk_grant", "kiosk_attempt"


def _digest(token: str) -> str:
    return hashlib.sha256(token.encode()).hexdigest()


def grant_of(principal: Principal) -> str | None:
    """The kiosk grant this caller acts under, if any."""
    return principal.extra.get(GRANT)


def _refused(reason: str) -> DomainError:
    if reason == "expired":
        return Forbidden(
            "kiosk.grant_expired",
            N_("This kiosk verification has expired. Please ask the clerk to open a new one."),
        )
    if reason == "used":
        return Forbidden(
            "kiosk.grant_used",
            N_(
                "This kiosk verification has already been used. Please ask the clerk for a new one."
            ),
        )
    return DomainError(
        "kiosk.grant_unknown",
        N_("This kiosk verification is not valid. Please ask the clerk to open a new one."),
        status=401,
    )


@dataclass(frozen=True)
class OpenedGrant:
    grant_id: str
    token: str
    expires_at: str


async def open_grant(
    ctx: Identity,
    *,
    clerk: Principal,
    resident_id: str,
    act_id: str,
    booking_reference: str | None,
) -> OpenedGrant:
    """A new grant for an enrolled resident of the clerk's branch; the token is shown once."""
    if clerk.branch != ctx.branch:
        raise Forbidden("identity.other_branch", N_("This resident belongs to another branch."))
    now = ctx.clock.now()
    token, grant_id = secrets.token_urlsafe(32), str(uuid.uuid4())
    async with ctx.db.transaction() as session:
        await template_of(session, ctx, resident_id)  # enrolled here, or a clear refusal
        await session.execute(
            insert(kiosk_grants).values(
                id=grant_id,
                token_sha256=_digest(token),
                resident_id=resident_id,
                branch=ctx.branch,
                act_id=act_id,
                booking_reference=booking_reference,
                state="open",
                opened_by=clerk.subject,
                opened_at=now,
                expires_at=now + KIOSK_GRANT_TTL,
            )
        )
        await record(
            session,
            audit_events,
            at=now,
            actor=clerk,
            action="identity.kiosk_opened",
            subject=f"resident:{resident_id}",
            detail={"grant": grant_id, "act": act_id, "booking": booking_reference},
        )
    return OpenedGrant(grant_id, token, (now + KIOSK_GRANT_TTL).isoformat())


async def _principal_of(ctx: Identity, db_session: AsyncSession, token: str) -> Principal:
    row = (
        await db_session.execute(
            select(kiosk_grants).where(kiosk_grants.c.token_sha256 == _digest(token))
        )
    ).first()
    if row is None or row.branch != ctx.branch:
        raise _refused("unknown")
    reason = grant_refusal(row.state, aware(row.expires_at), ctx.clock.now(), starting=False)
    if reason is not None:
        raise _refused(reason)
    return Principal(
        subject=row.resident_id,
        role=Role.RESIDENT,
        branch=row.branch,
        display_name="kiosk",
        extra={GRANT: row.id, ATTEMPT: row.attempt_id or ""},
    )


class KioskGrantAuthenticator:
    """A request with ``X-Kiosk-Grant`` acts as the grant's resident; any other is left to the
    node's own authenticator (staff sessions, unless the app was given another one)."""

    def __init__(self, identity: web.AppKey[Identity], fallback: Authenticator | None) -> None:
        self.identity, self.fallback = identity, fallback

    async def authenticate(self, request: web.Request) -> Principal | None:
        token = request.headers.get(GRANT_HEADER, "").strip()
        if token:
            if len(token) > 128:
                raise _refused("unknown")
            async with request.app[DB].sessions() as session:
                return await _principal_of(request.app[self.identity], session, token)
        fallback = self.fallback or SessionAuthenticator(
            request.app[DB], staff_sessions, request.app[CLOCK]
        )
        return await fallback.authenticate(request)


async def claim_grant(
    session: AsyncSession, ctx: Identity, principal: Principal, attempt_id: str
) -> None:
    """Bind the caller's open grant to the attempt it starts (inside the attempt's transaction)."""
    grant_id, now = grant_of(principal), ctx.clock.now()
    moved = await session.execute(
        update(kiosk_grants)
        .where(
            kiosk_grants.c.id == grant_id,
            kiosk_grants.c.state == "open",
            kiosk_grants.c.expires_at > now,
        )
        .values(state="started", attempt_id=attempt_id)
    )
    if int(getattr(moved, "rowcount", 0) or 0) != 1:
        raise _refused("used")
    await record(
        session,
        audit_events,
        at=now,
        actor=principal,
        action="identity.kiosk_started",
        subject=f"resident:{principal.subject}",
        detail={"grant": grant_id, "attempt": attempt_id},
    )


def binder(ctx: Identity, principal: Principal) -> AttemptHook | None:
    """For a kiosk caller: binds its open grant to the attempt it starts, or refuses."""
    if grant_of(principal) is None:
        return None

    async def bind(session: AsyncSession, attempt_id: str) -> None:
        await claim_grant(session, ctx, principal, attempt_id)

    return bind


def check_own_attempt(principal: Principal, attempt_id: str) -> None:
    """A kiosk caller sees only the attempt its grant started."""
    if grant_of(principal) is not None and principal.extra.get(ATTEMPT) != attempt_id:
        raise NotFound("identity.no_attempt", N_("No such verification attempt."))


def spender(ctx: Identity, principal: Principal, attempt_id: str) -> AttemptHook | None:
    """For a kiosk caller: checks the attempt is the grant's own; the decision spends the grant."""
    grant_id = grant_of(principal)
    if grant_id is None:
        return None
    check_own_attempt(principal, attempt_id)

    async def spend(session: AsyncSession, decided_attempt: str) -> None:
        now = ctx.clock.now()
        await session.execute(
            update(kiosk_grants)
            .where(kiosk_grants.c.id == grant_id, kiosk_grants.c.attempt_id == decided_attempt)
            .values(state="used", used_at=now)
        )
        await record(
            session,
            audit_events,
            at=now,
            actor=principal,
            action="identity.kiosk_used",
            subject=f"resident:{principal.subject}",
            detail={"grant": grant_id, "attempt": decided_attempt},
        )

    return spend


async def grant_view(ctx: Identity, principal: Principal) -> dict[str, Any]:
    """What the kiosk page shows and needs: whom it verifies, for which act, until when."""
    async with ctx.db.sessions() as session:
        row = (
            await session.execute(
                select(kiosk_grants).where(kiosk_grants.c.id == grant_of(principal))
            )
        ).one()
    return {
        "resident": _masked(row.resident_id),
        "act_id": row.act_id,
        "booking_reference": row.booking_reference,
        "state": row.state,
        "attempt_id": row.attempt_id,
        "expires_at": aware(row.expires_at).isoformat(),
        "hub_act_url": hub_page(ctx.hub_url, row.act_id),
    }


def hub_page(hub_url: str, act_id: str) -> str:
    """The hub page the resident continues on: a mediation case's party page for a case number
    (``TJ-…``, 调解), else the notarial act's resident page."""
    if act_id.startswith("TJ-"):
        return f"{hub_url.rstrip('/')}/mediation/kiosk/{act_id}"
    return f"{hub_url.rstrip('/')}/notarization/acts/{act_id}"


def _masked(resident_id: str) -> str:
    """Enough for the resident to recognise their document number, not enough to copy it."""
    document = resident_id.split(":", 1)[-1]
    return document[:2] + "•" * max(len(document) - 4, 1) + document[-2:]
