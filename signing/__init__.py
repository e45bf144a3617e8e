"""Signing library: keys, certificates, PDF signatures, timestamps, TOTP, envelopes, Merkle log.

No web framework and no database: callers bring their own storage through the ports here.
"""

__all__: list[str] = []
