"""The media library's own refusals, so that it stands alone.

Each carries a stable ``code``, an English ``message`` (a msgid the caller may translate), its
``params`` and the HTTP-like ``status`` a web layer would answer with; the library itself never
speaks HTTP. Applications map these to their own error documents.
"""

from __future__ import annotations

from typing import Any

__all__ = ["N_", "MediaConfigError", "MediaError"]


def N_(message: str) -> str:
    """Mark a message for translation; it is translated by whoever shows it."""
    return message


class MediaError(Exception):
    """A refusal a user can act on: a refused token, signal or event."""

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


class MediaConfigError(ValueError):
    """The media settings (TURN servers and the like) cannot be used as given."""
