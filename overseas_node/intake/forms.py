"""The clerk's forms, checked on the server field by field, each error in the viewer's words.

Pydantic says what is wrong; the message shown is ours, one per field, so an Italian page never
shows "Field required" in English."""

from __future__ import annotations

from collections.abc import Mapping
from datetime import date

from pydantic import BaseModel, Field, ValidationError

from common.errors import N_

__all__ = ["FIELD_MESSAGES", "ResidentForm", "parse_due", "parse_resident"]

FIELD_MESSAGES: Mapping[str, str] = {
    "item_code": N_("Choose a service item from the catalogue."),
    "name": N_("Enter the resident's name (up to 120 characters)."),
    "document": N_("Enter the passport number: 3 to 40 letters, digits or hyphens."),
    "country": N_("Enter the country of residence as two capital letters, e.g. IT."),
    "lang": N_("Choose the resident's language."),
}


class ResidentForm(BaseModel):
    item_code: str = Field(pattern=r"^[A-Z]{2}-\d{3}$")
    name: str = Field(min_length=1, max_length=120)
    document: str = Field(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9-]+$")
    country: str = Field(pattern=r"^[A-Z]{2}$")
    lang: str = Field(pattern=r"^(zh|en|it)$")


def parse_resident(form: Mapping[str, str]) -> tuple[ResidentForm | None, dict[str, str]]:
    """The form's values, or None with a message id for each wrong field."""
    values = {name: str(form.get(name, "")).strip() for name in FIELD_MESSAGES}
    try:
        return ResidentForm.model_validate(values), {}
    except ValidationError as exc:
        wrong = {str(e["loc"][0]) for e in exc.errors() if e["loc"]}
        return None, {name: FIELD_MESSAGES[name] for name in FIELD_MESSAGES if name in wrong}


def parse_due(raw: str) -> date | None:
    """The promised date from an <input type=date>, None when empty or not a date."""
    try:
        return date.fromisoformat(raw.strip()) if raw.strip() else None
    except ValueError:
        return None
