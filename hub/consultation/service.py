"""Consultation handlers: load, apply the model's rules, record. Routes audit each decision."""

from __future__ import annotations

import hmac
import secrets
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import Principal, Role
from common.db import Database
from common.errors import N_, Conflict, Invalid, NotFound
from common.i18n import translate
from common.numbers import hash_query_code, new_query_code
from hub.accounts.tables import Staff
from hub.consultation import model
from hub.consultation.model import LANGS, TOPIC_LABELS, State, Timeline, Topic
from hub.consultation.search import Hit, fold, rank, terms
from hub.consultation.tables import Consultant, Consultation, KbEntry
from hub.schedules import service as schedules
from hub.schedules.tables import Booking
from hub.zone import hub_date

__all__ = [
    "MAX_CANDIDATES",
    "Asking",
    "answer",
    "book",
    "booking_of",
    "check_open",
    "consultation_staff",
    "desk",
    "finish",
    "kb_entries",
    "kb_search",
    "load",
    "load_by_code",
    "publish",
    "rate",
    "require_consultant",
    "roster",
    "shown_state",
    "staff_names",
    "subject",
    "timeline",
]

MAX_CANDIDATES = 2000  # the newest entries a search looks through


@dataclass(frozen=True)
class Asking:
    """What the resident asks, and who they are (kept private to the consultant)."""

    topic: Topic
    question: str
    name: str
    document: str
    contact: str
    country: str
    lang: str
    zone: str


def subject(c: Consultation) -> str:
    return f"consultation:{c.number}"


async def roster(
    session: AsyncSession, topic: Topic | None = None
) -> list[tuple[Consultant, Staff]]:
    rows = await session.execute(
        select(Consultant, Staff)
        .join(Staff, Staff.username == Consultant.username)
        .where(Consultant.active.is_(True))
        .order_by(Consultant.kind, Staff.username)
    )
    found = [(c, s) for c, s in rows.all()]
    return [(c, s) for c, s in found if topic is None or topic.value in c.topics]


async def _require_on_roster(session: AsyncSession, username: str, topic: Topic) -> None:
    if not any(s.username == username for _, s in await roster(session, topic)):
        raise Invalid(
            "consultation.not_on_roster",
            N_("{name} gives no consultations on this topic; please pick another time."),
            params={"name": username},
        )


def _new(asking: Asking, booking: Booking, code: str, now: datetime) -> Consultation:
    return Consultation(
        number=f"ZX-{booking.branch_code}-{hub_date(now):%Y%m%d}-{secrets.token_hex(3).upper()}",
        query_code_hash=hash_query_code(code),
        booking_reference=booking.reference,
        branch=booking.branch_code,
        topic=asking.topic.value,
        consultant=booking.staff_username,
        resident_name=asking.name,
        resident_document=asking.document,
        resident_contact=asking.contact,
        resident_country=asking.country,
        resident_lang=asking.lang,
        question=asking.question,
        state=State.BOOKED.value,
        booked_at=now,
    )


async def book(
    db: Database,
    record: schedules.Recorder,
    choice: schedules.SessionChoice,
    *,
    asking: Asking,
    actor: str,
    now: datetime,
) -> tuple[Consultation, str, Booking]:
    """Book the slot and record the consultation in one transaction: both or neither."""
    code = new_query_code()
    made: list[Consultation] = []

    async def then(session: AsyncSession, booking: Booking) -> None:
        await _require_on_roster(session, booking.staff_username, asking.topic)
        c = _new(asking, booking, code, now)
        session.add(c)
        await session.flush()
        detail = {"topic": c.topic, "consultant": c.consultant, "booking": booking.reference}
        await record(session, "consultation.booked", subject(c), detail)
        made.append(c)

    booking = await schedules.book(
        db,
        record,
        choice,
        resident_name=asking.name,
        resident_contact=asking.contact,
        resident_zone=asking.zone,
        actor=actor,
        now=now,
        then=then,
    )
    return made[0], code, booking


def _not_found(number: str) -> NotFound:
    return NotFound(
        "consultation.not_found", N_("No consultation {number}."), params={"number": number}
    )


async def load(session: AsyncSession, number: str, *, lock: bool = False) -> Consultation:
    query = select(Consultation).where(Consultation.number == number)
    c = await session.scalar(query.with_for_update() if lock else query)
    if c is None:
        raise _not_found(number)
    return c


async def load_by_code(
    session: AsyncSession, number: str, query_code: str, *, lock: bool = False
) -> Consultation:
    query = select(Consultation).where(Consultation.number == number)
    c = await session.scalar(query.with_for_update() if lock else query)
    if c is None or not hmac.compare_digest(c.query_code_hash, hash_query_code(query_code)):
        raise NotFound(
            "consultation.not_found_by_code",
            N_("No consultation with this number and query code."),
        )
    return c


async def booking_of(session: AsyncSession, c: Consultation) -> Booking:
    return await schedules.booking_by_reference(session, c.booking_reference)


def shown_state(c: Consultation, booking: Booking) -> str:
    """The state a reader sees: a booking cancelled before the session cancels it."""
    if c.state == State.BOOKED.value and booking.status == "cancelled":
        return "cancelled"
    return c.state


def timeline(c: Consultation, booking: Booking) -> Timeline:
    return Timeline(
        state=State(c.state),
        starts_at=booking.starts_at,
        ends_at=booking.ends_at,
        opened_at=c.opened_at,
        held_on=hub_date(c.held_at) if c.held_at else None,
        answered_on=hub_date(c.answered_at) if c.answered_at else None,
    )


def require_consultant(c: Consultation, actor: Principal) -> None:
    """Scope ASSIGNED: only the consultant the resident booked acts on the consultation; to
    anyone else it does not exist (404), as a consultation of another branch."""
    if c.consultant != actor.subject:
        raise _not_found(c.number)


def check_open(c: Consultation, booking: Booking, actor: Principal, now: datetime) -> None:
    require_consultant(c, actor)
    if shown_state(c, booking) == "cancelled":
        raise Invalid("consultation.cancelled", N_("This consultation was cancelled."))
    model.check_can_open(State(c.state), now, booking.starts_at)


def finish(c: Consultation, *, tracks: list[str], resident: str, now: datetime) -> State:
    """The session ended: held if the resident was in its recording, else missed."""
    target = model.outcome(tracks, resident)
    model.check_transition(State(c.state), target)
    c.state, c.held_at = target.value, now
    return target


def answer(c: Consultation, *, texts: dict[str, str], actor: Principal, now: datetime) -> None:
    require_consultant(c, actor)
    cleaned = model.clean_texts(texts)
    model.check_transition(State(c.state), State.ANSWERED)
    c.state, c.answer, c.answered_at = State.ANSWERED.value, cleaned, now


def rate(c: Consultation, *, level: int, comment: str, now: datetime) -> None:
    model.check_rating(State(c.state), level)
    c.state, c.rating, c.rating_comment, c.rated_at = State.RATED.value, level, comment, now


async def staff_names(session: AsyncSession, usernames: set[str]) -> dict[str, str]:
    rows = await session.execute(
        select(Staff.username, Staff.display_name).where(Staff.username.in_(usernames))
    )
    return {u: n for u, n in rows.all()}


def _check_anonymous(c: Consultation, texts: list[str]) -> None:
    leaks = model.identity_leaks("\n".join(texts), [c.resident_name, c.resident_document])
    if leaks:
        raise Invalid(
            "kb.not_anonymous",
            N_("The public text still names the resident ({parts}); take it out."),
            params={"parts": ", ".join(leaks)},
        )


async def publish(
    session: AsyncSession,
    *,
    c: Consultation,
    question: dict[str, str],
    answer_texts: dict[str, str] | None,
    actor: Principal,
    now: datetime,
) -> KbEntry:
    """An answered consultation becomes a public entry, stripped of the resident's identity."""
    if actor.role is not Role.SUPERVISOR:
        require_consultant(c, actor)
    model.check_publishable(State(c.state))
    if await session.scalar(select(KbEntry.id).where(KbEntry.consultation_id == c.id)):
        raise Conflict("kb.already_published", N_("This consultation is already published."))
    public_q = model.clean_texts(question)
    public_a = model.clean_texts(answer_texts) if answer_texts else dict(c.answer or {})
    _check_anonymous(c, [*public_q.values(), *public_a.values()])
    assert c.answered_at is not None  # an answered consultation has its date
    names = await staff_names(session, {c.consultant})
    entry = KbEntry(
        consultation_id=c.id,
        topic=c.topic,
        question=public_q,
        answer=public_a,
        consultant=c.consultant,
        consultant_name=names.get(c.consultant, c.consultant),
        answered_on=hub_date(c.answered_at),
        published_by=actor.subject,
        published_at=now,
    )
    session.add(entry)
    await session.flush()
    return entry


async def kb_entries(
    session: AsyncSession, topic: Topic | None = None, *, limit: int = MAX_CANDIDATES
) -> list[KbEntry]:
    query = select(KbEntry).order_by(KbEntry.published_at.desc(), KbEntry.id.desc())
    if topic is not None:
        query = query.where(KbEntry.topic == topic.value)
    return list((await session.scalars(query.limit(limit))).all())


def _haystack(e: KbEntry) -> str:
    label = TOPIC_LABELS[Topic(e.topic)]
    parts = [*e.question.values(), *e.answer.values(), e.consultant_name]
    return fold("\n".join(parts + [translate(lang, label) for lang in LANGS]))


async def kb_search(
    session: AsyncSession, query: str, topic: Topic | None = None
) -> list[Hit[KbEntry]]:
    """Entries matching ``query`` in any of their languages, best first (the same on every
    database: the newest candidates are matched here, not by the database)."""
    wanted = terms(query)
    candidates = await kb_entries(session, topic)
    return rank(wanted, [(e, _haystack(e)) for e in candidates])


async def desk(session: AsyncSession, actor: Principal) -> list[tuple[Consultation, Booking]]:
    """The consultant's own consultations (a supervisor's: all), soonest session first."""
    query: Any = select(Consultation, Booking).join(
        Booking, Booking.reference == Consultation.booking_reference
    )
    if actor.role is not Role.SUPERVISOR:
        query = query.where(Consultation.consultant == actor.subject)
    rows = await session.execute(query.order_by(Booking.starts_at, Consultation.id).limit(500))
    return [(c, b) for c, b in rows.all()]


async def consultation_staff(tx: AsyncSession, number: str) -> tuple[set[str], set[str]]:
    """The consultant of consultation ``number`` and its branch, for its video session."""
    c = await tx.scalar(select(Consultation).where(Consultation.number == number))
    return ({c.consultant}, {c.branch}) if c is not None else (set(), set())
