"""What each reader sees of a complaint, and the lodging form read from multipart."""

from __future__ import annotations

from datetime import date
from typing import Any

from aiohttp import web
from pydantic import BaseModel, Field, ValidationError

from common.access import Principal
from common.errors import N_, Invalid
from common.names import PersonName
from common.uploads import Upload, inspect_upload, read_multipart
from hub.complaints.model import (
    ANSWER_DAYS,
    DECIDE_DAYS,
    EXTENSION_MAX_DAYS,
    REVIEW_ANSWER_DAYS,
    REVIEW_REQUEST_DAYS,
    running_deadline,
    urgency,
)
from hub.complaints.service import handles, timeline
from hub.complaints.tables import Complaint, ComplaintDocument

__all__ = ["RULES", "LodgingForm", "progress_view", "read_lodging", "staff_view"]

REDACTED = "***"
MAX_ATTACHMENTS = 10
RULES = {
    "days": "calendar",
    "decide": DECIDE_DAYS,
    "answer": ANSWER_DAYS,
    "extension_max": EXTENSION_MAX_DAYS,
    "review_request": REVIEW_REQUEST_DAYS,
    "review_answer": REVIEW_ANSWER_DAYS,
}


class LodgingForm(BaseModel):
    kind: str = Field(default="complaint", pattern=r"^(complaint|petition)$")
    name: PersonName
    document: str = Field(min_length=3, max_length=40, pattern=r"^[A-Za-z0-9-]+$")
    contact: str = Field(min_length=3, max_length=120)
    country: str = Field(pattern=r"^[A-Z]{2}$")
    lang: str = Field(default="zh", pattern=r"^(zh|en|it)$")
    facts: str = Field(min_length=10, max_length=20000)
    request: str = Field(min_length=3, max_length=5000)
    branch: str | None = Field(default=None, pattern=r"^[A-Z]{2,8}$")


async def read_lodging(request: web.Request) -> tuple[LodgingForm, list[Upload]]:
    """Fields and attachments of a lodging; every attachment is inspected before anything is
    stored, so one hostile file refuses the whole lodging."""
    parts = await read_multipart(
        request, text=LodgingForm.model_fields, files="attachment", text_limit=20000
    )
    fields, files = parts.fields, parts.files
    if len(files) > MAX_ATTACHMENTS:
        raise Invalid(
            "complaint.too_many_attachments",
            N_("At most {limit} attachments."),
            params={"limit": MAX_ATTACHMENTS},
        )
    try:
        form = LodgingForm.model_validate(fields)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(map(str, e["loc"])), "message": e["msg"]} for e in exc.errors()
        ]
        raise Invalid(
            "request.invalid", N_("Some fields are missing or invalid."), errors=errors
        ) from None
    return form, [inspect_upload(data, name) for data, name in files]


def _deadline(c: Complaint, today: date) -> dict[str, Any] | None:
    running = running_deadline(timeline(c))
    if running is None:
        return None
    return {
        "step": running.step,
        "due": running.due.isoformat(),
        "days_left": (running.due - today).days,
        "urgency": urgency(running.due, today),
    }


def _docs(docs: list[ComplaintDocument]) -> list[dict[str, Any]]:
    return [
        {
            "id": d.id,
            "kind": d.kind,
            "name": d.display_name,
            "sha256": d.sha256,
            "signers": d.signers,
        }
        for d in docs
    ]


def progress_view(c: Complaint, docs: list[ComplaintDocument], today: date) -> dict[str, Any]:
    """What the holder of number and query code sees."""
    t = timeline(c)
    return {
        "number": c.number,
        "kind": c.kind,
        "state": c.state,
        "lodged_on": t.lodged.isoformat(),
        "decide_by": t.decide_by.isoformat(),
        "answer_by": t.answer_by.isoformat() if t.answer_by else None,
        "extended_days": c.extended_days,
        "extension_reason": c.extension_reason,
        "refusal_reason": c.refusal_reason,
        "department": c.department,
        "review_request_by": t.review_request_by.isoformat() if t.review_request_by else None,
        "review_answer_by": t.review_answer_by.isoformat() if t.review_answer_by else None,
        "deadline": _deadline(c, today),
        "documents": [d for d in _docs(docs) if d["kind"] != "attachment"],
        "rules": RULES,
    }


def staff_view(
    c: Complaint, docs: list[ComplaintDocument], principal: Principal, today: date
) -> dict[str, Any]:
    """The full record for staff; the complainant's identity only for those handling it."""
    sees = handles(c, principal)
    view = progress_view(c, docs, today)
    view.update(
        {
            "branch": c.branch,
            "facts": c.facts,
            "request": c.request,
            "handler": c.handler,
            "decided_by": c.decided_by,
            "review_reason": c.review_reason,
            "documents": _docs(docs),
            "identity_visible": sees,
            "complainant": {
                "name": c.complainant_name if sees else REDACTED,
                "document": c.complainant_document if sees else REDACTED,
                "contact": c.complainant_contact if sees else REDACTED,
                "country": c.complainant_country,
                "lang": c.complainant_lang,
            },
        }
    )
    return view
