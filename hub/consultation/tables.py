"""Tables of consultations: the consultant roster, the consultations, the knowledge base."""

from __future__ import annotations

from datetime import date, datetime

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from common.db import UTCDateTime
from hub.db import Base

__all__ = ["Consultant", "Consultation", "KbEntry"]


class Consultant(Base):
    """One person on the roster: a lawyer of the legal advisory committee or a hub officer."""

    __tablename__ = "consultants"

    username: Mapped[str] = mapped_column(ForeignKey("staff.username"), primary_key=True)
    kind: Mapped[str] = mapped_column(String(16))  # lawyer | officer
    affiliation_zh: Mapped[str] = mapped_column(String(120))
    affiliation_en: Mapped[str] = mapped_column(String(120))
    topics: Mapped[list[str]] = mapped_column(JSON)
    languages: Mapped[list[str]] = mapped_column(JSON)
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Consultation(Base):
    __tablename__ = "consultations"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    query_code_hash: Mapped[str] = mapped_column(String(64))
    booking_reference: Mapped[str] = mapped_column(String(16), unique=True)
    branch: Mapped[str] = mapped_column(String(16), index=True)
    topic: Mapped[str] = mapped_column(String(24), index=True)
    consultant: Mapped[str] = mapped_column(String(64), index=True)
    resident_name: Mapped[str] = mapped_column(String(120))
    resident_document: Mapped[str] = mapped_column(String(40))
    resident_contact: Mapped[str] = mapped_column(String(200))
    resident_country: Mapped[str] = mapped_column(String(2))
    resident_lang: Mapped[str] = mapped_column(String(2))
    question: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(16), index=True)
    booked_at: Mapped[datetime] = mapped_column(UTCDateTime)
    video_session_id: Mapped[str | None] = mapped_column(String(32), nullable=True)
    opened_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    held_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    answer: Mapped[dict[str, str] | None] = mapped_column(JSON, nullable=True)
    answered_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    rating: Mapped[int | None] = mapped_column(Integer, nullable=True)
    rating_comment: Mapped[str | None] = mapped_column(Text, nullable=True)
    rated_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class KbEntry(Base):
    """A frequent question and its answer, public and anonymous: no trace of the resident."""

    __tablename__ = "kb_entries"

    id: Mapped[int] = mapped_column(primary_key=True)
    consultation_id: Mapped[int] = mapped_column(ForeignKey("consultations.id"), unique=True)
    topic: Mapped[str] = mapped_column(String(24), index=True)
    question: Mapped[dict[str, str]] = mapped_column(JSON)
    answer: Mapped[dict[str, str]] = mapped_column(JSON)
    consultant: Mapped[str] = mapped_column(String(64))
    consultant_name: Mapped[str] = mapped_column(String(120))
    answered_on: Mapped[date] = mapped_column(Date)
    published_by: Mapped[str] = mapped_column(String(64))
    published_at: Mapped[datetime] = mapped_column(UTCDateTime, index=True)
