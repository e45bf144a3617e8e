"""Published calendar years; each publication of a year is a new version, older ones are kept."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import JSON, Boolean, Integer, String, UniqueConstraint
from sqlalchemy.orm import Mapped, mapped_column

from common.db import UTCDateTime
from hub.db import Base

__all__ = ["CalendarYear"]


class CalendarYear(Base):
    """One country's arrangement for one year, as the office published it."""

    __tablename__ = "calendar_years"
    __table_args__ = (
        UniqueConstraint("country", "year", "version", name="uq_calendar_years_version"),
    )

    id: Mapped[int] = mapped_column(primary_key=True)
    country: Mapped[str] = mapped_column(String(2))
    year: Mapped[int] = mapped_column(Integer)
    version: Mapped[int] = mapped_column(Integer)
    current: Mapped[bool] = mapped_column(Boolean)
    source: Mapped[str] = mapped_column(String(300))
    days: Mapped[dict[str, Any]] = mapped_column(JSON)  # {"days_off": [...], "working_days": [...]}
    published_at: Mapped[datetime] = mapped_column(UTCDateTime)
