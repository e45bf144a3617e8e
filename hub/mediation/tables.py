"""Tables of mediation cases: participants, sessions, notes, signed documents and signatures."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, ForeignKey, Integer, String, Text, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from common.db import UTCDateTime
from hub.db import Base

__all__ = [
    "CaseDocument",
    "CaseNote",
    "CaseSession",
    "CaseSignature",
    "MediationCase",
    "Participant",
    "SignedPackage",
]


class MediationCase(Base):
    __tablename__ = "mediation_cases"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    office: Mapped[str] = mapped_column(String(16), index=True)  # where the case was received
    subject: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str] = mapped_column(Text)
    mediator: Mapped[str] = mapped_column(String(64), index=True)  # staff username
    mediator_name: Mapped[str] = mapped_column(String(120))
    mediator_office: Mapped[str] = mapped_column(String(16))  # a branch: an invited overseas one
    state: Mapped[str] = mapped_column(String(16), index=True)
    opened_by: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    settled_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    closed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    close_reason: Mapped[str | None] = mapped_column(Text, nullable=True)


class Participant(Base):
    """A party, a party's representative or interpreter, or a witness."""

    __tablename__ = "mediation_participants"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mediation_cases.id"), index=True)
    role: Mapped[str] = mapped_column(String(16))  # party | representative | interpreter | witness
    represents: Mapped[int | None] = mapped_column(Integer, nullable=True)  # a party's id
    name: Mapped[str] = mapped_column(String(120))
    document: Mapped[str] = mapped_column(String(40))
    country: Mapped[str] = mapped_column(String(2))
    location: Mapped[str] = mapped_column(String(16))  # office code: a branch, or the hub
    lang: Mapped[str] = mapped_column(String(2))
    access_code_hash: Mapped[str] = mapped_column(String(64))
    consented_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    # the open signing challenge: the node's face decision and the file it binds
    challenge_document: Mapped[int | None] = mapped_column(Integer, nullable=True)
    challenge_sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    challenge_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    attempt_id: Mapped[str | None] = mapped_column(String(64), nullable=True)
    face_decision: Mapped[str | None] = mapped_column(Text, nullable=True)


class CaseSession(Base):
    """A video session of the case: a mediation meeting or the taking of evidence."""

    __tablename__ = "mediation_sessions"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mediation_cases.id"), index=True)
    video_session: Mapped[str] = mapped_column(String(32), unique=True)
    kind: Mapped[str] = mapped_column(String(16))  # mediation | evidence
    witness: Mapped[int | None] = mapped_column(Integer, nullable=True)
    opened_by: Mapped[str] = mapped_column(String(64))
    opened_at: Mapped[datetime] = mapped_column(UTCDateTime)
    ended_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class CaseNote(Base):
    __tablename__ = "mediation_notes"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mediation_cases.id"), index=True)
    video_session: Mapped[str | None] = mapped_column(String(32), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    written_by: Mapped[str] = mapped_column(String(64))
    written_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseDocument(Base):
    """A document to be signed: an agreement draft or a witness statement."""

    __tablename__ = "mediation_documents"
    __table_args__ = (UniqueConstraint("case_id", "kind", "version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mediation_cases.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # agreement | statement
    version: Mapped[int] = mapped_column(Integer)
    video_session: Mapped[str | None] = mapped_column(String(32), nullable=True)
    text: Mapped[str] = mapped_column(Text)
    text_sha256: Mapped[str] = mapped_column(String(64))
    draft_sha256: Mapped[str] = mapped_column(String(64))  # the unsigned PDF
    draft_size: Mapped[int] = mapped_column(Integer)
    current_sha256: Mapped[str] = mapped_column(String(64))  # the PDF as signed so far
    signers: Mapped[list[Any]] = mapped_column(JSON)  # signer keys, any order
    closers: Mapped[list[Any]] = mapped_column(JSON)  # then these, in order
    state: Mapped[str] = mapped_column(String(16))  # signing | sealed | void
    created_by: Mapped[str] = mapped_column(String(64))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


class CaseSignature(Base):
    __tablename__ = "mediation_signatures"
    __table_args__ = (UniqueConstraint("document_id", "signer"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    document_id: Mapped[int] = mapped_column(ForeignKey("mediation_documents.id"), index=True)
    signer: Mapped[str] = mapped_column(String(40))  # "p:<participant id>" | mediator | seal
    text_sha256: Mapped[str] = mapped_column(String(64))
    before_sha256: Mapped[str] = mapped_column(String(64))
    after_sha256: Mapped[str] = mapped_column(String(64))
    consent: Mapped[dict[str, Any] | None] = mapped_column(JSON, nullable=True)
    face_decision: Mapped[str | None] = mapped_column(Text, nullable=True)  # the node's, signed
    signed_by: Mapped[str] = mapped_column(String(120))
    signed_at: Mapped[datetime] = mapped_column(UTCDateTime)


class SignedPackage(Base):
    """A judicial-confirmation package as built and handed out (the archive is in the store)."""

    __tablename__ = "mediation_packages"

    id: Mapped[int] = mapped_column(primary_key=True)
    case_id: Mapped[int] = mapped_column(ForeignKey("mediation_cases.id"), index=True)
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    tree_size: Mapped[int] = mapped_column(Integer)
    built_by: Mapped[str] = mapped_column(String(64))
    built_at: Mapped[datetime] = mapped_column(UTCDateTime)
