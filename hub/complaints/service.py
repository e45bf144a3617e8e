"""Complaint handlers: load, apply the model's rules, record. Routes audit each decision."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import Principal, Role
from common.errors import N_, Forbidden, Invalid, NotFound
from common.numbers import hash_query_code, new_query_code
from common.uploads import Upload
from hub.accounts.tables import Staff
from hub.applications.storage import MaterialStore
from hub.catalogue.service import categories
from hub.complaints.model import (
    Deadline,
    State,
    Timeline,
    check_extension,
    check_review_request,
    check_transition,
    running_deadline,
)
from hub.complaints.tables import Complaint, ComplaintDocument
from hub.zone import hub_date
from signing.verify import DocumentStatus

__all__ = [
    "HUB_OFFICE",
    "Complainant",
    "Lodging",
    "accept",
    "documents",
    "extend",
    "load",
    "load_by_code",
    "lodge",
    "open_deadlines",
    "record_signed",
    "refuse",
    "request_review",
    "timeline",
]

# a complaint goes to the accepting department of a published category, or to the hub itself
HUB_OFFICE = "hub_office"
HANDLER_ROLES = {Role.OFFICER.value, Role.SUPERVISOR.value}


@dataclass(frozen=True)
class Complainant:
    name: str
    document: str
    contact: str
    country: str
    lang: str


@dataclass(frozen=True)
class Lodging:
    kind: str  # complaint | petition
    facts: str
    request: str
    complainant: Complainant


def _day(at: datetime | None) -> date | None:
    return hub_date(at) if at is not None else None


def timeline(c: Complaint) -> Timeline:
    return Timeline(
        state=State(c.state),
        lodged=hub_date(c.lodged_at),
        decided=_day(c.decided_at),
        extended_days=c.extended_days,
        replied=_day(c.replied_at),
        review_requested=_day(c.review_requested_at),
        reviewed=_day(c.reviewed_at),
        accepted=c.department is not None,
    )


def _store_document(
    session: AsyncSession,
    c: Complaint,
    *,
    kind: str,
    data: bytes,
    name: str,
    content_type: str,
    signers: list[str],
    actor: str,
    now: datetime,
    store: MaterialStore,
) -> tuple[ComplaintDocument, bool]:
    key = hashlib.sha256(data).hexdigest()
    doc = ComplaintDocument(
        complaint_id=c.id,
        kind=kind,
        display_name=name,
        content_type=content_type,
        sha256=key,
        size=len(data),
        signers=signers,
        recorded_by=actor,
        recorded_at=now,
    )
    session.add(doc)
    return doc, store.put(key, data)


async def lodge(
    session: AsyncSession,
    *,
    lodging: Lodging,
    attachments: list[Upload],
    actor: Principal,
    branch: str,
    now: datetime,
    store: MaterialStore,
    written: list[str],
) -> tuple[Complaint, str]:
    """A new complaint with its attachments (already inspected); new files go into ``written``
    so that the caller removes them if the transaction fails."""
    code = new_query_code()
    who = lodging.complainant
    c = Complaint(
        number=f"TS-{branch}-{hub_date(now):%Y%m%d}-{secrets.token_hex(3).upper()}",
        query_code_hash=hash_query_code(code),
        kind=lodging.kind,
        branch=branch,
        lodged_by=actor.subject,
        complainant_name=who.name,
        complainant_document=who.document,
        complainant_contact=who.contact,
        complainant_country=who.country,
        complainant_lang=who.lang,
        facts=lodging.facts,
        request=lodging.request,
        state=State.LODGED.value,
        lodged_at=now,
        extended_days=0,
    )
    session.add(c)
    await session.flush()
    for upload in attachments:
        doc, new = _store_document(
            session,
            c,
            kind="attachment",
            data=upload.data,
            name=upload.display_name,
            content_type=upload.content_type,
            signers=[],
            actor=actor.subject,
            now=now,
            store=store,
        )
        if new:
            written.append(doc.sha256)
    await session.flush()
    return c, code


def _not_found(number: str) -> NotFound:
    return NotFound("complaint.not_found", N_("No complaint {number}."), params={"number": number})


async def load(session: AsyncSession, number: str, *, lock: bool = False) -> Complaint:
    query = select(Complaint).where(Complaint.number == number)
    if lock:
        query = query.with_for_update()
    c = await session.scalar(query)
    if c is None:
        raise _not_found(number)
    return c


async def load_by_code(
    session: AsyncSession, number: str, query_code: str, *, lock: bool = False
) -> Complaint:
    query = select(Complaint).where(Complaint.number == number)
    c = await session.scalar(query.with_for_update() if lock else query)
    if c is None or not hmac.compare_digest(
        c.query_code_hash, hash_query_code(query_code.strip().upper())
    ):
        raise NotFound(
            "complaint.not_found_by_code", N_("No complaint with this number and query code.")
        )
    return c


async def documents(session: AsyncSession, c: Complaint) -> list[ComplaintDocument]:
    rows = await session.scalars(
        select(ComplaintDocument)
        .where(ComplaintDocument.complaint_id == c.id)
        .order_by(ComplaintDocument.id)
    )
    return list(rows.all())


async def accept(
    session: AsyncSession,
    *,
    c: Complaint,
    department: str,
    handler: str,
    actor: Principal,
    now: datetime,
) -> None:
    check_transition(State(c.state), State.ACCEPTED)
    if department != HUB_OFFICE and department not in await categories(session):
        raise Invalid(
            "complaint.unknown_department",
            N_("No department {code}."),
            params={"code": department},
        )
    staff = await session.scalar(select(Staff).where(Staff.username == handler))
    if staff is None or staff.role not in HANDLER_ROLES:
        raise Invalid(
            "complaint.unknown_handler",
            N_("{name} is not a hub officer who can handle complaints."),
            params={"name": handler},
        )
    c.state, c.department, c.handler = State.ACCEPTED.value, department, handler
    c.decided_at, c.decided_by = now, actor.subject


async def refuse(
    session: AsyncSession, *, c: Complaint, reason: str, actor: Principal, now: datetime
) -> None:
    check_transition(State(c.state), State.REFUSED)
    if not reason.strip():
        raise Invalid("complaint.reason_required", N_("State the reason."))
    c.state, c.refusal_reason = State.REFUSED.value, reason.strip()
    c.decided_at, c.decided_by = now, actor.subject


def require_handler(c: Complaint, actor: Principal) -> None:
    """Scope ASSIGNED: only the officer the complaint was handed to acts on it."""
    if c.handler != actor.subject:
        raise Forbidden(
            "complaint.not_assigned", N_("Only the officer handling this complaint may do this.")
        )


def handles(c: Complaint, principal: Principal | None) -> bool:
    """Who sees the complainant's identity: the handling officer and the one who decided."""
    return principal is not None and principal.subject in {c.handler, c.decided_by}


def extend(c: Complaint, *, days: int, reason: str, actor: Principal) -> None:
    require_handler(c, actor)
    check_extension(timeline(c), days, reason)
    c.extended_days, c.extension_reason = days, reason.strip()


def _require_signed(status: DocumentStatus) -> list[str]:
    if not status.signatures:
        raise Invalid(
            "complaint.reply_unsigned",
            N_("The reply carries no signature; the hub sends only signed replies."),
        )
    if not status.ok:
        failures = [f for s in status.signatures for f in s.failures] + list(status.failures)
        raise Invalid(
            "complaint.reply_signature_invalid",
            N_("The reply's signature is not valid: {reasons}."),
            params={"reasons": "; ".join(failures)},
        )
    return [s.signer for s in status.signatures]


async def record_signed(
    session: AsyncSession,
    *,
    c: Complaint,
    pdf: bytes,
    status: DocumentStatus,
    actor: Principal,
    now: datetime,
    store: MaterialStore,
    written: list[str],
) -> ComplaintDocument:
    """The signed reply (or review answer): refused unless every signature checks out."""
    require_handler(c, actor)
    target = State.REVIEWED if c.state == State.REVIEW_REQUESTED.value else State.REPLIED
    check_transition(State(c.state), target)
    signers = _require_signed(status)
    kind = "review_answer" if target is State.REVIEWED else "reply"
    doc, new = _store_document(
        session,
        c,
        kind=kind,
        data=pdf,
        name=f"{c.number}-{kind}.pdf",
        content_type="application/pdf",
        signers=signers,
        actor=actor.subject,
        now=now,
        store=store,
    )
    if new:
        written.append(doc.sha256)
    c.state = target.value
    if target is State.REVIEWED:
        c.reviewed_at = now
    else:
        c.replied_at = now
    await session.flush()
    return doc


def request_review(c: Complaint, *, reason: str, now: datetime) -> None:
    if not reason.strip():
        raise Invalid("complaint.reason_required", N_("State the reason."))
    check_review_request(timeline(c), hub_date(now))
    c.state = State.REVIEW_REQUESTED.value
    c.review_requested_at, c.review_reason = now, reason.strip()


async def open_deadlines(
    session: AsyncSession, *, branch: str | None = None
) -> list[tuple[Complaint, Deadline]]:
    """Every complaint on which the hub owes a step, soonest deadline first."""
    owing = (State.LODGED.value, State.ACCEPTED.value, State.REVIEW_REQUESTED.value)
    query = select(Complaint).where(Complaint.state.in_(owing))
    if branch:
        query = query.where(Complaint.branch == branch)
    found = []
    for c in (await session.scalars(query)).all():
        deadline = running_deadline(timeline(c))
        if deadline is not None:
            found.append((c, deadline))
    return sorted(found, key=lambda pair: (pair[1].due, pair[0].number))
