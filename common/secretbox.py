"""Authenticator secrets sealed at rest under a key of the service's own.

Both the staff's sign-in secrets (:mod:`common.factors`) and the residents' signing secrets
(``hub.signatures``) must be readable by the service to check a code, so they cannot be hashed
like passwords; they are sealed with AES-256-GCM under a 32-byte key kept in the service's data
directory (made on first use, mode 0600), apart from the database. A copy of the database alone
then yields no secret, and the owner's name is the associated data: a sealed secret copied onto
another account's row does not open.

Format, version 1: ``b"\\x01" | nonce(12) | AES-GCM(key, secret, aad=owner)``.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass, field
from pathlib import Path

from common.errors import N_, DomainError
from signing.envelope import aead_open, aead_seal
from signing.errors import Invalid

__all__ = ["SECRET_KEY_FILE", "SecretBox", "UnreadableSecret", "service_box"]

SECRET_KEY_FILE = Path("keys") / "totp-secrets.key"
_V1 = b"\x01"
log = logging.getLogger(__name__)
_UNREADABLE = N_("Authenticator codes cannot be checked here now. Please tell the administrator.")


class UnreadableSecret(DomainError):
    """A sealed secret that this key does not open: another key, or a damaged value. The person
    signing in can do nothing about it; the log tells the operator which key file and account."""

    status = 503

    def __init__(self, owner: str, reason: str) -> None:
        super().__init__("secrets.unreadable", _UNREADABLE)
        self.owner = owner
        self.reason = reason
        log.error("secret of %s unreadable: %s", owner, reason)


@dataclass(frozen=True)
class SecretBox:
    key: bytes = field(repr=False)
    source: str = ""  # where the key came from, to name it in errors

    @classmethod
    def open(cls, path: Path) -> SecretBox:
        """The key in ``path``; a new random one, readable by this user only, if none exists."""
        if not path.exists():
            path.parent.mkdir(parents=True, exist_ok=True)
            try:
                fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            except FileExistsError:  # made by another process meanwhile
                pass
            else:
                with os.fdopen(fd, "wb") as fh:
                    fh.write(os.urandom(32))
        key = path.read_bytes()
        if len(key) != 32:
            raise ValueError(f"{path} must hold a 32-byte key")
        return cls(key, str(path))

    def seal(self, owner: str, secret: str) -> bytes:
        nonce = os.urandom(12)
        return _V1 + nonce + aead_seal(self.key, nonce, secret.encode(), owner.encode())

    def unseal(self, owner: str, sealed: bytes) -> str:
        if sealed[:1] != _V1 or len(sealed) < 13:
            raise UnreadableSecret(owner, "not sealed in a known format")
        try:
            return aead_open(self.key, sealed[1:13], sealed[13:], owner.encode()).decode()
        except Invalid:
            raise UnreadableSecret(
                owner,
                f"does not open with the key in {self.source or '?'}: the key file was replaced, "
                "or the row was sealed by another service",
            ) from None


def service_box(data_dir: Path) -> SecretBox:
    """The service's secret box: one key file per data directory (hub, node)."""
    return SecretBox.open(data_dir / SECRET_KEY_FILE)
