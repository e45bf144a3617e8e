"""Signatures on a case's documents: each party (the node's face decision, then a one-time code
bound to the exact file), the mediator, then the hub seal — each an incremental PAdES signature
on the file as signed so far, stored by compare-and-set so that two signers cannot both land."""

from __future__ import annotations

import hashlib
import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import update
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import Principal, Role
from common.audit import record
from common.db import compare_and_set
from common.errors import N_, Conflict, NotFound
from hub.mediation import service
from hub.mediation.model import CaseState, SigningPlan, Step, check_signer
from hub.mediation.runtime import SigningPorts
from hub.mediation.service import CaseFile, signer_key
from hub.mediation.tables import CaseDocument, CaseSignature, MediationCase, Participant
from hub.signatures.consent import checked_face, consent_to_sign, face_of, secret_of
from hub.signing_step import Sign, resident_stamp, seal_stamp, signing_step, staff_stamp
from signing.ca import Role as CaRole
from signing.pades import Placement

__all__ = ["open_challenge", "resident_actor", "sign_as_mediator", "sign_as_party"]


@dataclass(frozen=True)
class GridPlacement(Placement):
    """Stamps three to a row at the foot of the last page, rows upwards."""

    row: int = 0

    def box(self) -> tuple[int, int, int, int]:
        left, bottom = 36 + 180 * self.slot, 36 + 72 * self.row
        return (left, bottom, left + 170, bottom + 60)


def _placement(doc: CaseDocument, signer: str) -> GridPlacement:
    order = [*doc.signers, *doc.closers]
    i = order.index(signer)
    return GridPlacement(page=-1, slot=i % 3, row=i // 3)


def _document(f: CaseFile, doc_id: int) -> CaseDocument:
    doc = next((d for d in f.documents if d.id == doc_id), None)
    if doc is None:
        raise NotFound("mediation.no_document", N_("No such document on this case."))
    if doc.state == "void":
        raise Conflict(
            "mediation.document_void",
            N_("This draft was replaced by a newer one; sign the current draft."),
        )
    if doc.state != "signing":
        raise Conflict("mediation.document_sealed", N_("This document is already complete."))
    return doc


def _ready(f: CaseFile, doc_id: int, signer: str) -> CaseDocument:
    """The document ``signer`` may sign now, or the reason why not."""
    f.check(
        Step.SIGN
        if next((d.kind for d in f.documents if d.id == doc_id), "") != "statement"
        else Step.EVIDENCE
    )
    doc = _document(f, doc_id)
    plan = SigningPlan(tuple(doc.signers), tuple(doc.closers))
    check_signer(plan, service.document_coverage(doc, f.signatures_of(doc)), signer)
    return doc


def resident_actor(p: Participant) -> Principal:
    return Principal(subject=f"resident:{p.document}", role=Role.RESIDENT, branch=p.location)


async def _record(
    ports: SigningPorts,
    session: AsyncSession,
    actor: Principal | str,
    action: str,
    case: MediationCase,
    detail: dict[str, Any],
) -> None:
    await record(
        session,
        ports.audit,
        at=ports.clock.now(),
        actor=actor,
        action=action,
        subject=f"mediation:{case.number}",
        detail=detail,
    )


async def open_challenge(
    ports: SigningPorts, number: str, code: str, doc_id: int, raw: Any
) -> dict[str, Any]:
    """A party brings the node's signed face decision; the code is then bound to the file."""
    now = ports.clock.now()
    async with ports.db.transaction() as session:
        case = await service.load(session, number, lock=True)
        me = await service.party_by_code(session, case, code)
        f = await service.case_file(session, case)
        doc = _ready(f, doc_id, signer_key(me))
        face, evidence = await checked_face(
            session, raw, resident_id=f"resident:{me.document}", at=now
        )
        decision = json.loads(evidence)["decision"]
        if decision["branch"] != me.location:
            raise Conflict(
                "mediation.face_elsewhere",
                N_("The face was verified at another office than the one you take part from."),
            )
        me.challenge_document, me.challenge_sha256, me.challenge_at = (
            doc.id,
            doc.current_sha256,
            now,
        )
        me.attempt_id, me.face_decision = face.session_id, evidence
        await _record(
            ports,
            session,
            resident_actor(me),
            "mediation.consent_requested",
            case,
            {"document": doc.id, "attempt": face.session_id, "document_sha256": doc.current_sha256},
        )
    return {"document": doc.id, "document_sha256": doc.current_sha256, "attempt": face.session_id}


async def _append(
    ports: SigningPorts,
    number: str,
    doc: CaseDocument,
    signer: str,
    sign: Sign,
    record_it: Callable[[AsyncSession, MediationCase, CaseDocument, str], Awaitable[None]],
) -> None:
    """Sign the current file, store it, move the document on by compare-and-set, record."""
    store, progress = ports.store, ports.progress

    async def signed(pdf: bytes) -> bytes:
        out = await sign(pdf)
        progress.set(doc.id, signer, "storing")
        return out

    async def commit(digest: str) -> None:
        async with ports.db.transaction() as session:
            await compare_and_set(
                session,
                update(CaseDocument)
                .where(
                    CaseDocument.id == doc.id,
                    CaseDocument.state == "signing",
                    CaseDocument.current_sha256 == doc.current_sha256,
                )
                .values(current_sha256=digest)
                .execution_options(synchronize_session=False),
                Conflict(
                    "mediation.document_changed",
                    N_("The document changed meanwhile (signed or redrafted). Please reload."),
                ),
            )
            case = await service.load(session, number, lock=True)
            await record_it(session, case, doc, digest)

    progress.set(doc.id, signer, "signing")
    try:
        await signing_step(store, doc.current_sha256, signed, commit)
    except BaseException:
        progress.set(doc.id, signer, "failed")
        raise


def _signature(
    doc: CaseDocument,
    signer: str,
    after: str,
    by: str,
    now: datetime,
    consent: dict[str, Any] | None = None,
    face: str | None = None,
) -> CaseSignature:
    return CaseSignature(
        document_id=doc.id,
        signer=signer,
        text_sha256=doc.text_sha256,
        before_sha256=doc.current_sha256,
        after_sha256=after,
        consent=consent,
        face_decision=face,
        signed_by=by,
        signed_at=now,
    )


async def sign_as_party(
    ports: SigningPorts, number: str, code: str, doc_id: int, otp: str, document_sha256: str
) -> dict[str, Any]:
    now, db = ports.clock.now(), ports.db
    async with db.transaction() as session:
        case = await service.load(session, number)
        me = await service.party_by_code(session, case, code)
        doc = _ready(await service.case_file(session, case), doc_id, signer_key(me))
        if (
            me.challenge_document != doc.id
            or me.face_decision is None
            or me.challenge_at is None
            or me.attempt_id is None
        ):
            raise Conflict(
                "mediation.face_required", N_("Verify your face for this document first.")
            )
        if me.challenge_sha256 != doc.current_sha256:
            raise Conflict(
                "mediation.document_changed",
                N_("The document changed meanwhile (signed or redrafted). Please reload."),
            )
        secret = await secret_of(session, ports.box, f"resident:{me.document}")
    progress, signer = ports.progress, signer_key(me)
    progress.set(doc.id, signer, "checking")
    try:
        consent, auth = await consent_to_sign(
            db,
            resident_id=f"resident:{me.document}",
            resident_name=me.name,
            face=face_of(me.face_decision),
            session_id=me.attempt_id,
            bound_sha256=doc.current_sha256,
            opened_at=me.challenge_at,
            secret=secret,
            code=otp,
            offered_sha256=document_sha256,
            at=now,
        )
    except BaseException:
        progress.set(doc.id, signer, "failed")
        raise
    pki = ports.pki
    reason = "Signed by the party" if doc.kind == "agreement" else "Signed by the witness"

    sign = resident_stamp(
        pki, auth, at=now, field=f"Party{me.id}", reason=reason, placement=_placement(doc, signer)
    )

    facts = {
        "signer": signer,
        "resident_id": f"resident:{me.document}",
        "attempt": me.attempt_id,
        "time_step": consent.time_step,
        "document_sha256": doc.current_sha256,
        "accepted_at": now.isoformat(),
        "face_decision_sha256": hashlib.sha256(me.face_decision.encode()).hexdigest(),
    }

    async def record_it(
        session: AsyncSession, case: MediationCase, d: CaseDocument, after: str
    ) -> None:
        session.add(
            _signature(d, signer, after, f"resident:{me.document}", now, facts, me.face_decision)
        )
        await session.execute(
            update(Participant)
            .where(Participant.id == me.id)
            .values(challenge_document=None, challenge_sha256=None)
        )
        await _record(
            ports,
            session,
            resident_actor(me),
            "mediation.signed",
            case,
            {
                "document": d.id,
                "kind": d.kind,
                "version": d.version,
                "text_sha256": d.text_sha256,
                "before": d.current_sha256,
                "after": after,
                "consent": facts,
            },
        )

    await _append(ports, number, doc, signer, sign, record_it)
    return await _seal_if_due(ports, number, doc.id, signer)


async def sign_as_mediator(
    ports: SigningPorts, number: str, doc_id: int, actor: Principal
) -> dict[str, Any]:
    now = ports.clock.now()
    async with ports.db.transaction() as session:
        case = await service.load(session, number)
        service.require_mediator(case, actor)
        doc = _ready(await service.case_file(session, case), doc_id, "mediator")
    sign = await staff_stamp(
        ports.pki,
        actor,
        CaRole.MEDIATOR,
        display_name=case.mediator_name,
        field="Mediator",
        reason="Mediator",
        placement=_placement(doc, "mediator"),
    )

    async def record_it(
        session: AsyncSession, c: MediationCase, d: CaseDocument, after: str
    ) -> None:
        session.add(_signature(d, "mediator", after, actor.subject, now))
        await _record(
            ports,
            session,
            actor,
            "mediation.signed",
            c,
            {
                "document": d.id,
                "kind": d.kind,
                "version": d.version,
                "text_sha256": d.text_sha256,
                "before": d.current_sha256,
                "after": after,
            },
        )

    await _append(ports, number, doc, "mediator", sign, record_it)
    return await _seal_if_due(ports, number, doc.id, "mediator")


async def _seal_if_due(ports: SigningPorts, number: str, doc_id: int, last: str) -> dict[str, Any]:
    """When only the seal is missing, the hub seals: the document is complete (case settled)."""
    async with ports.db.transaction() as session:
        case = await service.load(session, number)
        f = await service.case_file(session, case)
        doc = next(d for d in f.documents if d.id == doc_id)
        missing = service.document_coverage(doc, f.signatures_of(doc)).missing
    progress = ports.progress
    if missing != ("seal",):
        progress.set(doc_id, last, "done")
        return {
            "document": doc_id,
            "state": doc.state,
            "current_sha256": doc.current_sha256,
            "missing": list(missing),
        }
    progress.set(doc_id, last, "sealing")
    sign = await seal_stamp(
        ports.pki,
        field="HubSeal",
        reason="Sealed by the hub",
        placement=_placement(doc, "seal"),
    )
    now = ports.clock.now()

    async def record_it(
        session: AsyncSession, c: MediationCase, d: CaseDocument, after: str
    ) -> None:
        session.add(_signature(d, "seal", after, "hub", now))
        await session.execute(
            update(CaseDocument).where(CaseDocument.id == d.id).values(state="sealed")
        )
        detail = {
            "document": d.id,
            "kind": d.kind,
            "version": d.version,
            "text_sha256": d.text_sha256,
            "sha256": after,
        }
        await _record(ports, session, "hub", "mediation.sealed", c, detail)
        if d.kind == "agreement":
            c.state, c.settled_at = CaseState.SETTLED.value, now
            await _record(ports, session, "hub", "mediation.settled", c, detail)

    await _append(ports, number, doc, last, sign, record_it)
    progress.set(doc_id, last, "done")
    async with ports.db.sessions() as session:
        final = await session.get(CaseDocument, doc_id)
        assert final is not None
        return {
            "document": doc_id,
            "state": final.state,
            "current_sha256": final.current_sha256,
            "missing": [],
        }
