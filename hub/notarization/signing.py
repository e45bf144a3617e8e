"""The certificate's signatures, driven through the hub's signing requests (hub/signatures).

* present: the certificate PDF is rendered and becomes a signing request (awaiting the
  resident, who signs it at ``/api/signatures/requests/{id}/challenge`` and ``/resident``
  with the node's face decision and a one-time code);
* witness: the branch clerk co-signs after the resident (``resident_signed → witnessed``);
* issue: the notary signs, then the hub seal closes it (``witnessed → sealed``).

Each step signs off the event loop, stores the new file, then in ONE transaction moves the
signing request and the act by compare-and-set and audits both; a step that loses removes
the file it wrote, so nothing is left half-stored.
"""

from __future__ import annotations

import asyncio
import os
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import Principal
from common.audit import record
from common.db import Database
from common.errors import N_, Conflict
from hub.applications.storage import MaterialStore
from hub.db import audit_events
from hub.notarization import model
from hub.notarization.certificate import CertificateText, render_certificate
from hub.notarization.model import ActState, Step
from hub.notarization.service import (
    assigned,
    audit_step,
    load_act,
    move,
    same_branch,
    staff_name,
    subject,
    write_journal,
)
from hub.notarization.tables import notarial_acts
from hub.pki import HubPki
from hub.signatures.model import RequestState, check_pdf
from hub.signatures.runtime import OwnedRequests
from hub.signatures.service import (
    SignatureStep,
    advance,
    current_sha256,
    insert_request,
    load_request,
)
from hub.signing_step import Sign, seal_stamp, staff_stamp
from signing.ca import Role as CaRole
from signing.pades import Placement

__all__ = ["OWNED", "act_of_request", "certificate_of", "issue", "present", "witness"]

RESIDENT, WITNESS, NOTARY, SEAL = (
    Placement(0, 0),
    Placement(0, 1),
    Placement(0, 2),
    Placement(1, 2),
)


async def certificate_of(session: AsyncSession, row: Any, verify_base: str) -> bytes:
    """The certificate of ``row`` as presented (unsigned), rendered from the act."""
    kind = model.kind_of(row.act_type)
    text = CertificateText(
        kind=kind,
        number=row.number,
        resident_name=row.resident_name,
        resident_document=row.resident_document,
        particulars=dict(row.particulars),
        notary_name=await staff_name(session, row.notary),
        verification_code=row.verification_code,
        verify_url=f"{verify_base.rstrip('/')}/verify?code={row.verification_code}",
        dated=row.scheduled_at,
        advisements_read=tuple(a.code for a in kind.advisements),
    )
    return await asyncio.to_thread(render_certificate, text)


async def present(
    db: Database,
    store: MaterialStore,
    act_id: str,
    *,
    actor: Principal,
    at: datetime,
    verify_base: str,
) -> Any:
    """Every advisement read: the certificate becomes a signing request for the resident."""
    async with db.transaction() as session:
        row = await load_act(session, act_id)
        assigned(row, actor)
        model.next_state(ActState(row.state), Step.PRESENT)
        missing = model.unread(model.kind_of(row.act_type), [a["code"] for a in row.advisements])
        if missing:
            raise Conflict(
                "notarization.advisements_unread",
                N_("Read every advisement first; still unread: {codes}."),
                params={"codes": ", ".join(missing)},
            )
        pdf = await certificate_of(session, row, verify_base)
    check_pdf(pdf)
    request_id = os.urandom(12).hex()
    async with store.kept(pdf) as digest, db.transaction() as session:
        row = await load_act(session, act_id)
        await move(
            session,
            row,
            Step.PRESENT,
            at,
            signing_request_id=request_id,
            document_sha256=digest,
        )
        detail = {"signing_request": request_id, "document_sha256": digest}
        await insert_request(
            session,
            request_id,
            application_number=row.application_number,
            resident_id=row.resident_id,
            resident_name=row.resident_name,
            notary=row.notary,
            title=f"{row.number} {model.kind_of(row.act_type).title_zh}",
            document_sha256=digest,
            actor=actor,
            at=at,
            detail=detail,
        )
        await record(
            session,
            audit_events,
            at=at,
            actor=actor,
            action="notarization.presented",
            subject=subject(act_id),
            detail=detail,
        )
        return await load_act(session, act_id)


@dataclass(frozen=True)
class _Signed:
    step: Step
    before: RequestState
    after: RequestState
    audits: tuple[str, ...]  # signature.* actions, in signing order
    act_values: dict[str, Any]


async def _signed_step(
    db: Database,
    store: MaterialStore,
    act_id: str,
    plan: _Signed,
    check: Callable[[Any, Principal], None],
    *,
    actor: Principal,
    at: datetime,
    sign: Sign,
) -> Any:
    async with db.transaction() as session:
        row = await load_act(session, act_id)
        check(row, actor)  # may this actor take the step on this act
        model.next_state(ActState(row.state), plan.step)
        request = await load_request(session, row.signing_request_id)
    if request.state != plan.before.value:
        raise Conflict(
            "notarization.signature_order",
            N_("The signatures must come in order: the document is {state}."),
            params={"state": request.state},
        )
    done: list[Any] = []

    async def then(session: AsyncSession, digest: str) -> None:
        row = await load_act(session, act_id)
        values = {k: (digest if v is _DIGEST else v) for k, v in plan.act_values.items()}
        after = await move(session, row, plan.step, at, **values)
        for action in plan.audits[1:]:
            await record(
                session,
                audit_events,
                at=at,
                actor=actor,
                action=action,
                subject=f"signing:{request.id}",
                detail={"before_sha256": request.current_sha256, "signed_sha256": digest},
            )
        await audit_step(session, act_id, after, {"document_sha256": digest}, actor=actor, at=at)
        if after is ActState.ISSUED:
            await write_journal(session, await load_act(session, act_id), at)
        done.append(await load_act(session, act_id))

    step = SignatureStep(request.id, plan.before, plan.after, plan.audits[0], actor, {})
    await advance(db, store, step, row=request, sign=sign, at=at, then=then)
    return done[0]


_DIGEST = object()  # stands for the signed file's hash in ``act_values``


async def witness(
    db: Database, store: MaterialStore, pki: HubPki, act_id: str, *, actor: Principal, at: datetime
) -> Any:
    """The branch clerk co-signs as witness of the session, after the resident."""
    sign = await staff_stamp(
        pki,
        actor,
        CaRole.CLERK,
        field="Witness",
        reason="Witnessed at the branch",
        placement=WITNESS,
    )
    plan = _Signed(
        Step.WITNESS,
        RequestState.RESIDENT_SIGNED,
        RequestState.WITNESSED,
        ("signature.witnessed",),
        {"witness": actor.subject},
    )
    return await _signed_step(db, store, act_id, plan, same_branch, actor=actor, at=at, sign=sign)


async def issue(
    db: Database, store: MaterialStore, pki: HubPki, act_id: str, *, actor: Principal, at: datetime
) -> Any:
    """The notary signs and the hub seal closes the certificate: the act is issued."""
    by_notary = await staff_stamp(
        pki,
        actor,
        CaRole.NOTARY,
        field="Notary",
        reason="Notarized",
        placement=NOTARY,
    )
    by_seal = await seal_stamp(pki, field="Seal", reason="Sealed by the hub", placement=SEAL)

    async def sign(pdf: bytes) -> bytes:
        return await by_seal(await by_notary(pdf))

    plan = _Signed(
        Step.ISSUE,
        RequestState.WITNESSED,
        RequestState.SEALED,
        ("signature.notarized", "signature.sealed"),
        {"certificate_sha256": _DIGEST, "issued_at": at},
    )
    return await _signed_step(db, store, act_id, plan, assigned, actor=actor, at=at, sign=sign)


async def current_document(session: AsyncSession, row: Any) -> str | None:
    """The hash of the certificate as signed so far (None before it was presented)."""
    if row.signing_request_id is None:
        return None
    return await current_sha256(session, row.signing_request_id)


async def act_of_request(session: AsyncSession, request_id: str) -> str | None:
    """The notarial act whose certificate is signing request ``request_id``, if any."""
    found = await session.scalar(
        select(notarial_acts.c.id).where(notarial_acts.c.signing_request_id == request_id)
    )
    return str(found) if found is not None else None


async def _notary_signs(
    db: Database,
    store: MaterialStore,
    pki: HubPki,
    request: Any,
    act_id: str,
    actor: Principal,
    at: datetime,
) -> None:
    """The notary's signature on a certificate comes after the branch clerk's witness
    signature, and it issues the act (notary and hub seal), so act and request stay in step."""
    if request.state != RequestState.WITNESSED.value:
        raise Conflict(
            "signing.witness_required",
            N_("The branch must sign this notarial certificate as witness before the notary."),
        )
    await issue(db, store, pki, act_id, actor=actor, at=at)


# what signatures' notary step needs to hand a certificate's signing request over to its act
OWNED = OwnedRequests(owner_of=act_of_request, notary_signs=_notary_signs)
