"""The node's identity keys, kept in its data directory.

Templates and frames are sealed with AES-256-GCM under a node key. The :class:`TemplateCipher`
protocol is the seam where the signing library's envelope encryption (per-office keys,
rotation) replaces this later; the decision signer is an Ed25519 key behind ``media.face.Signer``.
"""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from pathlib import Path
from typing import Protocol

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.serialization import (
    Encoding,
    NoEncryption,
    PrivateFormat,
    load_pem_private_key,
)

from media.face import Ed25519Signer

__all__ = ["AesGcmCipher", "TemplateCipher", "load_cipher", "load_signer"]


class TemplateCipher(Protocol):
    def seal(self, plaintext: bytes, context: bytes) -> bytes: ...

    def open(self, sealed: bytes, context: bytes) -> bytes: ...


@dataclass(frozen=True)
class AesGcmCipher:
    """AES-256-GCM; ``context`` (e.g. the resident id) is bound as associated data."""

    key: bytes = field(repr=False)
    VERSION = b"\x01"

    def seal(self, plaintext: bytes, context: bytes) -> bytes:
        nonce = os.urandom(12)
        return self.VERSION + nonce + AESGCM(self.key).encrypt(nonce, plaintext, context)

    def open(self, sealed: bytes, context: bytes) -> bytes:
        if sealed[:1] != self.VERSION:
            raise ValueError("unknown sealed-template version")
        return AESGCM(self.key).decrypt(sealed[1:13], sealed[13:], context)


def _write_secret(path: Path, data: bytes) -> None:
    path.parent.mkdir(parents=True, exist_ok=True)
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    with os.fdopen(fd, "wb") as fh:
        fh.write(data)


def load_cipher(data_dir: Path) -> AesGcmCipher:
    """The node's template key, created on first start."""
    path = data_dir / "keys" / "identity-template.key"
    if not path.exists():
        _write_secret(path, AESGCM.generate_key(bit_length=256))
    key = path.read_bytes()
    if len(key) != 32:
        raise ValueError(f"{path} must hold a 32-byte AES-256 key")
    return AesGcmCipher(key)


def load_signer(data_dir: Path) -> Ed25519Signer:
    """The node's decision-signing key, created on first start."""
    path = data_dir / "keys" / "identity-decision.pem"
    if not path.exists():
        pem = Ed25519PrivateKey.generate().private_bytes(
            Encoding.PEM, PrivateFormat.PKCS8, NoEncryption()
        )
        _write_secret(path, pem)
    key = load_pem_private_key(path.read_bytes(), password=None)
    if not isinstance(key, Ed25519PrivateKey):
        raise ValueError(f"{path} must hold an Ed25519 private key")
    return Ed25519Signer(key)
