"""Password hashing with scrypt (memory-hard), encoded with its parameters."""

from __future__ import annotations

import base64
import hashlib
import hmac
import secrets
from pathlib import Path

__all__ = ["append_credentials", "hash_password", "verify_password"]

_N, _R, _P = 2**14, 8, 1


def hash_password(password: str) -> str:
    if len(password) < 10:
        raise ValueError("passwords have at least 10 characters")
    salt = secrets.token_bytes(16)
    digest = hashlib.scrypt(password.encode(), salt=salt, n=_N, r=_R, p=_P, dklen=32)
    enc = base64.b64encode
    return f"scrypt${_N}${_R}${_P}${enc(salt).decode()}${enc(digest).decode()}"


def verify_password(password: str, encoded: str) -> bool:
    try:
        scheme, n, r, p, salt, digest = encoded.split("$")
        if scheme != "scrypt":
            return False
        expected = base64.b64decode(digest)
        actual = hashlib.scrypt(
            password.encode(),
            salt=base64.b64decode(salt),
            n=int(n),
            r=int(r),
            p=int(p),
            dklen=len(expected),
        )
    except (ValueError, TypeError):
        return False
    return hmac.compare_digest(actual, expected)


def append_credentials(
    path: Path,
    service: str,
    created: dict[str, str],
    second_factors: dict[str, str] | None = None,
) -> None:
    """Append generated demo sign-in details to a file only its owner can read.

    One line per account: ``service<TAB>username<TAB>password``, then ``<TAB>TOTP secret``
    (base32, for an authenticator app) when the account has a second factor.
    """
    if not created:
        return
    path.parent.mkdir(parents=True, exist_ok=True)
    path.touch(mode=0o600, exist_ok=True)
    path.chmod(0o600)
    factors = second_factors or {}
    with path.open("a", encoding="utf-8") as fh:
        for username, password in created.items():
            secret = factors.get(username)
            fh.write(
                f"{service}\t{username}\t{password}" + (f"\t{secret}" if secret else "") + "\n"
            )
