"""Domain errors: raised by services, turned into ``application/problem+json`` at the edge."""

from __future__ import annotations

from signing.errors import N_, Refusal

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


class DomainError(Refusal):
    """An error a user can act on, raised by our services (the libraries raise their own)."""


class Invalid(DomainError):
    status = 422


class NotFound(DomainError):
    status = 404


class Conflict(DomainError):
    status = 409


class Forbidden(DomainError):
    status = 403


# Every refusal shown to a user, ours or a library's, is a Refusal: the web layer turns it into
# a problem document, and pages show it as a message.
REFUSALS = (Refusal,)
