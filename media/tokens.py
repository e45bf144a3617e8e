"""Signalling tokens: one per participant, bound to a session, a role and a name.

A token admits a first join until it expires (minutes); a participant who has been in the
session may come back with the same token while the session runs, however long it lasts (the
page rejoins with the token of its URL). Once the session ends its room is gone and no token
admits anyone.

A token is ``v1.<payload>.<mac>``: the payload is canonical JSON (base64url), the MAC is
HMAC-SHA256 over ``v1.<payload>`` with the issuing service's secret. Expiry is checked against an
injected clock, so tests move time instead of sleeping.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
from collections.abc import Callable
from dataclasses import dataclass
from datetime import UTC, datetime, timedelta

from media.clock import Clock
from media.errors import N_, MediaError

__all__ = ["TokenClaims", "TokenIssuer", "TokenRejected"]

VERSION = "v1"
MAX_TOKEN_CHARS = 2048


class TokenRejected(MediaError):
    """The token is malformed, forged, expired or for another session."""

    status = 401


@dataclass(frozen=True)
class TokenClaims:
    session_id: str
    role: str
    participant: str
    expires_at: datetime


def _b64(data: bytes) -> str:
    return base64.urlsafe_b64encode(data).rstrip(b"=").decode("ascii")


def _unb64(text: str) -> bytes:
    return base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))


class TokenIssuer:
    """Issues and checks tokens with one secret; ``ttl`` bounds how long a token admits."""

    def __init__(self, secret: bytes, clock: Clock, ttl: timedelta = timedelta(minutes=10)):
        if len(secret) < 16:
            raise ValueError("a signalling secret has at least 16 bytes")
        self._secret = secret
        self._clock = clock
        self.ttl = ttl

    def __repr__(self) -> str:
        return f"TokenIssuer(secret=<redacted>, ttl={self.ttl})"

    def _mac(self, signed: str) -> str:
        return _b64(hmac.new(self._secret, signed.encode("ascii"), hashlib.sha256).digest())

    def issue(self, session_id: str, role: str, participant: str) -> str:
        expires = self._clock.now() + self.ttl
        payload = {
            "exp": int(expires.timestamp()),
            "p": participant,
            "r": role,
            "s": session_id,
        }
        body = _b64(json.dumps(payload, sort_keys=True, separators=(",", ":")).encode())
        signed = f"{VERSION}.{body}"
        return f"{signed}.{self._mac(signed)}"

    def verify(
        self,
        token: str,
        session_id: str,
        *,
        rejoin: Callable[[TokenClaims], bool] | None = None,
    ) -> TokenClaims:
        """The token's claims if it is genuine, for ``session_id``, and unexpired, or expired
        but ``rejoin`` says its participant is coming back into the running session."""
        claims = self._decode(token)
        if claims.session_id != session_id:
            raise TokenRejected(
                "media.token_wrong_session", N_("This invitation is for another session.")
            )
        if self._clock.now() >= claims.expires_at and not (rejoin and rejoin(claims)):
            raise TokenRejected("media.token_expired", N_("This invitation has expired."))
        return claims

    def _decode(self, token: str) -> TokenClaims:
        malformed = TokenRejected("media.token_invalid", N_("This invitation is not valid."))
        if not token or len(token) > MAX_TOKEN_CHARS or token.count(".") != 2:
            raise malformed
        version, body, mac = token.split(".")
        if version != VERSION:
            raise malformed
        if not hmac.compare_digest(mac, self._mac(f"{version}.{body}")):
            raise malformed
        try:
            data = json.loads(_unb64(body))
            return TokenClaims(
                session_id=str(data["s"]),
                role=str(data["r"]),
                participant=str(data["p"]),
                expires_at=datetime.fromtimestamp(int(data["exp"]), tz=UTC),
            )
        except (ValueError, KeyError, TypeError):
            raise malformed from None
