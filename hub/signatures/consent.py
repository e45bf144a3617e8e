"""A resident's authenticator app: enrolment (secret sealed at rest) and the face decision the
node signed, checked against the node keys the hub registered."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime, timedelta
from enum import StrEnum

from sqlalchemy import insert, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.ext.asyncio import AsyncSession

from common.audit import record
from common.db import Database
from common.errors import N_, Conflict, Forbidden, Invalid
from common.secretbox import SecretBox
from common.signing_stores import DbCodeStore
from hub.auditlog.tables import code_steps
from hub.db import audit_events
from hub.signatures.tables import node_keys, totp_enrolments
from media.face import SignedDecision, verify_decision
from signing.ca import AUTHORIZATION_MAX_AGE, ResidentAuthorization, authorize_resident_signing
from signing.primitives import load_ed25519_public
from signing.totp import ConsentProof, ConsentVerifier, Enrolment, enrol

__all__ = [
    "FaceOk",
    "Proof",
    "checked_face",
    "consent_to_sign",
    "enrol_resident",
    "face_of",
    "identity_proof",
    "secret_of",
]


class Proof(StrEnum):
    """How a resident showed who they are before an authenticator was bound to them."""

    CLERK = "clerk_checked_document"  # the branch clerk saw the passport and opened the case
    FACE = "face_decision"  # the node's signed face match for this document, just now


def identity_proof(*, opened_by_clerk: bool, face: FaceOk | None) -> Proof:
    """A face decision proves more than an old counter check; with neither there is no proof:
    knowing a passport number (a self-service application) is not knowing the person."""
    if face is not None:
        return Proof.FACE
    if opened_by_clerk:
        return Proof.CLERK
    raise Forbidden(
        "signing.identity_unproven",
        N_("First verify your face at the kiosk or have the branch check your document."),
    )


async def enrol_resident(
    db: Database, box: SecretBox, *, account: str, label: str, at: datetime, proof: Proof
) -> Enrolment:
    """A new authenticator secret for ``account``. Replacing an existing one takes a fresh face
    decision: a query code alone never moves someone's signing key to another phone."""
    enrolment = enrol(label)
    sealed = box.seal(account, enrolment.secret)
    async with db.transaction() as session:
        existing = await session.scalar(
            select(totp_enrolments.c.account).where(totp_enrolments.c.account == account)
        )
        if existing is not None and proof is not Proof.FACE:
            raise Conflict(
                "signing.already_enrolled",
                N_(
                    "An authenticator app is already set up; to replace it, verify your face first."
                ),
            )
        try:
            if existing is None:
                await session.execute(
                    insert(totp_enrolments).values(
                        account=account, secret_sealed=sealed, enrolled_at=at
                    )
                )
            else:
                await session.execute(
                    update(totp_enrolments)
                    .where(totp_enrolments.c.account == account)
                    .values(secret_sealed=sealed, enrolled_at=at)
                )
        except IntegrityError:  # enrolled in the same instant from elsewhere
            raise Conflict(
                "signing.already_enrolled",
                N_("An authenticator app is already enrolled; ask the branch to reset it."),
            ) from None
        await record(
            session,
            audit_events,
            at=at,
            actor=account,
            action="signature.authenticator_replaced"
            if existing
            else "signature.authenticator_enrolled",
            subject=account,
            detail={"proof": proof.value},
        )
    return enrolment


async def secret_of(session: AsyncSession, box: SecretBox, account: str) -> str:
    sealed = await session.scalar(
        select(totp_enrolments.c.secret_sealed).where(totp_enrolments.c.account == account)
    )
    if sealed is None:
        raise Forbidden(
            "signing.not_enrolled",
            N_("Enrol an authenticator app before signing."),
        )
    return box.unseal(account, bytes(sealed))


@dataclass(frozen=True)
class FaceOk:
    """The node's decision as the CA reads it (``signing.ca.FaceDecision``)."""

    session_id: str
    subject: str
    matched: bool
    decided_at: datetime


def _face_refused(message: str) -> Forbidden:
    return Forbidden("signing.face_refused", message)


async def checked_face(
    session: AsyncSession, raw: object, *, resident_id: str, at: datetime
) -> tuple[FaceOk, str]:
    """Verify a decision the node signed; returns it and its canonical JSON (evidence)."""
    try:
        signed = SignedDecision.from_dict(raw)  # type: ignore[arg-type]
        decided_at = datetime.fromisoformat(signed.decision.decided_at)
    except (ValueError, KeyError, TypeError, AttributeError):
        raise Invalid(
            "signing.bad_decision", N_("The face verification decision is malformed.")
        ) from None
    row = (
        await session.execute(select(node_keys).where(node_keys.c.key_id == signed.key_id))
    ).first()
    if row is None:
        raise _face_refused(N_("The face decision is signed by a key this hub does not know."))
    check = verify_decision(signed, load_ed25519_public(bytes(row.public_key)))
    if not check.trusted:
        raise _face_refused(N_("The face decision's signature does not verify."))
    decision = signed.decision
    if decision.branch != row.branch or decision.resident_id != resident_id:
        raise _face_refused(N_("The face decision is about someone else."))
    if not decision.accepted:
        raise _face_refused(N_("The face verification did not succeed."))
    if decided_at.tzinfo is None or not timedelta(0) <= at - decided_at <= AUTHORIZATION_MAX_AGE:
        raise _face_refused(N_("The face verification is too old. Please verify again."))
    doc = json.dumps(signed.to_dict(), sort_keys=True, ensure_ascii=False)
    return FaceOk(decision.attempt_id, decision.resident_id, True, decided_at), doc


def face_of(evidence: str) -> FaceOk:
    """The face decision kept as evidence (canonical JSON from :func:`checked_face`)."""
    d = SignedDecision.from_dict(json.loads(evidence)).decision
    return FaceOk(d.attempt_id, d.resident_id, d.accepted, datetime.fromisoformat(d.decided_at))


async def consent_to_sign(
    db: Database,
    *,
    resident_id: str,
    resident_name: str,
    face: FaceOk,
    session_id: str,
    bound_sha256: str,
    opened_at: datetime,
    secret: str,
    code: str,
    offered_sha256: str,
    at: datetime,
) -> tuple[ConsentProof, ResidentAuthorization]:
    """The resident's one-time ``code`` for the file ``bound_sha256`` they were shown when the
    face decision came (``opened_at``), used once; with the face, what their certificate needs."""
    verifier = ConsentVerifier(DbCodeStore(db, code_steps))
    bound = bytes.fromhex(bound_sha256)
    challenge = verifier.open_challenge(
        account=resident_id, session_id=session_id, document_sha256=bound, at=opened_at
    )
    consent = await verifier.accept(
        challenge, secret=secret, code=code, document_sha256=bytes.fromhex(offered_sha256), at=at
    )
    auth = authorize_resident_signing(
        face=face,
        consent=consent,
        resident_id=resident_id,
        resident_name=resident_name,
        document_sha256=bound,
        at=at,
    )
    return consent, auth
