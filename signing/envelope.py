"""Envelope encryption at rest: AES-256-GCM data keys wrapped by per-office key-encryption keys.

Every blob (a document, a recording, a face template) gets its own random 256-bit data key
(DEK). The data is encrypted once under the DEK; the DEK is wrapped (AES-256-GCM again) under
the office's current key-encryption key (KEK). Rotating the office's KEK re-wraps the DEK only:
the data section of the blob stays byte for byte the same. A retired KEK is kept for unwrapping.

Format, version 1 (all integers big-endian)::

    b"QLENV" | u8 version=1 | u8 len(kek_id) | kek_id (UTF-8)
             | u16 len(wrapped) | wrapped = nonce(12) || AESGCM(KEK, DEK, aad=wrap_aad)
             | data nonce(12) | AESGCM(DEK, plaintext, aad=data_aad)

``wrap_aad = b"QLENV/dek/1/" + kek_id``; ``data_aad = b"QLENV/data/1/" + context`` where
``context`` is the caller's binding (e.g. the document id), so a blob moved to another record
does not decrypt.
"""

from __future__ import annotations

import os
import struct
from dataclasses import dataclass, field

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from signing.errors import N_, Invalid, NotFound

__all__ = [
    "ENVELOPE_VERSION",
    "Envelope",
    "KekRing",
    "aead_open",
    "aead_seal",
    "decrypt",
    "encrypt",
    "parse",
    "rewrap",
]

ENVELOPE_VERSION = 1
_MAGIC = b"QLENV"
_NONCE = 12
_KEY = 32


@dataclass
class KekRing:
    """Per-office KEKs, by id ``"<office>/v<n>"``; one active per office, older ones retired."""

    keys: dict[str, bytes] = field(default_factory=dict)
    active: dict[str, str] = field(default_factory=dict)

    def add(self, office: str, key: bytes) -> str:
        if len(key) != _KEY:
            raise ValueError("a key-encryption key is 32 bytes")
        version = 1 + sum(1 for k in self.keys if k.rsplit("/v", 1)[0] == office)
        kek_id = f"{office}/v{version}"
        self.keys[kek_id] = key
        self.active[office] = kek_id
        return kek_id

    def rotate(self, office: str) -> str:
        """Make a fresh KEK the office's active one; the previous one is retired (still kept)."""
        return self.add(office, AESGCM.generate_key(bit_length=256))

    def active_id(self, office: str) -> str:
        try:
            return self.active[office]
        except KeyError:
            raise NotFound(
                "envelope.no_office_key",
                N_("No encryption key is set up for office {office}."),
                params={"office": office},
            ) from None

    def key(self, kek_id: str) -> bytes:
        try:
            return self.keys[kek_id]
        except KeyError:
            raise NotFound(
                "envelope.unknown_key",
                N_("The key {kek_id} that protects this data is not available."),
                params={"kek_id": kek_id},
            ) from None


@dataclass(frozen=True)
class Envelope:
    version: int
    kek_id: str
    wrapped_dek: bytes
    data_nonce: bytes
    ciphertext: bytes

    def header(self) -> bytes:
        kid = self.kek_id.encode()
        return (
            _MAGIC
            + struct.pack(">BB", self.version, len(kid))
            + kid
            + struct.pack(">H", len(self.wrapped_dek))
            + self.wrapped_dek
        )

    def data_section(self) -> bytes:
        return self.data_nonce + self.ciphertext

    def encode(self) -> bytes:
        return self.header() + self.data_section()


def _damaged() -> Invalid:
    return Invalid(
        "envelope.damaged",
        N_("The encrypted data is damaged or does not belong here."),
    )


def parse(blob: bytes) -> Envelope:
    """Split a blob into its parts; raise :class:`Invalid` on anything malformed."""
    try:
        if blob[:5] != _MAGIC:
            raise _damaged()
        version, kid_len = struct.unpack_from(">BB", blob, 5)
        if version != ENVELOPE_VERSION:
            raise Invalid(
                "envelope.version",
                N_("This encrypted data uses format version {version}, which is not supported."),
                params={"version": version},
            )
        pos = 7 + kid_len
        kek_id = blob[7:pos].decode()
        (wrapped_len,) = struct.unpack_from(">H", blob, pos)
        wrapped = blob[pos + 2 : pos + 2 + wrapped_len]
        rest = blob[pos + 2 + wrapped_len :]
    except (struct.error, UnicodeDecodeError):
        raise _damaged() from None
    if len(wrapped) != wrapped_len or len(rest) < _NONCE + 16:
        raise _damaged()
    return Envelope(version, kek_id, wrapped, rest[:_NONCE], rest[_NONCE:])


def aead_seal(key: bytes, nonce: bytes, plaintext: bytes, aad: bytes) -> bytes:
    """AES-256-GCM as this module uses it: 256-bit key, 96-bit nonce, 128-bit tag appended."""
    if len(key) != _KEY or len(nonce) != _NONCE:
        raise ValueError("AES-256-GCM here takes a 32-byte key and a 12-byte nonce")
    return AESGCM(key).encrypt(nonce, plaintext, aad)


def aead_open(key: bytes, nonce: bytes, sealed: bytes, aad: bytes) -> bytes:
    """Inverse of :func:`aead_seal`; a wrong key, nonce, tag or aad raises :class:`Invalid`."""
    if len(key) != _KEY or len(nonce) != _NONCE:
        raise ValueError("AES-256-GCM here takes a 32-byte key and a 12-byte nonce")
    if len(sealed) < 16:
        raise _damaged()
    try:
        return AESGCM(key).decrypt(nonce, sealed, aad)
    except InvalidTag:
        raise _damaged() from None


def _wrap(kek: bytes, kek_id: str, dek: bytes) -> bytes:
    nonce = os.urandom(_NONCE)
    return nonce + aead_seal(kek, nonce, dek, b"QLENV/dek/1/" + kek_id.encode())


def _unwrap(ring: KekRing, env: Envelope) -> bytes:
    kek = ring.key(env.kek_id)
    nonce, body = env.wrapped_dek[:_NONCE], env.wrapped_dek[_NONCE:]
    return aead_open(kek, nonce, body, b"QLENV/dek/1/" + env.kek_id.encode())


def encrypt(ring: KekRing, office: str, plaintext: bytes, *, context: bytes = b"") -> bytes:
    """Encrypt under a fresh data key wrapped by ``office``'s active KEK."""
    kek_id = ring.active_id(office)
    dek = AESGCM.generate_key(bit_length=256)
    nonce = os.urandom(_NONCE)
    body = aead_seal(dek, nonce, plaintext, b"QLENV/data/1/" + context)
    env = Envelope(ENVELOPE_VERSION, kek_id, _wrap(ring.key(kek_id), kek_id, dek), nonce, body)
    return env.encode()


def decrypt(ring: KekRing, blob: bytes, *, context: bytes = b"") -> bytes:
    env = parse(blob)
    dek = _unwrap(ring, env)
    return aead_open(dek, env.data_nonce, env.ciphertext, b"QLENV/data/1/" + context)


def rewrap(ring: KekRing, blob: bytes) -> bytes:
    """Wrap the blob's data key under its office's active KEK; the data section is untouched."""
    env = parse(blob)
    office = env.kek_id.rsplit("/v", 1)[0]
    new_id = ring.active_id(office)
    if new_id == env.kek_id:
        return blob
    dek = _unwrap(ring, env)
    fresh = Envelope(
        env.version, new_id, _wrap(ring.key(new_id), new_id, dek), env.data_nonce, env.ciphertext
    )
    return fresh.encode()
