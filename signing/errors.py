"""The signing library's own refusals, so that it stands alone, and :class:`Refusal`, the one
shape of a refusal a user can act on (the media library and the applications derive theirs
from it, so a web layer maps every refusal to its error document in one place).

Each carries a stable ``code``, an English ``message`` (a msgid the caller may translate), its
``params`` and the HTTP-like ``status`` a web layer would answer with; the library itself never
speaks HTTP. Applications map these to their own error documents.
"""

from __future__ import annotations

from typing import Any

__all__ = ["N_", "Conflict", "Forbidden", "Invalid", "NotFound", "Refusal", "SigningError"]


def N_(message: str) -> str:
    """Mark a message for translation; it is translated by whoever shows it."""
    return message


class Refusal(Exception):
    """A refusal a user can act on. ``code`` is stable; ``message`` is an English msgid."""

    status = 400

    def __init__(
        self,
        code: str,
        message: str,
        *,
        status: int | None = None,
        params: dict[str, Any] | None = None,
        errors: list[dict[str, Any]] | None = None,
    ) -> None:
        super().__init__(f"{code}: {message}")
        self.code = code
        self.message = message
        self.params = params or {}
        self.errors = errors or []
        if status is not None:
            self.status = status


class SigningError(Refusal):
    """A refusal of the signing library: bad input, a wrong state, a missing key."""


class Invalid(SigningError):
    status = 422


class NotFound(SigningError):
    status = 404


class Conflict(SigningError):
    status = 409


class Forbidden(SigningError):
    status = 403
