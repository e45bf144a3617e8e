"""What stays of a notarial act: the archive (recording, documents, identity decision, consents,
audit proofs), the notary's journal export, and the public check of a certificate."""

from __future__ import annotations

import csv
import io
import json
from datetime import datetime
from typing import Any

from cryptography import x509
from sqlalchemy import select

from common.auditlog.log import AuditLog
from common.db import Database
from common.errors import N_, NotFound
from hub.auditlog.tables import log
from hub.db import audit_events
from hub.notarization import model
from hub.notarization.service import load_act, staff_name, subject
from hub.notarization.tables import journal, notarial_acts
from hub.sessions import service as sessions
from signing.verify import validate_pdf_async

__all__ = ["archive_of", "check_document", "journal_export", "public_status"]

CONSENT_ACTIONS = ("signature.consent_requested", "signature.resident_signed")


def _subjects(row: Any) -> list[str]:
    found = [subject(row.id)]
    if row.signing_request_id:
        found.append(f"signing:{row.signing_request_id}")
    if row.video_session_id:
        found.append(sessions.subject(row.video_session_id))
    return found


async def _events(db: Database, row: Any) -> list[Any]:
    async with db.transaction() as session:
        rows = await session.execute(
            select(audit_events.c.id, audit_events.c.action, audit_events.c.entry)
            .where(audit_events.c.subject.in_(_subjects(row)))
            .order_by(audit_events.c.id)
        )
        return list(rows)


async def _proofs(db: Database, auditlog: AuditLog, events: list[Any]) -> list[dict[str, Any]]:
    """An inclusion proof of each event in the latest signed tree head, for ``qiaolink verify
    audit-proof``."""
    head = await auditlog.advance()
    async with db.transaction() as session:
        leaves = dict(
            (int(event_id), int(idx))
            for event_id, idx in await session.execute(
                select(log.leaves.c.event_id, log.leaves.c.idx).where(
                    log.leaves.c.event_id.in_([e.id for e in events])
                )
            )
        )
    proofs = []
    for event in events:
        index = leaves.get(int(event.id))
        if index is None or index >= head.tree_size:
            continue
        inclusion = await auditlog.inclusion(index, head.tree_size)
        proofs.append(
            {
                "v": 1,
                "kind": "inclusion",
                "action": event.action,
                "entry": event.entry,
                "index": index,
                "tree_head": head.to_json(),
                "proof": inclusion["proof"],
            }
        )
    return proofs


async def archive_of(db: Database, auditlog: AuditLog, act_id: str) -> dict[str, Any]:
    async with db.transaction() as session:
        row = await load_act(session, act_id)
    events = await _events(db, row)
    recording = (
        await sessions.load_session(db, row.video_session_id) if row.video_session_id else None
    )
    return {
        "act": act_view(row),
        "identity_decision": json.loads(row.identity_decision) if row.identity_decision else None,
        "documents": {
            "signing_request": row.signing_request_id,
            "presented_sha256": row.document_sha256,
            "certificate_sha256": row.certificate_sha256,
        },
        "recording": recording,
        "consents": [json.loads(e.entry) for e in events if e.action in CONSENT_ACTIONS],
        "advisements": list(row.advisements),
        "audit_proofs": await _proofs(db, auditlog, events),
        "log_key": auditlog.public_key.hex(),
    }


def act_view(row: Any) -> dict[str, Any]:
    kind = model.kind_of(row.act_type)
    read = [a["code"] for a in row.advisements]
    return {
        "id": row.id,
        "number": row.number,
        "verification_code": row.verification_code,
        "type": row.act_type,
        "title_zh": kind.title_zh,
        "title": kind.title,
        "state": row.state,
        "application_number": row.application_number,
        "resident_name": row.resident_name,
        "branch": row.branch,
        "booking": row.booking_reference,
        "notary": row.notary,
        "scheduled_at": row.scheduled_at.isoformat(),
        "particulars": dict(row.particulars),
        "labels": {p.name: p.label for p in kind.particulars},
        "fee_cents": row.fee_cents,
        "bilingual": kind.bilingual,
        "advisements": [
            {"code": a.code, "text": a.text, "read": a.code in read} for a in kind.advisements
        ],
        "identity_attempt": row.identity_attempt,
        "video_session_id": row.video_session_id,
        "signing_request_id": row.signing_request_id,
        "document_sha256": row.document_sha256,
        "certificate_sha256": row.certificate_sha256,
        "witness": row.witness,
        "reason": row.reason,
        "issued_at": row.issued_at.isoformat() if row.issued_at else None,
        "updated_at": row.updated_at.isoformat(),
    }


async def journal_export(
    db: Database, *, notary: str | None, since: datetime | None, until: datetime | None
) -> list[dict[str, str]]:
    """The journal's entries (one notary's, or all for an auditor), oldest first."""
    query = select(journal.c.entry).order_by(journal.c.seq)
    if notary is not None:
        query = query.where(journal.c.notary == notary)
    if since is not None:
        query = query.where(journal.c.recorded_at >= since)
    if until is not None:
        query = query.where(journal.c.recorded_at < until)
    async with db.transaction() as session:
        return [dict(e) for e in (await session.scalars(query)).all()]


def as_csv(rows: list[dict[str, str]]) -> str:
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=list(model.JOURNAL_FIELDS), lineterminator="\r\n")
    writer.writeheader()
    writer.writerows(rows)
    return out.getvalue()


async def public_status(db: Database, code: str) -> dict[str, Any]:
    """What anyone may learn from a verification code: which certificate, and whether it
    was issued (nothing about the person beyond the name on the certificate)."""
    clean = model.normalize_code(code)
    async with db.transaction() as session:
        row = None
        if clean is not None:
            row = (
                await session.execute(
                    select(notarial_acts).where(notarial_acts.c.verification_code == clean)
                )
            ).first()
        if row is None or row.state != model.ActState.ISSUED.value:
            raise NotFound(
                "notarization.unknown_code",
                N_("No issued notarial certificate has this verification code."),
            )
        notary = await staff_name(session, row.notary)
    kind = model.kind_of(row.act_type)
    return {
        "verification_code": row.verification_code,
        "number": row.number,
        "type": row.act_type,
        "title_zh": kind.title_zh,
        "title": kind.title,
        "resident_name": row.resident_name,
        "notary": notary,
        "issued_at": row.issued_at.isoformat(),
        "certificate_sha256": row.certificate_sha256,
    }


async def check_document(
    status: dict[str, Any], pdf: bytes, *, trust_roots: list[x509.Certificate], at: datetime
) -> dict[str, Any]:
    """A PDF someone holds, against the issued certificate: the same file, every signature
    valid and trusted (resident, witness, notary, seal)."""
    import hashlib

    digest = hashlib.sha256(pdf).hexdigest()
    same = digest == status["certificate_sha256"]
    try:
        checked = await validate_pdf_async(pdf, trust_roots=trust_roots, at=at)
        valid, roles = checked.ok, checked.signer_roles()
        failures = list(checked.failures) + [f for s in checked.signatures for f in s.failures]
    except Exception:  # not a PDF at all: reported, never raised to the public
        valid, roles, failures = False, [], ["not a readable PDF"]
    expected = ["resident", "clerk", "notary", "seal"]
    return {
        "sha256": digest,
        "matches": same,
        "signatures_valid": valid and roles == expected,
        "roles": roles,
        "failures": failures,
        "verdict": "valid" if same and valid and roles == expected else "invalid",
    }
