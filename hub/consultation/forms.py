"""The bodies of consultation requests: what a resident or a consultant sends."""

from __future__ import annotations

from pydantic import AwareDatetime, BaseModel, ConfigDict, Field

from common.names import PersonName
from hub.consultation.model import LANGS, MAX_TEXT, Topic

__all__ = ["AnswerForm", "BookingForm", "PublishForm", "RatingForm", "Texts"]


class BookingForm(BaseModel):
    branch: str = Field(default="MIL", pattern=r"^[A-Z]{2,8}$")
    topic: Topic
    staff: str = Field(min_length=1, max_length=64)
    room: str = Field(min_length=1, max_length=32)
    start: AwareDatetime
    name: PersonName
    document: str = Field(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9-]+$")
    contact: str = Field(min_length=3, max_length=200)
    country: str = Field(pattern=r"^[A-Z]{2}$")
    lang: str = Field(default="zh", pattern=r"^(zh|en|it)$")
    zone: str = Field(min_length=1, max_length=64)
    question: str = Field(min_length=10, max_length=5000)


class Texts(BaseModel):
    """One text in Chinese (required) and, if the author wrote them, Italian and English."""

    model_config = ConfigDict(extra="forbid")
    zh: str = Field(default="", max_length=MAX_TEXT)
    en: str = Field(default="", max_length=MAX_TEXT)
    it: str = Field(default="", max_length=MAX_TEXT)

    def as_dict(self) -> dict[str, str]:
        return {lang: getattr(self, lang) for lang in LANGS}


class AnswerForm(BaseModel):
    answer: Texts


class PublishForm(BaseModel):
    question: Texts
    answer: Texts | None = None  # the consultation's own answer when left out


class RatingForm(BaseModel):
    level: int
    comment: str = Field(default="", max_length=2000)
