"""What the simulator's handlers share: settings, its signing key, the verifier, the faults."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey, Ed25519PublicKey

from common.httpsig import RequestVerifier, load_public_key
from common.settings import GovnetSimSettings
from govnet_sim.model import Faults

__all__ = ["PLATFORM", "ClientKeys", "PlatformContext"]


class ClientKeys:
    """The public keys of the platform's clients (the hub), read from a file once it exists."""

    def __init__(self, key_id: str, path: Path) -> None:
        self.key_id = key_id
        self.path = path
        self._key: Ed25519PublicKey | None = None

    def __call__(self, key_id: str) -> Ed25519PublicKey | None:
        if key_id != self.key_id:
            return None
        if self._key is None and self.path.exists():
            self._key = load_public_key(self.path)
        return self._key


@dataclass
class PlatformContext:
    settings: GovnetSimSettings
    key: Ed25519PrivateKey
    verifier: RequestVerifier
    faults: Faults  # replaced as a whole by the admin switch


PLATFORM = web.AppKey("platform", PlatformContext)
