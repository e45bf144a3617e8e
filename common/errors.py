"""Domain errors: raised by services, turned into ``application/problem+json`` at the edge."""

from __future__ import annotations

from typing import Any, Protocol

from media.errors import MediaError
from signing.errors import SigningError

__all__ = [
    "N_",
    "REFUSALS",
    "Conflict",
    "DomainError",
    "Forbidden",
    "Invalid",
    "NotFound",
    "Refusal",
]


def N_(message: str) -> str:
    """Mark a message for translation; it is translated when shown to a viewer."""
    return message


class DomainError(Exception):
    """An error a user can act on. ``code`` is stable; ``message`` is an English msgid."""

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


class Invalid(DomainError):
    status = 422


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Forbidden(DomainError):
    status = 403


class Refusal(Protocol):
    """What every refusal shown to a user carries, ours or a library's."""

    code: str
    message: str
    status: int
    params: dict[str, Any]
    errors: list[dict[str, Any]]


# Ours and the standalone libraries' (which import nothing of ours): the web layer turns any
# of these into a problem document, and pages show them as messages.
REFUSALS = (DomainError, SigningError, MediaError)
