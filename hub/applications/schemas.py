"""What the application API reads: the resident an application is for."""

from __future__ import annotations

from zoneinfo import available_timezones

from pydantic import BaseModel, Field, field_validator

from common.names import PersonName

__all__ = ["ResidentIn"]

_ZONES = available_timezones()


class ResidentIn(BaseModel):
    name: PersonName
    document: str = Field(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9-]+$")
    country: str = Field(pattern=r"^[A-Z]{2}$")
    zone: str = "Europe/Rome"
    lang: str = Field(default="zh", pattern=r"^(zh|en|it)$")

    @field_validator("zone")
    @classmethod
    def _zone(cls, value: str) -> str:
        if value not in _ZONES:
            raise ValueError("not an IANA time zone")
        return value
