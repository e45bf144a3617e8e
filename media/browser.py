"""The browser client's files and the messages it shows, for the services that serve it."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

from media.errors import N_

__all__ = ["BROWSER_MESSAGES", "STATIC_DIR", "browser_messages"]

STATIC_DIR = Path(__file__).parent / "static"

# Every text media-session.js shows; it marks each with exactly these strings.
BROWSER_MESSAGES = (
    N_("Video session"),
    N_("Camera"),
    N_("Microphone"),
    N_("Mute"),
    N_("Unmute"),
    N_("Camera off"),
    N_("Camera on"),
    N_("Leave"),
    N_("You"),
    N_("Connecting…"),
    N_("Connected"),
    N_("Reconnecting…"),
    N_("Disconnected"),
    N_("Connection quality: {quality}"),
    N_("good"),
    N_("fair"),
    N_("poor"),
    N_("{name} joined"),
    N_("{name} left"),
    N_("Showing page {page} of document {document}"),
    N_("Signature requested from {signer} for document {document}"),
    N_("Do you consent?"),
    N_("I consent"),
    N_("I do not consent"),
    N_("Consent given"),
    N_("Consent refused"),
    N_("Send caption"),
    N_("Session events"),
    N_("Participants"),
    N_("This invitation is missing from the address."),
    N_("Camera or microphone not available: {error}"),
)


def browser_messages(translate: Callable[[str], str]) -> dict[str, str]:
    """Every message the client shows, through the caller's ``translate`` (msgid → text)."""
    return {message: translate(message) for message in BROWSER_MESSAGES}
