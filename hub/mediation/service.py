"""Mediation handlers: load, apply the model's rules, record. Callers audit in the same
transaction and never nest transactions; signing (CPU work) happens between two of them."""

from __future__ import annotations

import hashlib
import hmac
import secrets
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import Principal, Role
from common.errors import N_, Forbidden, Invalid, NotFound
from common.filestore import FileStore
from common.numbers import hash_query_code, new_query_code
from hub.accounts.tables import Office, Staff
from hub.mediation.model import (
    MEDIATOR,
    CaseRecord,
    CaseState,
    Coverage,
    SignatureRecord,
    SigningPlan,
    Step,
    check_step,
    check_terms,
    coverage,
    text_sha256,
)
from hub.mediation.pdf import render_text_pdf
from hub.mediation.tables import (
    CaseDocument,
    CaseNote,
    CaseSession,
    CaseSignature,
    MediationCase,
    Participant,
)
from hub.mediation.template import Person, agreement_text, statement_text
from hub.zone import hub_date

__all__ = [
    "CaseFile",
    "NewCase",
    "NewPerson",
    "case_file",
    "case_records",
    "case_staff",
    "document_coverage",
    "draft_agreement",
    "draft_statement",
    "form_choices",
    "load",
    "load_for_party",
    "open_case",
    "party_by_code",
    "require_mediator",
    "signer_key",
]


def signer_key(p: Participant) -> str:
    return f"p:{p.id}"


@dataclass(frozen=True)
class NewPerson:
    role: str  # party | representative | interpreter | witness
    name: str
    document: str
    country: str
    location: str
    lang: str
    represents: int | None = None  # index into the parties of the same request


@dataclass(frozen=True)
class NewCase:
    office: str
    subject: str
    summary: str
    mediator: str
    people: Sequence[NewPerson]


async def _office(session: AsyncSession, code: str) -> Office:
    office = await session.get(Office, code)
    if office is None:
        raise Invalid("mediation.unknown_office", N_("No office {code}."), params={"code": code})
    return office


async def form_choices(session: AsyncSession) -> tuple[list[Office], list[Staff]]:
    """What the new-case form offers: the offices, and every mediator (hub or invited abroad)."""
    offices = (await session.scalars(select(Office).order_by(Office.code))).all()
    mediators = await session.scalars(
        select(Staff).where(Staff.role == Role.MEDIATOR.value).order_by(Staff.username)
    )
    return list(offices), list(mediators.all())


async def open_case(
    session: AsyncSession, *, new: NewCase, actor: Principal, now: datetime
) -> tuple[MediationCase, dict[int, str]]:
    """A case with its people; returns it and each person's access code (shown once)."""
    await _office(session, new.office)
    if actor.role is Role.CLERK and actor.branch != new.office:
        raise Forbidden("mediation.other_branch", N_("A clerk opens cases for their own branch."))
    staff = await session.scalar(select(Staff).where(Staff.username == new.mediator))
    if staff is None or staff.role != Role.MEDIATOR.value:
        raise Invalid(
            "mediation.unknown_mediator",
            N_("{name} is not a mediator."),
            params={"name": new.mediator},
        )
    parties = [p for p in new.people if p.role == "party"]
    if len(parties) < 2:
        raise Invalid("mediation.parties_required", N_("A mediation needs at least two parties."))
    for person in new.people:
        await _office(session, person.location)
    case = MediationCase(
        number=f"TJ-{new.office}-{hub_date(now):%Y%m%d}-{secrets.token_hex(3).upper()}",
        office=new.office,
        subject=new.subject,
        summary=new.summary,
        mediator=staff.username,
        mediator_name=staff.display_name,
        mediator_office=staff.office_code,
        state=CaseState.OPEN.value,
        opened_by=actor.subject,
        opened_at=now,
    )
    session.add(case)
    await session.flush()
    return case, await _add_people(session, case, new.people)


async def _add_people(
    session: AsyncSession, case: MediationCase, people: Sequence[NewPerson]
) -> dict[int, str]:
    codes: dict[int, str] = {}
    rows: list[Participant] = []
    for person in people:  # parties first, so that helpers can name the party they assist
        code = new_query_code()
        row = Participant(
            case_id=case.id,
            role=person.role,
            name=person.name,
            document=person.document,
            country=person.country,
            location=person.location,
            lang=person.lang,
            access_code_hash=hash_query_code(code),
        )
        session.add(row)
        rows.append(row)
        await session.flush()
        codes[row.id] = code
    for person, row in zip(people, rows, strict=True):
        if person.represents is not None:
            if not 0 <= person.represents < len(rows) or rows[person.represents].role != "party":
                raise Invalid(
                    "mediation.bad_represents", N_("A representative assists one of the parties.")
                )
            row.represents = rows[person.represents].id
    return codes


async def load(session: AsyncSession, number: str, *, lock: bool = False) -> MediationCase:
    query = select(MediationCase).where(MediationCase.number == number)
    case = await session.scalar(query.with_for_update() if lock else query)
    if case is None:
        raise NotFound(
            "mediation.not_found", N_("No mediation case {number}."), params={"number": number}
        )
    return case


def require_mediator(case: MediationCase, actor: Principal) -> None:
    """Scope ASSIGNED: only the case's mediator runs it. To any other mediator the case does
    not exist, as when they try to read it: a refusal would confirm the case number."""
    if actor.role is Role.MEDIATOR and case.mediator != actor.subject:
        raise NotFound(
            "mediation.not_found", N_("No mediation case {number}."), params={"number": case.number}
        )


async def party_by_code(session: AsyncSession, case: MediationCase, code: str) -> Participant:
    """The participant holding ``code``; one who is not on the case learns nothing."""
    wanted = hash_query_code(code or "-")
    for p in await _participants(session, case):
        if hmac.compare_digest(p.access_code_hash, wanted):
            return p
    raise _not_on_case()


def _not_on_case() -> NotFound:
    return NotFound("mediation.not_on_case", N_("No such case with this access code."))


async def load_for_party(
    session: AsyncSession, number: str, code: str, *, lock: bool = False
) -> tuple[MediationCase, Participant]:
    """The case and the participant holding ``code``. A case that does not exist answers as a
    wrong code does, so that trying codes confirms no case number."""
    query = select(MediationCase).where(MediationCase.number == number)
    case = await session.scalar(query.with_for_update() if lock else query)
    if case is None:
        raise _not_on_case()
    return case, await party_by_code(session, case, code)


async def _participants(session: AsyncSession, case: MediationCase) -> list[Participant]:
    rows = await session.scalars(
        select(Participant).where(Participant.case_id == case.id).order_by(Participant.id)
    )
    return list(rows.all())


@dataclass(frozen=True)
class CaseFile:
    case: MediationCase
    people: list[Participant]
    sessions: list[CaseSession]
    notes: list[CaseNote]
    documents: list[CaseDocument]
    signatures: list[CaseSignature]

    @property
    def parties(self) -> list[Participant]:
        return [p for p in self.people if p.role == "party"]

    def consents_missing(self) -> list[str]:
        return [p.name for p in self.parties if p.consented_at is None]

    def sessions_held(self, kind: str = "mediation") -> int:
        return sum(1 for s in self.sessions if s.kind == kind)

    def current(self, kind: str = "agreement") -> CaseDocument | None:
        live = [d for d in self.documents if d.kind == kind and d.state != "void"]
        return live[-1] if live else None

    def signatures_of(self, doc: CaseDocument) -> list[CaseSignature]:
        return [s for s in self.signatures if s.document_id == doc.id]

    def check(self, step: Step) -> None:
        check_step(
            CaseState(self.case.state),
            step,
            sessions_held=self.sessions_held(),
            consents_missing=self.consents_missing(),
        )


async def case_file(session: AsyncSession, case: MediationCase) -> CaseFile:
    def by_case(model: type) -> object:
        return select(model).where(model.case_id == case.id).order_by(model.id)  # type: ignore[attr-defined]

    sessions = list((await session.scalars(by_case(CaseSession))).all())  # type: ignore[call-overload]
    notes = list((await session.scalars(by_case(CaseNote))).all())  # type: ignore[call-overload]
    docs = list((await session.scalars(by_case(CaseDocument))).all())  # type: ignore[call-overload]
    sigs = await session.scalars(
        select(CaseSignature)
        .where(CaseSignature.document_id.in_([d.id for d in docs] or [-1]))
        .order_by(CaseSignature.id)
    )
    return CaseFile(case, await _participants(session, case), sessions, notes, docs, list(sigs))


def document_coverage(doc: CaseDocument, signatures: Sequence[CaseSignature]) -> Coverage:
    plan = SigningPlan(tuple(doc.signers), tuple(doc.closers))
    records = [SignatureRecord(s.signer, s.text_sha256) for s in signatures]
    return coverage(plan, doc.text_sha256, records)


def _person(p: Participant, people: Sequence[Participant]) -> Person:
    helped = next((q.name for q in people if q.id == p.represents), None)
    return Person(p.name, p.document, p.country, p.location, p.role, helped)


def _new_document(
    f: CaseFile,
    *,
    kind: str,
    title: str,
    text: str,
    signers: list[str],
    closers: list[str],
    actor: Principal,
    now: datetime,
    store: FileStore,
    written: list[str],
    video: str | None,
) -> CaseDocument:
    digest = text_sha256(text)
    rows = (len(signers) + len(closers) + 2) // 3
    pdf = render_text_pdf(title, text, text_sha256=digest, stamp_rows=rows)
    pdf_sha = hashlib.sha256(pdf).hexdigest()
    if store.put(pdf_sha, pdf):
        written.append(pdf_sha)
    version = 1 + max((d.version for d in f.documents if d.kind == kind), default=0)
    return CaseDocument(
        case_id=f.case.id,
        kind=kind,
        version=version,
        video_session=video,
        text=text,
        text_sha256=digest,
        draft_sha256=pdf_sha,
        draft_size=len(pdf),
        current_sha256=pdf_sha,
        signers=signers,
        closers=closers,
        state="signing",
        created_by=actor.subject,
        created_at=now,
    )


def draft_agreement(
    f: CaseFile,
    *,
    terms: Sequence[str],
    actor: Principal,
    now: datetime,
    store: FileStore,
    written: list[str],
) -> tuple[CaseDocument, list[CaseDocument]]:
    """A new draft from the template; every earlier draft (and its signatures) becomes void."""
    f.check(Step.DRAFT)
    cleaned = check_terms(terms)
    voided = [d for d in f.documents if d.kind == "agreement" and d.state != "void"]
    for d in voided:
        d.state = "void"
    helpers = [p for p in f.people if p.role in ("representative", "interpreter")]
    text = agreement_text(
        number=f.case.number,
        version=1 + sum(1 for d in f.documents if d.kind == "agreement"),
        drafted_on=hub_date(now),
        subject=f.case.subject,
        summary=f.case.summary,
        parties=[_person(p, f.people) for p in f.parties],
        helpers=[_person(p, f.people) for p in helpers],
        mediator=f.case.mediator_name,
        mediator_office=f.case.mediator_office,
        terms=cleaned,
    )
    doc = _new_document(
        f,
        kind="agreement",
        title=f"调解协议书 {f.case.number}",
        text=text,
        signers=[signer_key(p) for p in f.parties],
        closers=[MEDIATOR, "seal"],
        actor=actor,
        now=now,
        store=store,
        written=written,
        video=None,
    )
    f.case.state = CaseState.DRAFTED.value
    return doc, voided


def draft_statement(
    f: CaseFile,
    *,
    video_session: str,
    statement: str,
    actor: Principal,
    now: datetime,
    store: FileStore,
    written: list[str],
) -> CaseDocument:
    """The witness statement of an evidence session, to be signed by the witness and sealed."""
    held = next((s for s in f.sessions if s.video_session == video_session), None)
    if held is None or held.kind != "evidence" or held.witness is None:
        raise NotFound(
            "mediation.no_evidence_session",
            N_("No evidence session {id} on this case."),
            params={"id": video_session},
        )
    if held.ended_at is None:
        raise Invalid(
            "mediation.session_running",
            N_("End the evidence session before writing its statement."),
        )
    if not statement.strip():
        raise Invalid("mediation.statement_required", N_("Write down what the witness stated."))
    for d in f.documents:
        if d.kind == "statement" and d.video_session == video_session and d.state != "void":
            d.state = "void"
    witness = next(p for p in f.people if p.id == held.witness)
    text = statement_text(
        number=f.case.number,
        session_id=video_session,
        taken_on=hub_date(now),
        witness=_person(witness, f.people),
        taken_by=f.case.mediator_name,
        statement=statement,
    )
    return _new_document(
        f,
        kind="statement",
        title=f"远程视频取证笔录 {f.case.number}",
        text=text,
        signers=[signer_key(witness)],
        closers=["seal"],
        actor=actor,
        now=now,
        store=store,
        written=written,
        video=video_session,
    )


async def case_records(session: AsyncSession) -> list[CaseRecord]:
    rows = (await session.scalars(select(MediationCase))).all()
    return [
        CaseRecord(
            c.office,
            hub_date(c.opened_at),
            hub_date(c.settled_at) if c.settled_at else None,
            hub_date(c.closed_at) if c.closed_at else None,
        )
        for c in rows
    ]


async def case_staff(tx: AsyncSession, number: str) -> tuple[set[str], set[str]]:
    """Who is on case ``number`` and its offices, for the case's meetings and evidence."""
    case = await tx.scalar(select(MediationCase).where(MediationCase.number == number))
    if case is None:
        return set(), set()
    return {case.mediator, case.opened_by}, {case.office, case.mediator_office}
