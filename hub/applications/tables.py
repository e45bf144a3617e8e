from __future__ import annotations

from datetime import date, datetime
from typing import Any

from sqlalchemy import JSON, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from common.db import UTCDateTime
from hub.db import Base


class Application(Base):
    __tablename__ = "applications"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    query_code_hash: Mapped[str] = mapped_column(String(64))
    item_code: Mapped[str] = mapped_column(String(16), index=True)
    item_version: Mapped[int] = mapped_column(Integer)
    branch: Mapped[str] = mapped_column(String(16), index=True)
    owner: Mapped[str] = mapped_column(String(64))  # first-contact owner (首问负责)
    resident_name: Mapped[str] = mapped_column(String(120))
    resident_document: Mapped[str] = mapped_column(String(40))
    resident_country: Mapped[str] = mapped_column(String(2))
    resident_zone: Mapped[str] = mapped_column(String(64))
    resident_lang: Mapped[str] = mapped_column(String(2))
    state: Mapped[str] = mapped_column(String(16), index=True)
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)
    submitted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    accepted_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    deadline: Mapped[date | None] = mapped_column(Date, nullable=True, index=True)
    completed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ApplicationMaterial(Base):
    __tablename__ = "application_materials"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    material_code: Mapped[str] = mapped_column(String(40))
    status: Mapped[str] = mapped_column(String(16))  # held | pending | superseded
    trust: Mapped[str | None] = mapped_column(String(1), nullable=True)  # B | C
    display_name: Mapped[str | None] = mapped_column(String(120), nullable=True)
    content_type: Mapped[str | None] = mapped_column(String(40), nullable=True)
    sha256: Mapped[str | None] = mapped_column(String(64), nullable=True)
    size: Mapped[int | None] = mapped_column(Integer, nullable=True)
    checked_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    invalid_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    pending_due: Mapped[date | None] = mapped_column(Date, nullable=True)
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)


class ApplicationEvent(Base):
    __tablename__ = "application_events"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    actor: Mapped[str] = mapped_column(String(64))
    from_state: Mapped[str | None] = mapped_column(String(16), nullable=True)
    to_state: Mapped[str] = mapped_column(String(16))
    note: Mapped[dict[str, Any]] = mapped_column(JSON)


class DeficiencyNotice(Base):
    """The one notice (一次性告知) listing every missing or invalid material at once."""

    __tablename__ = "deficiency_notices"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), index=True)
    issued_at: Mapped[datetime] = mapped_column(UTCDateTime)
    issued_by: Mapped[str] = mapped_column(String(64))
    items: Mapped[list[dict[str, str]]] = mapped_column(JSON)
    resolved_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class Rating(Base):
    """好差评: one rating per completed application."""

    __tablename__ = "ratings"

    id: Mapped[int] = mapped_column(primary_key=True)
    application_id: Mapped[int] = mapped_column(ForeignKey("applications.id"), unique=True)
    level: Mapped[int] = mapped_column(Integer)
    comment: Mapped[str] = mapped_column(Text)
    at: Mapped[datetime] = mapped_column(UTCDateTime)
    follow_up: Mapped[str] = mapped_column(String(16))  # none | open | closed
