"""In-session events, each appended to the session's log with time and sent to every member.

Members post them on their signalling socket (or the data channel) and receive them on the
socket, in order; a member back on a new socket asks for those after the last it holds.

Events: show a document page, request a signature, a consent prompt and its answer, a caption.
The log is the session's own record; a ``sink`` lets the service also write each entry to its
database (the hub's audit trail) as it happens.
"""

from __future__ import annotations

import json
from collections.abc import Awaitable, Callable
from dataclasses import dataclass, field
from datetime import datetime
from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from media.clock import Clock
from media.errors import N_, MediaError

__all__ = [
    "MAX_EVENT_BYTES",
    "MAY_POST",
    "Caption",
    "ConsentAnswer",
    "ConsentPrompt",
    "EventLog",
    "EventRefused",
    "LoggedEvent",
    "RequestSignature",
    "SegmentClosed",
    "SessionEvent",
    "ShowPage",
    "check_may_post",
    "parse_event",
]

MAX_EVENT_BYTES = 8 * 1024


class EventRefused(MediaError):
    status = 400


class _Event(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class ShowPage(_Event):
    kind: Literal["show_page"]
    document_id: str = Field(min_length=1, max_length=64)
    page: int = Field(ge=1, le=10_000)


class RequestSignature(_Event):
    kind: Literal["request_signature"]
    document_id: str = Field(min_length=1, max_length=64)
    signer: str = Field(min_length=1, max_length=120)


class ConsentPrompt(_Event):
    kind: Literal["consent_prompt"]
    prompt_id: str = Field(min_length=1, max_length=64)
    text: str = Field(min_length=1, max_length=2000)


class ConsentAnswer(_Event):
    kind: Literal["consent_answer"]
    prompt_id: str = Field(min_length=1, max_length=64)
    given: bool


class Caption(_Event):
    kind: Literal["caption"]
    text: str = Field(min_length=1, max_length=2000)
    lang: Literal["zh", "en", "it"]


class SegmentClosed(_Event):
    """The branch node closed a segment of its own recording: the hub keeps its hash in the
    session's sealed log, so the branch's manifest can later be checked against it."""

    kind: Literal["segment_closed"]
    index: int = Field(ge=0, le=100_000)
    sha256: str = Field(pattern=r"^[0-9a-f]{64}$")
    tracks: list[str] = Field(max_length=16)


_Any = ShowPage | RequestSignature | ConsentPrompt | ConsentAnswer | Caption | SegmentClosed
SessionEvent = Annotated[_Any, Field(discriminator="kind")]
_EVENT: TypeAdapter[_Any] = TypeAdapter(SessionEvent)


# Who may post which event kind into a session's sealed log. Staff lead the session: they show
# pages, ask for signatures and consent; residents (and the branch node carrying its kiosk)
# answer consent prompts; everyone may caption what they say.
STAFF = frozenset({"notary", "mediator", "officer"})
ANSWERING = frozenset({"resident", "node"})
MAY_POST: dict[str, frozenset[str]] = {
    "show_page": STAFF,
    "request_signature": frozenset({"notary", "mediator"}),
    "consent_prompt": STAFF,
    "consent_answer": ANSWERING,
    "caption": STAFF | ANSWERING,
    "segment_closed": frozenset({"node"}),  # only a branch node announces its own recording
}


def check_may_post(role: str, event: BaseModel) -> None:
    """Refuse an event a member of ``role`` may not post (the table above)."""
    kind = str(getattr(event, "kind", ""))
    if role not in MAY_POST.get(kind, frozenset()):
        raise EventRefused(
            "media.event_not_allowed",
            N_("Your role in this session may not post this event."),
            status=403,
            params={"kind": kind},
        )


def parse_event(raw: str | bytes) -> _Any:
    """One data-channel message as an event, or :class:`EventRefused`."""
    if len(raw) > MAX_EVENT_BYTES:
        raise EventRefused("media.event_too_large", N_("The event is too large."))
    try:
        return _EVENT.validate_python(json.loads(raw))
    except (ValueError, ValidationError):
        raise EventRefused("media.event_invalid", N_("The event is not valid.")) from None


@dataclass(frozen=True)
class LoggedEvent:
    seq: int
    at: datetime
    participant: str
    kind: str
    payload: dict[str, Any]

    def as_json(self) -> dict[str, Any]:
        return {
            "seq": self.seq,
            "at": self.at.isoformat(),
            "participant": self.participant,
            "kind": self.kind,
            "payload": self.payload,
        }


Sink = Callable[[LoggedEvent], Awaitable[None]]


@dataclass
class EventLog:
    """The session's event log, in order; ``sink`` receives each entry after it is appended."""

    session_id: str
    clock: Clock
    sink: Sink | None = None
    entries: list[LoggedEvent] = field(default_factory=list)

    async def append(self, participant: str, event: BaseModel) -> LoggedEvent:
        payload = event.model_dump(mode="json")
        kind = str(payload.pop("kind"))
        entry = LoggedEvent(len(self.entries) + 1, self.clock.now(), participant, kind, payload)
        self.entries.append(entry)
        if self.sink is not None:
            await self.sink(entry)
        return entry
