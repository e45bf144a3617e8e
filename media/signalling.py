"""Signalling messages over the WebSocket: offer, answer, candidate, leave, event.

Every incoming message is parsed here before anything acts on it. Oversized text, bad JSON,
unknown types and malformed SDP are refused with :class:`SignallingRefused` (a stable code and an
English message), never an unhandled exception.
"""

from __future__ import annotations

import json
import re
from typing import Annotated, Any, Literal

from aiortc.sdp import SessionDescription
from pydantic import BaseModel, ConfigDict, Field, TypeAdapter, ValidationError

from media.errors import N_, MediaError
from media.events import SessionEvent

__all__ = [
    "MAX_MESSAGE_BYTES",
    "MAX_SDP_BYTES",
    "OFFER_UNUSABLE",
    "Answer",
    "Candidate",
    "ClientMessage",
    "EventMessage",
    "Leave",
    "Offer",
    "Resume",
    "SignallingRefused",
    "check_sdp",
    "encode",
    "parse_message",
]

MAX_MESSAGE_BYTES = 96 * 1024
MAX_SDP_BYTES = 64 * 1024
# An offer that parses but shares no codec with us (or with Janus).
OFFER_UNUSABLE = N_(
    "The video service cannot use this connection offer: it has no audio or video format in common."
)
_SDP_LINE = re.compile(r"^[a-z]=[^\x00-\x08\x0b-\x1f\x7f]*$")


class SignallingRefused(MediaError):
    """A signalling message that is not acted on; the socket stays open."""

    status = 400


class _Message(BaseModel):
    model_config = ConfigDict(extra="forbid", frozen=True)


class Offer(_Message):
    type: Literal["offer"]
    sdp: str = Field(max_length=MAX_SDP_BYTES)


class Answer(_Message):
    type: Literal["answer"]
    sdp: str = Field(max_length=MAX_SDP_BYTES)


class Candidate(_Message):
    type: Literal["candidate"]
    candidate: str = Field(max_length=1024)
    sdpMid: str | None = Field(default=None, max_length=64)
    sdpMLineIndex: int | None = Field(default=None, ge=0, le=64)


class Leave(_Message):
    type: Literal["leave"]


class EventMessage(_Message):
    type: Literal["event"]
    event: SessionEvent


class Resume(_Message):
    """A member back on a new socket: it holds the session's events up to ``since``."""

    type: Literal["resume"]
    since: int = Field(ge=0)


ClientMessage = Annotated[
    Offer | Answer | Candidate | Leave | EventMessage | Resume, Field(discriminator="type")
]
_CLIENT: TypeAdapter[Offer | Answer | Candidate | Leave | EventMessage | Resume] = TypeAdapter(
    ClientMessage
)


def check_sdp(sdp: str) -> str:
    """``sdp`` if it is a well-formed session description with media; else refuse it."""
    bad = SignallingRefused("media.sdp_malformed", N_("The session description is malformed."))
    if len(sdp.encode("utf-8")) > MAX_SDP_BYTES:
        raise bad
    lines = [line for line in sdp.replace("\r\n", "\n").split("\n") if line]
    if not lines or lines[0] != "v=0" or not all(_SDP_LINE.match(line) for line in lines):
        raise bad
    if not any(line.startswith("m=") for line in lines):
        raise bad
    try:
        parsed = SessionDescription.parse(sdp)
    except Exception:  # aiortc's parser raises whatever a bad line provokes
        raise bad from None
    if not parsed.media or not all(_connectable(m) for m in parsed.media):
        raise bad
    return sdp


def _connectable(media: Any) -> bool:
    """A media section a peer can connect with: ICE credentials and a DTLS fingerprint."""
    ice, dtls = media.ice, media.dtls
    return bool(
        ice is not None
        and ice.usernameFragment
        and ice.password
        and dtls is not None
        and dtls.fingerprints
    )


def parse_message(
    raw: str | bytes,
) -> Offer | Answer | Candidate | Leave | EventMessage | Resume:
    """One client message, validated, with any SDP checked."""
    size = len(raw) if isinstance(raw, bytes) else len(raw.encode("utf-8"))
    if size > MAX_MESSAGE_BYTES:
        raise SignallingRefused(
            "media.message_too_large",
            N_("The message is larger than {limit} bytes."),
            params={"limit": MAX_MESSAGE_BYTES},
        )
    try:
        data = json.loads(raw)
    except ValueError:
        raise SignallingRefused("media.message_not_json", N_("The message is not JSON.")) from None
    try:
        message = _CLIENT.validate_python(data)
    except ValidationError as exc:
        errors = [
            {"field": ".".join(str(p) for p in e["loc"]), "message": e["msg"]} for e in exc.errors()
        ]
        raise SignallingRefused(
            "media.message_invalid", N_("The message has missing or invalid fields."), errors=errors
        ) from None
    if isinstance(message, Offer | Answer):
        check_sdp(message.sdp)
    return message


def encode(kind: str, **fields: Any) -> str:
    """A server message: ``{"type": kind, ...}`` as compact JSON."""
    return json.dumps({"type": kind, **fields}, separators=(",", ":"), ensure_ascii=False)
