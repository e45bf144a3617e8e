"""What each reader sees of a case: the mediator and staff, or one party with its access code."""

from __future__ import annotations

from typing import Any

from hub.mediation.service import CaseFile, document_coverage, signer_key
from hub.mediation.tables import CaseDocument, Participant

__all__ = ["document_view", "party_view", "staff_view"]


def _iso(value: Any) -> str | None:
    return value.isoformat() if value is not None else None


def _person(p: Participant) -> dict[str, Any]:
    return {
        "id": p.id,
        "role": p.role,
        "represents": p.represents,
        "name": p.name,
        "country": p.country,
        "location": p.location,
        "lang": p.lang,
        "consented_at": _iso(p.consented_at),
    }


def document_view(f: CaseFile, doc: CaseDocument) -> dict[str, Any]:
    cover = document_coverage(doc, f.signatures_of(doc))
    names = {signer_key(p): p.name for p in f.people} | {
        "mediator": f.case.mediator_name,
        "seal": "hub seal",
    }
    return {
        "id": doc.id,
        "kind": doc.kind,
        "version": doc.version,
        "state": doc.state,
        "session": doc.video_session,
        "text": doc.text,
        "text_sha256": doc.text_sha256,
        "current_sha256": doc.current_sha256,
        "signed": [{"signer": s, "name": names.get(s, s)} for s in cover.signed],
        "missing": [{"signer": s, "name": names.get(s, s)} for s in cover.missing],
        "void": list(cover.void),
        "complete": cover.complete,
    }


def staff_view(f: CaseFile) -> dict[str, Any]:
    c = f.case
    return {
        "number": c.number,
        "office": c.office,
        "subject": c.subject,
        "summary": c.summary,
        "state": c.state,
        "mediator": c.mediator,
        "mediator_name": c.mediator_name,
        "mediator_office": c.mediator_office,
        "opened_at": _iso(c.opened_at),
        "settled_at": _iso(c.settled_at),
        "closed_at": _iso(c.closed_at),
        "close_reason": c.close_reason,
        "participants": [_person(p) | {"document": p.document} for p in f.people],
        "sessions": [
            {
                "session_id": s.video_session,
                "kind": s.kind,
                "witness": s.witness,
                "opened_at": _iso(s.opened_at),
                "ended_at": _iso(s.ended_at),
            }
            for s in f.sessions
        ],
        "notes": [
            {
                "text": n.text,
                "by": n.written_by,
                "at": _iso(n.written_at),
                "session": n.video_session,
            }
            for n in f.notes
        ],
        "documents": [document_view(f, d) for d in f.documents],
    }


def party_view(f: CaseFile, me: Participant) -> dict[str, Any]:
    """A participant's own view: no notes, no other person's documents or contact data."""
    c = f.case
    mine = [
        d
        for d in f.documents
        if d.state != "void" and (d.kind == "agreement" or signer_key(me) in d.signers)
    ]
    return {
        "number": c.number,
        "subject": c.subject,
        "state": c.state,
        "mediator_name": c.mediator_name,
        "opened_at": _iso(c.opened_at),
        "settled_at": _iso(c.settled_at),
        "me": _person(me) | {"signer": signer_key(me)},
        "participants": [_person(p) for p in f.people],
        "sessions": [
            {"session_id": s.video_session, "kind": s.kind, "ended_at": _iso(s.ended_at)}
            for s in f.sessions
        ],
        "documents": [document_view(f, d) for d in mine],
        "challenge_open": me.challenge_document is not None,
    }
