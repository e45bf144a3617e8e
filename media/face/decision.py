"""The verification decision: what was decided, on which evidence, signed by the deciding node.

A decision is canonically encoded (sorted-key JSON carrying ``"v"``) and signed with Ed25519 by
a :class:`Signer`, so the hub can keep it as evidence without trusting the transport. The
``Signer`` protocol is small on purpose: the signing library's key store plugs in later.
Frames are named by their SHA-256; a :class:`FrameLedger` remembers every hash an attempt used,
and an attempt that brings a frame an earlier attempt used is a replay.
"""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Mapping, Sequence
from dataclasses import asdict, dataclass, field
from enum import StrEnum
from typing import Any, Protocol

from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

__all__ = [
    "DECISION_VERSION",
    "DecisionCheck",
    "Ed25519Signer",
    "FrameLedger",
    "MatchResult",
    "MatchStatus",
    "SignedDecision",
    "Signer",
    "VerificationDecision",
    "frame_hash",
    "key_id_of",
    "match_decision",
    "sign_decision",
    "verify_decision",
]

DECISION_VERSION = 2  # 2 adds ``checks``; a decision without them still encodes as version 1
CONTEXT = b"qiaolink/identity-decision\n"  # keeps these signatures from meaning anything else


class MatchStatus(StrEnum):
    MATCH = "match"
    NO_MATCH = "no_match"
    FACE_CHANGED = "face_changed"  # the first frames match, a later one does not
    NO_ENCODING = "no_encoding"


@dataclass(frozen=True)
class MatchResult:
    status: MatchStatus
    distance: float | None  # the largest distance among the frames compared


def match_decision(distances: Mapping[int, float], threshold: float) -> MatchResult:
    """Every encoded frame must be within ``threshold`` of the enrolled template."""
    if not distances:
        return MatchResult(MatchStatus.NO_ENCODING, None)
    worst = round(max(distances.values()), 6)
    if worst <= threshold:
        return MatchResult(MatchStatus.MATCH, worst)
    first = distances[min(distances)]
    status = MatchStatus.FACE_CHANGED if first <= threshold else MatchStatus.NO_MATCH
    return MatchResult(status, worst)


def frame_hash(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


@dataclass(frozen=True)
class VerificationDecision:
    """One decision per attempt; times are ISO 8601 in UTC."""

    attempt_id: str
    resident_id: str
    branch: str
    accepted: bool
    reason: str  # "accepted", or the liveness / match / replay status that refused
    distance: float | None
    threshold: float
    challenge: tuple[str, ...]
    steps: tuple[Mapping[str, Any], ...]  # action, frame, t_ms, measure
    issued_at: str
    received_at: str
    decided_at: str
    frames_span_ms: int
    processing_ms: int
    frame_hashes: tuple[str, ...]
    encoded_frames: tuple[int, ...]
    model: str
    # each check's measured value and limit (presentation, replay, ...), like the distance
    checks: Mapping[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        doc = asdict(self)
        doc["challenge"] = list(self.challenge)
        doc["steps"] = [dict(s) for s in self.steps]
        doc["frame_hashes"] = list(self.frame_hashes)
        doc["encoded_frames"] = list(self.encoded_frames)
        doc["v"] = DECISION_VERSION
        if not self.checks:  # the bytes that version-1 signatures cover
            del doc["checks"]
            doc["v"] = 1
        else:
            doc["checks"] = _plain(self.checks)
        return doc

    def canonical(self) -> bytes:
        return json.dumps(
            self.to_dict(), sort_keys=True, separators=(",", ":"), ensure_ascii=False
        ).encode()

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> VerificationDecision:
        if doc.get("v") not in (1, DECISION_VERSION):
            raise ValueError(f"unknown decision version {doc.get('v')!r}")
        fields = {k: v for k, v in doc.items() if k != "v"}
        for name in ("challenge", "frame_hashes", "encoded_frames"):
            fields[name] = tuple(fields[name])
        fields["steps"] = tuple(dict(s) for s in fields["steps"])
        fields["checks"] = dict(fields.get("checks") or {})
        return cls(**fields)


def _plain(value: Any) -> Any:
    """JSON values as every client re-encodes them: a float with no fraction becomes an integer
    (a browser writes 3.0 as 3), so the signed bytes survive a round trip through JavaScript."""
    if isinstance(value, Mapping):
        return {str(k): _plain(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_plain(v) for v in value]
    if isinstance(value, float) and value.is_integer():
        return int(value)
    return value


class Signer(Protocol):
    """Whatever holds the deciding service's key."""

    @property
    def key_id(self) -> str: ...

    def sign(self, data: bytes) -> bytes: ...


def key_id_of(public_key: Ed25519PublicKey) -> str:
    raw = public_key.public_bytes(Encoding.Raw, PublicFormat.Raw)
    return "ed25519:" + hashlib.sha256(raw).hexdigest()[:16]


@dataclass(frozen=True)
class Ed25519Signer:
    private_key: Ed25519PrivateKey = field(repr=False)

    @property
    def key_id(self) -> str:
        return key_id_of(self.private_key.public_key())

    def sign(self, data: bytes) -> bytes:
        return self.private_key.sign(data)


@dataclass(frozen=True)
class SignedDecision:
    decision: VerificationDecision
    key_id: str
    signature: bytes

    def to_dict(self) -> dict[str, Any]:
        return {
            "decision": self.decision.to_dict(),
            "key_id": self.key_id,
            "signature": base64.b64encode(self.signature).decode(),
        }

    @classmethod
    def from_dict(cls, doc: Mapping[str, Any]) -> SignedDecision:
        return cls(
            VerificationDecision.from_dict(doc["decision"]),
            str(doc["key_id"]),
            base64.b64decode(doc["signature"], validate=True),
        )


def sign_decision(decision: VerificationDecision, signer: Signer) -> SignedDecision:
    return SignedDecision(decision, signer.key_id, signer.sign(CONTEXT + decision.canonical()))


@dataclass(frozen=True)
class DecisionCheck:
    """``intact``: the signature covers these exact bytes; ``trusted``: by the expected key."""

    intact: bool
    trusted: bool
    reason: str


def verify_decision(signed: SignedDecision, public_key: Ed25519PublicKey) -> DecisionCheck:
    try:
        public_key.verify(signed.signature, CONTEXT + signed.decision.canonical())
    except InvalidSignature:
        return DecisionCheck(False, False, "bad_signature")
    if signed.key_id != key_id_of(public_key):
        return DecisionCheck(True, False, "unknown_key")
    return DecisionCheck(True, True, "ok")


class FrameLedger(Protocol):
    """Remembers which frame hashes each attempt used."""

    async def claim(self, attempt_id: str, hashes: Sequence[str]) -> frozenset[str]:
        """Record ``hashes`` for ``attempt_id``; return those an earlier attempt already used."""
        ...
