"""What each reader sees of a consultation or a knowledge-base entry."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from common.access import Principal, Role
from common.i18n import translate
from hub.consultation.model import TOPIC_LABELS, Topic, pick_text, steps_on_time
from hub.consultation.service import shown_state, timeline
from hub.consultation.tables import Consultation, KbEntry
from hub.schedules.model import zone_named
from hub.schedules.tables import Booking

__all__ = ["kb_view", "progress_view", "shown", "staff_view", "topic_label"]

REDACTED = "***"


def topic_label(topic: str, lang: str) -> str:
    return translate(lang, TOPIC_LABELS[Topic(topic)])


def shown(texts: dict[str, str] | None, lang: str) -> dict[str, Any] | None:
    """The text in ``lang`` when the author wrote it, else the Chinese original, flagged."""
    if not texts:
        return None
    pick = pick_text(texts, lang)
    return {"lang": pick.lang, "text": pick.text, "fallback": pick.fallback}


def _iso(value: datetime | None) -> str | None:
    return value.isoformat() if value is not None else None


def progress_view(
    c: Consultation, booking: Booking, consultant_name: str, *, lang: str, live: bool
) -> dict[str, Any]:
    """What the holder of number and query code sees, the answer in ``lang`` where it exists."""
    t = timeline(c, booking)
    state = shown_state(c, booking)
    resident_zone = zone_named(booking.resident_zone)
    return {
        "number": c.number,
        "topic": c.topic,
        "topic_label": topic_label(c.topic, lang),
        "state": state,
        "branch": c.branch,
        "booking_reference": c.booking_reference,
        "starts_at": booking.starts_at.isoformat(),
        "ends_at": booking.ends_at.isoformat(),
        "resident_local": booking.starts_at.astimezone(resident_zone).isoformat(),
        "consultant": {"username": c.consultant, "name": consultant_name},
        "question": c.question,
        "session_open": live and state == "booked",
        "answer": shown(c.answer, lang),
        "answer_languages": sorted(c.answer or {}),
        "answered_at": _iso(c.answered_at),
        "answer_by": t.answer_by.isoformat() if t.answer_by else None,
        "rating": c.rating,
        "rated_at": _iso(c.rated_at),
        "can_rate": state == "answered",
    }


def sees_identity(c: Consultation, principal: Principal) -> bool:
    return principal.subject == c.consultant or principal.role is Role.SUPERVISOR


def staff_view(
    c: Consultation, booking: Booking, consultant_name: str, principal: Principal, *, live: bool
) -> dict[str, Any]:
    """The full record for the consultant and supervisors; others see no resident identity."""
    view = progress_view(c, booking, consultant_name, lang="zh", live=live)
    sees = sees_identity(c, principal)
    t = timeline(c, booking)
    done, on_time = steps_on_time(t)
    view.update(
        {
            "answer_texts": c.answer,
            "rating_comment": c.rating_comment,
            "video_session_id": c.video_session_id,
            "opened_at": _iso(c.opened_at),
            "open_by": t.open_by.isoformat(),
            "held_at": _iso(c.held_at),
            "steps_done": done,
            "steps_on_time": on_time,
            "identity_visible": sees,
            "resident": {
                "name": c.resident_name if sees else REDACTED,
                "document": c.resident_document if sees else REDACTED,
                "contact": c.resident_contact if sees else REDACTED,
                "country": c.resident_country,
                "lang": c.resident_lang,
            },
        }
    )
    return view


def kb_view(entry: KbEntry, lang: str) -> dict[str, Any]:
    return {
        "id": entry.id,
        "url": f"/kb/{entry.id}",
        "topic": entry.topic,
        "topic_label": topic_label(entry.topic, lang),
        "question": shown(entry.question, lang),
        "answer": shown(entry.answer, lang),
        "languages": sorted(entry.answer),
        "consultant": entry.consultant_name,
        "answered_on": entry.answered_on.isoformat(),
    }
