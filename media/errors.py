"""The media library's own refusals, so that it stands alone.

Each carries a stable ``code``, an English ``message`` (a msgid the caller may translate), its
``params`` and the HTTP-like ``status`` a web layer would answer with; the library itself never
speaks HTTP. Applications map these to their own error documents. The shape is the signing
library's :class:`~signing.errors.Refusal` (media may use signing; it uses nothing of ours).
"""

from __future__ import annotations

from signing.errors import N_, Refusal

__all__ = ["N_", "MediaConfigError", "MediaError"]


class MediaError(Refusal):
    """A refusal a user can act on: a refused token, signal or event."""


class MediaConfigError(ValueError):
    """The media settings (TURN servers and the like) cannot be used as given."""
