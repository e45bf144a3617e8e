"""What the simulator's handlers share: settings, its signing key, the verifier, the faults."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from common.httpsig import RequestVerifier
from common.settings import GovnetSimSettings
from govnet_sim.model import Faults

__all__ = ["PLATFORM", "PlatformContext"]


@dataclass
class PlatformContext:
    settings: GovnetSimSettings
    key: Ed25519PrivateKey
    verifier: RequestVerifier
    faults: Faults  # replaced as a whole by the admin switch


PLATFORM = web.AppKey("platform", PlatformContext)
