from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from common.db import UTCDateTime
from hub.db import Base


class ServiceItem(Base):
    """One version of a service item's guide; applications keep the version they opened under."""

    __tablename__ = "service_items"
    __table_args__ = (UniqueConstraint("code", "version", name="uq_service_items_code_version"),)

    id: Mapped[int] = mapped_column(primary_key=True)
    code: Mapped[str] = mapped_column(String(16), index=True)
    version: Mapped[int] = mapped_column(Integer)
    current: Mapped[bool] = mapped_column(Boolean)
    category: Mapped[str] = mapped_column(String(32))
    name_zh: Mapped[str] = mapped_column(String(120))
    name_en: Mapped[str] = mapped_column(String(160))
    promised_days: Mapped[int] = mapped_column(Integer)
    statutory_days: Mapped[int] = mapped_column(Integer)
    guide: Mapped[dict[str, Any]] = mapped_column(JSON)
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
