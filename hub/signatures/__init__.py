"""Signatures at the hub: the timestamp authority, TOTP enrolment, signing requests."""
