"""Notarial acts: load → check with the model → change by compare-and-set → audit, in one
transaction each. The signatures (witness, notary, seal) are in :mod:`hub.notarization.signing`.
"""

from __future__ import annotations

import hashlib
import os
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import func, insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import Principal, Role
from common.audit import record
from common.db import Database, compare_and_set
from common.errors import N_, Conflict, Forbidden, Invalid, NotFound
from hub.accounts.tables import Staff
from hub.applications.service import load_by_code
from hub.applications.tables import Application
from hub.db import audit_events
from hub.notarization import model
from hub.notarization.model import ActState, JournalEntry, Step
from hub.notarization.tables import journal, notarial_acts
from hub.schedules.service import booking_by_reference, staff_bookings
from hub.sessions.tables import VideoSession
from hub.signatures.consent import checked_face
from hub.signatures.service import resident_id_of

__all__ = [
    "NewAct",
    "act_for_resident",
    "act_staff",
    "applications_for",
    "booking_of_notary",
    "close_act",
    "day_of",
    "identify",
    "join_session",
    "load_act",
    "move",
    "open_act",
    "subject",
    "tick",
]

Actor = Principal | str


def subject(act_id: str) -> str:
    return f"notarization:{act_id}"


async def audit_step(
    session: AsyncSession,
    act_id: str,
    after: ActState,
    detail: dict[str, Any],
    *,
    actor: Principal,
    at: datetime,
) -> None:
    """The audit entry of a step that moved the act to ``after``."""
    await record(
        session,
        audit_events,
        at=at,
        actor=actor,
        action=f"notarization.{after.value}",
        subject=subject(act_id),
        detail=detail,
    )


@dataclass(frozen=True)
class NewAct:
    act_type: str
    application_number: str
    booking_reference: str
    particulars: dict[str, Any]
    copies: int = 1


async def load_act(session: AsyncSession, act_id: str) -> Any:
    row = (await session.execute(select(notarial_acts).where(notarial_acts.c.id == act_id))).first()
    if row is None:
        raise NotFound("notarization.no_act", N_("There is no such notarial act."))
    return row


async def act_for_resident(session: AsyncSession, act_id: str, query_code: str) -> Any:
    """The act, for a resident who proves it is theirs with the application's query code."""
    row = await load_act(session, act_id)
    try:
        await load_by_code(session, row.application_number, query_code)
    except NotFound:
        raise NotFound("notarization.no_act", N_("There is no such notarial act.")) from None
    return row


def assigned(row: Any, principal: Principal) -> None:
    """Only the act's own notary acts on it (others see 404: the act is not theirs)."""
    if principal.role is Role.NOTARY and row.notary != principal.subject:
        raise NotFound("notarization.no_act", N_("There is no such notarial act."))


def same_branch(row: Any, principal: Principal) -> None:
    if principal.role is Role.CLERK and row.branch != principal.branch:
        raise NotFound("notarization.no_act", N_("There is no such notarial act."))


def _changed() -> Conflict:
    return Conflict(
        "notarization.changed",
        N_("Someone else changed this notarial act meanwhile. Please reload."),
    )


async def move(
    session: AsyncSession, row: Any, step: Step, at: datetime, **values: Any
) -> ActState:
    """Move the act by ``step`` if it is still in the state it was read in (compare-and-set)."""
    after = model.next_state(ActState(row.state), step)
    t = notarial_acts
    await compare_and_set(
        session,
        update(t)
        .where(t.c.id == row.id, t.c.state == row.state, t.c.updated_at == row.updated_at)
        .values(state=after.value, updated_at=at, **values),
        _changed(),
    )
    return after


async def _application(session: AsyncSession, number: str, branch: str | None) -> Application:
    app = await session.scalar(select(Application).where(Application.number == number))
    if app is None or (branch is not None and app.branch != branch):
        raise NotFound(
            "application.not_found", N_("No application {number}."), params={"number": number}
        )
    return app


async def _booking_notary(session: AsyncSession, reference: str, branch: str) -> Any:
    booking = await booking_by_reference(session, reference)
    if booking.service != "notarization" or booking.branch_code != branch:
        raise Invalid(
            "notarization.bad_booking",
            N_("The booking {reference} is not a notarization session at this branch."),
            params={"reference": reference},
        )
    if booking.status != "booked":
        raise Conflict(
            "notarization.booking_cancelled",
            N_("The booking {reference} was cancelled."),
            params={"reference": reference},
        )
    taken = await session.scalar(
        select(func.count())
        .select_from(notarial_acts)
        .where(
            notarial_acts.c.booking_reference == booking.reference,
            notarial_acts.c.state.in_([s.value for s in model.OPEN]),
        )
    )
    if taken:
        raise Conflict(
            "notarization.booking_taken",
            N_("The booking {reference} already has an open notarial act."),
            params={"reference": reference},
        )
    return booking


async def _next_number(session: AsyncSession, at: datetime) -> str:
    count = await session.scalar(select(func.count()).select_from(notarial_acts))
    return model.act_number(at.year, int(count or 0) + 1)


async def open_act(db: Database, form: NewAct, *, actor: Principal, at: datetime) -> Any:
    """The branch clerk, or the notary the booking is with, opens an act on the resident's
    application and that booking."""
    kind = model.kind_of(form.act_type)
    particulars = model.check_particulars(kind, form.particulars)
    fee = model.fee_cents(kind, form.copies)
    act_id = model.token_id(os.urandom(10))
    notary = actor.role is Role.NOTARY
    async with db.transaction() as session:
        app = await _application(session, form.application_number, None if notary else actor.branch)
        if app.item_code != kind.item_code:
            raise Invalid(
                "notarization.wrong_item",
                N_("Application {number} is not for this kind of notarial act."),
                params={"number": app.number},
            )
        booking = await _booking_notary(session, form.booking_reference, app.branch)
        if notary and booking.staff_username != actor.subject:
            raise NotFound(
                "schedules.no_booking",
                N_("No booking has the reference {reference}."),
                params={"reference": form.booking_reference},
            )
        await session.execute(
            insert(notarial_acts).values(
                id=act_id,
                number=await _next_number(session, at),
                act_type=kind.type.value,
                state=ActState.BOOKED.value,
                application_number=app.number,
                resident_id=resident_id_of(app),
                resident_name=app.resident_name,
                resident_document=app.resident_document,
                resident_lang=app.resident_lang,
                branch=app.branch,
                booking_reference=booking.reference,
                notary=booking.staff_username,
                scheduled_at=booking.starts_at,
                particulars=particulars,
                copies=form.copies,
                fee_cents=fee,
                verification_code=model.verification_code(os.urandom(12)),
                advisements=[],
                created_by=actor.subject,
                created_at=at,
                updated_at=at,
            )
        )
        detail = {"type": kind.type.value, "booking": booking.reference, "fee_cents": fee}
        await record(
            session,
            audit_events,
            at=at,
            actor=actor,
            action="notarization.booked",
            subject=subject(act_id),
            detail={**detail, "application": app.number},
        )
        return await load_act(session, act_id)


async def identify(
    db: Database, act_id: str, query_code: str, raw_decision: object, *, at: datetime
) -> Any:
    """The node's signed face + liveness decision about this resident becomes evidence."""
    async with db.transaction() as session:
        row = await act_for_resident(session, act_id, query_code)
        model.next_state(ActState(row.state), Step.IDENTIFY)
        face, evidence = await checked_face(
            session, raw_decision, resident_id=row.resident_id, at=at
        )
        distance = _distance(evidence)
        await move(
            session,
            row,
            Step.IDENTIFY,
            at,
            identity_attempt=face.session_id,
            identity_decision=evidence,
            identity_sha256=hashlib.sha256(evidence.encode()).hexdigest(),
            identity_distance=distance,
        )
        await record(
            session,
            audit_events,
            at=at,
            actor=row.resident_id,
            action="notarization.identified",
            subject=subject(act_id),
            detail={"attempt": face.session_id, "distance": distance},
        )
        return await load_act(session, act_id)


def _distance(evidence: str) -> float | None:
    import json

    value = json.loads(evidence).get("decision", {}).get("distance")
    return float(value) if isinstance(value, int | float) else None


async def join_session(
    db: Database, act_id: str, video_session_id: str, *, actor: Principal, at: datetime
) -> Any:
    """The notary's recorded video session for this act (opened with ``POST /api/sessions``)."""
    async with db.transaction() as session:
        row = await load_act(session, act_id)
        assigned(row, actor)
        model.next_state(ActState(row.state), Step.JOIN_SESSION)
        video = await session.get(VideoSession, video_session_id)
        if video is None or video.state != "open":
            raise NotFound("media.session_not_live", N_("This video session is not running."))
        if video.kind != "notarization" or video.case_id != row.number:
            raise Invalid(
                "notarization.session_mismatch",
                N_("This video session was not opened for act {number}."),
                params={"number": row.number},
            )
        await move(session, row, Step.JOIN_SESSION, at, video_session_id=video.id)
        await record(
            session,
            audit_events,
            at=at,
            actor=actor,
            action="notarization.session_joined",
            subject=subject(act_id),
            detail={"video_session": video.id},
        )
        return await load_act(session, act_id)


async def tick(db: Database, act_id: str, code: str, *, actor: Principal, at: datetime) -> Any:
    """The notary has read one required advisement aloud."""
    async with db.transaction() as session:
        row = await load_act(session, act_id)
        assigned(row, actor)
        kind = model.kind_of(row.act_type)
        read = [a["code"] for a in row.advisements]
        model.check_tick(kind, ActState(row.state), read, code)
        t = notarial_acts
        await compare_and_set(
            session,
            update(t)
            .where(t.c.id == row.id, t.c.updated_at == row.updated_at)
            .values(advisements=[*row.advisements, {"code": code, "at": at.isoformat()}])
            .values(updated_at=at),
            _changed(),
        )
        await record(
            session,
            audit_events,
            at=at,
            actor=actor,
            action="notarization.advisement_read",
            subject=subject(act_id),
            detail={"code": code},
        )
        return await load_act(session, act_id)


async def close_act(
    db: Database, act_id: str, step: Step, reason: str, *, actor: Principal, at: datetime
) -> Any:
    """The notary refuses or adjourns the act, with a reason; the journal records it."""
    text = model.check_reason(reason)
    async with db.transaction() as session:
        row = await load_act(session, act_id)
        assigned(row, actor)
        after = await move(session, row, step, at, reason=text)
        await audit_step(session, act_id, after, {"reason": text}, actor=actor, at=at)
        await write_journal(session, await load_act(session, act_id), at)
        return await load_act(session, act_id)


async def resume(db: Database, act_id: str, *, actor: Principal, at: datetime) -> Any:
    """An adjourned act is booked again; identity must be proved anew."""
    async with db.transaction() as session:
        row = await load_act(session, act_id)
        assigned(row, actor)
        await move(
            session,
            row,
            Step.RESUME,
            at,
            reason=None,
            identity_attempt=None,
            identity_decision=None,
            identity_sha256=None,
            identity_distance=None,
            video_session_id=None,
            advisements=[],
        )
        await record(
            session,
            audit_events,
            at=at,
            actor=actor,
            action="notarization.resumed",
            subject=subject(act_id),
        )
        return await load_act(session, act_id)


async def write_journal(session: AsyncSession, row: Any, at: datetime) -> None:
    """Append the act's journal entry (its outcome, evidence and fee) for its notary."""
    seq = int(await session.scalar(select(func.count()).select_from(journal)) or 0) + 1
    entry = JournalEntry(
        seq=seq,
        recorded_at=at,
        act_number=row.number,
        act_type=row.act_type,
        outcome=row.state,
        notary=row.notary,
        resident_name=row.resident_name,
        resident_document=row.resident_document,
        branch=row.branch,
        identity_attempt=row.identity_attempt or "",
        identity_decision_sha256=row.identity_sha256 or "",
        identity_distance=row.identity_distance,
        witness=row.witness or "",
        fee_cents=row.fee_cents,
        verification_code=row.verification_code if row.state == "issued" else "",
        certificate_sha256=row.certificate_sha256 or "",
        reason=row.reason or "",
    )
    await session.execute(
        insert(journal).values(
            notary=row.notary,
            act_id=row.id,
            outcome=row.state,
            recorded_at=at,
            entry=entry.row(),
        )
    )


async def staff_name(session: AsyncSession, username: str) -> str:
    name = await session.scalar(select(Staff.display_name).where(Staff.username == username))
    return str(name or username)


def forbid_unless(condition: bool) -> None:
    if not condition:
        raise Forbidden("access.denied", N_("You may not do this."))


async def day_of(
    session: AsyncSession, notary: str, lo: datetime, hi: datetime
) -> list[tuple[Any, Any]]:
    """The notary's live notarization bookings starting in ``[lo, hi)``, each with the act
    last opened on it (or None)."""
    bookings = [
        b
        for b in await staff_bookings(session, notary, lo, hi)
        if b.service == "notarization" and b.status == "booked"
    ]
    acts: dict[str, Any] = {}
    if bookings:
        t = notarial_acts
        rows = await session.execute(
            select(t)
            .where(t.c.booking_reference.in_([b.reference for b in bookings]))
            .order_by(t.c.created_at)
        )
        acts = {r.booking_reference: r for r in rows}  # the latest act of a booking wins
    return [(b, acts.get(b.reference)) for b in bookings]


async def applications_for(session: AsyncSession, booking: Any) -> list[Application]:
    """The booked resident's notarization applications at the booking's branch that have no
    open act yet: what the notary may open the act on."""
    codes = [k.item_code for k in model.KINDS.values()]
    apps = await session.scalars(
        select(Application)
        .where(
            Application.branch == booking.branch_code,
            Application.resident_name == booking.resident_name,
            Application.item_code.in_(codes),
            Application.state.not_in(["rejected", "completed"]),
        )
        .order_by(Application.created_at)
    )
    taken = set(
        await session.scalars(
            select(notarial_acts.c.application_number).where(
                notarial_acts.c.state.in_([s.value for s in model.OPEN])
            )
        )
    )
    return [a for a in apps if a.number not in taken]


async def booking_of_notary(session: AsyncSession, reference: str, notary: Principal) -> Any:
    """A notarization booking with this notary (others see 404: it is not theirs)."""
    booking = await booking_by_reference(session, reference)
    if booking.service != "notarization" or booking.staff_username != notary.subject:
        raise NotFound(
            "schedules.no_booking",
            N_("No booking has the reference {reference}."),
            params={"reference": reference},
        )
    return booking


async def act_staff(tx: AsyncSession, number: str) -> tuple[set[str], set[str]]:
    """Who is assigned to act ``number`` and its office, for the act's video sessions."""
    act = (
        await tx.execute(
            select(notarial_acts.c.notary, notarial_acts.c.branch).where(
                notarial_acts.c.number == number
            )
        )
    ).first()
    return ({act.notary}, {act.branch}) if act is not None else (set(), set())
