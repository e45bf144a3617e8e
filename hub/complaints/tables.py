"""Tables of complaints and petitions and the documents that go with them."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import JSON, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from common.db import UTCDateTime
from hub.db import Base

__all__ = ["Complaint", "ComplaintDocument"]


class Complaint(Base):
    __tablename__ = "complaints"

    id: Mapped[int] = mapped_column(primary_key=True)
    number: Mapped[str] = mapped_column(String(32), unique=True)
    query_code_hash: Mapped[str] = mapped_column(String(64))
    kind: Mapped[str] = mapped_column(String(16))  # complaint | petition
    branch: Mapped[str] = mapped_column(String(16), index=True)
    lodged_by: Mapped[str] = mapped_column(String(64))
    complainant_name: Mapped[str] = mapped_column(String(120))
    complainant_document: Mapped[str] = mapped_column(String(40))
    complainant_contact: Mapped[str] = mapped_column(String(120))
    complainant_country: Mapped[str] = mapped_column(String(2))
    complainant_lang: Mapped[str] = mapped_column(String(2))
    facts: Mapped[str] = mapped_column(Text)
    request: Mapped[str] = mapped_column(Text)
    state: Mapped[str] = mapped_column(String(20), index=True)
    lodged_at: Mapped[datetime] = mapped_column(UTCDateTime)
    decided_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    decided_by: Mapped[str | None] = mapped_column(String(64), nullable=True)
    department: Mapped[str | None] = mapped_column(String(32), nullable=True)
    handler: Mapped[str | None] = mapped_column(String(64), nullable=True)
    refusal_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    extended_days: Mapped[int] = mapped_column(Integer, default=0)
    extension_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    replied_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    review_requested_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)
    review_reason: Mapped[str | None] = mapped_column(Text, nullable=True)
    reviewed_at: Mapped[datetime | None] = mapped_column(UTCDateTime, nullable=True)


class ComplaintDocument(Base):
    """An attachment the resident brought, or a signed reply / review answer of the hub."""

    __tablename__ = "complaint_documents"

    id: Mapped[int] = mapped_column(primary_key=True)
    complaint_id: Mapped[int] = mapped_column(ForeignKey("complaints.id"), index=True)
    kind: Mapped[str] = mapped_column(String(16))  # attachment | reply | review_answer
    display_name: Mapped[str] = mapped_column(String(120))
    content_type: Mapped[str] = mapped_column(String(40))
    sha256: Mapped[str] = mapped_column(String(64))
    size: Mapped[int] = mapped_column(Integer)
    signers: Mapped[list[str]] = mapped_column(JSON)
    recorded_by: Mapped[str] = mapped_column(String(64))
    recorded_at: Mapped[datetime] = mapped_column(UTCDateTime)
