"""Sealed messages between node and hub: encrypted to the recipient, signed by the sender.

Encryption: an ephemeral X25519 key agreement with the recipient's X25519 key, HKDF-SHA256
(salt = ephemeral public key || recipient public key) to a 256-bit key, AES-256-GCM with the
whole header as associated data. The sender's Ed25519 signature covers header and ciphertext,
so who sent it, to whom, when and which message id are all bound.

Format, version 1 (big-endian)::

    b"QLSEAL" | u8 version=1 | u8 len | sender | u8 len | recipient | u8 len | kind
              | u64 sent_at (ms since epoch, UTC) | message_id(16) | ephemeral_pub(32)
              | nonce(12) | u32 len | ciphertext+tag | signature(64)

A recipient refuses a message outside the time window or whose (sender, message id) it has
already seen (the replay store remembers ids until the window has passed).
"""

from __future__ import annotations

import os
import struct
from collections.abc import Mapping
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta
from typing import Protocol

from cryptography.hazmat.primitives import hashes, serialization
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey, X25519PublicKey
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from signing.envelope import aead_open, aead_seal
from signing.errors import N_, Conflict, Forbidden, Invalid
from signing.primitives import ed25519_sign, ed25519_verify

__all__ = [
    "SEALED_VERSION",
    "InMemoryReplayStore",
    "OpenedMessage",
    "ReplayStore",
    "open_sealed",
    "seal",
]

SEALED_VERSION = 1
_MAGIC = b"QLSEAL"
_INFO = b"qiaolink sealed message v1"


class ReplayStore(Protocol):
    """Remembers message ids; a database adapter inserts into a table with a unique key on
    (sender, message_id) and returns False on the unique violation."""

    async def remember(
        self, sender: str, message_id: bytes, *, now: datetime, until: datetime
    ) -> bool: ...


class InMemoryReplayStore:
    def __init__(self) -> None:
        self._seen: dict[tuple[str, bytes], datetime] = {}

    async def remember(
        self, sender: str, message_id: bytes, *, now: datetime, until: datetime
    ) -> bool:
        self._seen = {k: v for k, v in self._seen.items() if v >= now}
        if (sender, message_id) in self._seen:
            return False
        self._seen[(sender, message_id)] = until
        return True


@dataclass(frozen=True)
class OpenedMessage:
    sender: str
    recipient: str
    kind: str
    sent_at: datetime
    message_id: bytes
    plaintext: bytes


def _raw(key: X25519PublicKey) -> bytes:
    return key.public_bytes(serialization.Encoding.Raw, serialization.PublicFormat.Raw)


def _derive(shared: bytes, eph_pub: bytes, recipient_pub: bytes) -> bytes:
    hkdf = HKDF(algorithm=hashes.SHA256(), length=32, salt=eph_pub + recipient_pub, info=_INFO)
    return hkdf.derive(shared)


def _short(text: str) -> bytes:
    raw = text.encode()
    if len(raw) > 255:
        raise ValueError("names in a sealed message are at most 255 bytes")
    return bytes([len(raw)]) + raw


def seal(
    plaintext: bytes,
    *,
    sender: str,
    sender_key: Ed25519PrivateKey,
    recipient: str,
    recipient_key: X25519PublicKey,
    kind: str,
    at: datetime,
) -> bytes:
    if at.tzinfo is None:
        raise ValueError("times are timezone-aware")
    ephemeral = X25519PrivateKey.generate()
    eph_pub, rcpt_pub = _raw(ephemeral.public_key()), _raw(recipient_key)
    key = _derive(ephemeral.exchange(recipient_key), eph_pub, rcpt_pub)
    nonce = os.urandom(12)
    header = (
        _MAGIC
        + bytes([SEALED_VERSION])
        + _short(sender)
        + _short(recipient)
        + _short(kind)
        + struct.pack(">Q", int(at.timestamp() * 1000))
        + os.urandom(16)
        + eph_pub
        + nonce
    )
    body = aead_seal(key, nonce, plaintext, header)
    signed = header + struct.pack(">I", len(body)) + body
    return signed + ed25519_sign(sender_key, signed)


@dataclass(frozen=True)
class _Parsed:
    sender: str
    recipient: str
    kind: str
    sent_at: datetime
    message_id: bytes
    eph_pub: bytes
    nonce: bytes
    header: bytes
    body: bytes
    signed: bytes
    signature: bytes


def _malformed() -> Invalid:
    return Invalid("sealed.malformed", N_("The sealed message is malformed."))


def _parse(blob: bytes) -> _Parsed:
    if blob[:6] != _MAGIC or len(blob) < 7:
        raise _malformed()
    if blob[6] != SEALED_VERSION:
        raise Invalid(
            "sealed.version",
            N_("This sealed message uses format version {version}, which is not supported."),
            params={"version": blob[6]},
        )
    try:
        pos, names = 7, []
        for _ in range(3):
            n = blob[pos]
            names.append(blob[pos + 1 : pos + 1 + n].decode())
            pos += 1 + n
        (millis,) = struct.unpack_from(">Q", blob, pos)
        message_id, eph_pub, nonce = (
            blob[pos + 8 : pos + 24],
            blob[pos + 24 : pos + 56],
            blob[pos + 56 : pos + 68],
        )
        header = blob[: pos + 68]
        (body_len,) = struct.unpack_from(">I", blob, pos + 68)
    except (IndexError, struct.error, UnicodeDecodeError):
        raise _malformed() from None
    start = pos + 72
    body, signature = blob[start : start + body_len], blob[start + body_len :]
    if len(body) != body_len or len(signature) != 64:
        raise _malformed()
    sent_at = datetime.fromtimestamp(millis / 1000, UTC)
    return _Parsed(
        names[0],
        names[1],
        names[2],
        sent_at,
        message_id,
        eph_pub,
        nonce,
        header,
        body,
        blob[: start + body_len],
        signature,
    )


async def open_sealed(
    blob: bytes,
    *,
    recipient: str,
    recipient_key: X25519PrivateKey,
    sender_keys: Mapping[str, Ed25519PublicKey],
    replays: ReplayStore,
    at: datetime,
    window: timedelta = timedelta(minutes=5),
) -> OpenedMessage:
    """Check signature, addressee, time window and replay; then decrypt."""
    msg = _parse(blob)
    sender_key = sender_keys.get(msg.sender)
    if sender_key is None or not ed25519_verify(sender_key, msg.signed, msg.signature):
        raise Forbidden(
            "sealed.bad_signature", N_("The sealed message is not signed by its sender.")
        )
    if msg.recipient != recipient:
        raise Forbidden("sealed.not_for_us", N_("The sealed message is addressed to someone else."))
    if abs(at - msg.sent_at) > window:
        raise Conflict("sealed.stale", N_("The sealed message is too old or from the future."))
    shared = recipient_key.exchange(X25519PublicKey.from_public_bytes(msg.eph_pub))
    key = _derive(shared, msg.eph_pub, _raw(recipient_key.public_key()))
    plaintext = aead_open(key, msg.nonce, msg.body, msg.header)
    if not await replays.remember(msg.sender, msg.message_id, now=at, until=msg.sent_at + window):
        raise Conflict("sealed.replayed", N_("This sealed message was already received."))
    return OpenedMessage(
        msg.sender, msg.recipient, msg.kind, msg.sent_at, msg.message_id, plaintext
    )
