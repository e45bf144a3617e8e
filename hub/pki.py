"""The hub's PKI in its data directory: the CA, the timestamp authority, the hub seal, and
notaries' and mediators' certificates issued on demand (``signing.ca`` / ``signing.keystore``).

Keys live in an encrypted :class:`~signing.keystore.FileKeyStore` under ``data_dir/pki``. Its
passphrase comes from ``QIAOLINK_HUB_PKI_PASSPHRASE_FILE``; the embedded default makes a random
one in ``data_dir/keys/pki.passphrase`` (mode 0600) on first start — production points the
setting at a secret mounted from elsewhere, so disk and passphrase are never stored together.
"""

from __future__ import annotations

import asyncio
import os
import secrets
import threading
from collections.abc import AsyncIterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign.signers import Signer

from common.clock import Clock
from common.service import CLOCK
from common.settings import HubSettings
from signing.ca import CertificateAuthority, Role
from signing.keystore import FileKeyStore
from signing.ltv import LongTermEvidence
from signing.pades import signer_from_store
from signing.tsa import TimestampAuthority, TsaTimeStamper, in_process

__all__ = ["PKI", "HubPki", "open_pki", "pki_ctx"]

CA_NAME = "Qiaolink Hub CA"
CRL_REFRESH = timedelta(hours=1)
TSA_KEY, SEAL_KEY = "tsa", "hub-seal"
SEAL_NAME = "Wencheng Overseas Service Centre"


def _passphrase_file(settings: HubSettings) -> Path:
    if settings.pki_passphrase_file is not None:
        return settings.pki_passphrase_file
    path = settings.data_dir / "keys" / "pki.passphrase"
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(32))
    return path


@dataclass
class HubPki:
    store: FileKeyStore
    ca: CertificateAuthority
    tsa: TimestampAuthority
    clock: Clock
    _signers: dict[str, Signer] = field(default_factory=dict)
    _lock: threading.Lock = field(default_factory=threading.Lock)

    _crl: tuple[datetime, x509.CertificateRevocationList] | None = None

    @property
    def trust_roots(self) -> list[x509.Certificate]:
        return [self.ca.certificate]

    def crl(self) -> x509.CertificateRevocationList:
        """The CA's current revocation list (made anew every hour, good for a week)."""
        return self.evidence().crls[0]

    def evidence(self) -> LongTermEvidence:
        """What every signature embeds to stay verifiable after its certificate ends (B-LTA)."""
        now = self.clock.now()
        with self._lock:
            if self._crl is None or not timedelta(0) <= now - self._crl[0] <= CRL_REFRESH:
                self._crl = (now, self.ca.crl(at=now))
            crl = self._crl[1]
        return LongTermEvidence((self.ca.certificate,), (crl,), at=now)

    def timestamper(self) -> TsaTimeStamper:
        return in_process(self.tsa)

    def staff_signer(self, *, username: str, display_name: str, role: Role) -> Signer:
        """The signer of a notary or mediator; key and certificate made on first use.

        Blocking (key-store encryption): call it from an executor."""
        name = f"staff-{role.value}-{username.lower()}"
        return self._signer(name, role=role, common_name=display_name or username, ident=username)

    def seal_signer(self) -> Signer:
        return self._signer(SEAL_KEY, role=Role.SEAL, common_name=SEAL_NAME, ident="SEAL-1")

    def _signer(self, name: str, *, role: Role, common_name: str, ident: str) -> Signer:
        with self._lock:
            if name not in self._signers:
                if not self.store.has_key(name):
                    self.ca.enrol(
                        self.store,
                        role=role,
                        key_name=name,
                        common_name=common_name,
                        ident=ident,
                        at=self.clock.now(),
                    )
                self._signers[name] = signer_from_store(
                    self.store, name, chain=(self.ca.certificate,)
                )
            return self._signers[name]


def open_pki(settings: HubSettings, clock: Clock) -> HubPki:
    """Open (and on first start create) the hub's PKI. Blocking: scrypt and key generation."""
    store = FileKeyStore.from_passphrase_file(settings.data_dir / "pki", _passphrase_file(settings))
    now = clock.now()
    crl_url = f"{settings.public_url.rstrip('/')}/api/pki/crl"
    ca = CertificateAuthority.open(store, name=CA_NAME, at=now, crl_url=crl_url)
    if not store.has_key(TSA_KEY):
        ca.enrol(
            store,
            role=Role.TSA,
            key_name=TSA_KEY,
            common_name="Qiaolink Hub TSA",
            ident="TSA-1",
            at=now,
        )
    key: Any = store.get_key(TSA_KEY)
    if not isinstance(key, ec.EllipticCurvePrivateKey):
        raise ValueError("the TSA key is not an EC key")
    tsa = TimestampAuthority(key=key, certificate=store.get_certificate(TSA_KEY), clock=clock)
    return HubPki(store, ca, tsa, clock)


PKI = web.AppKey("pki", HubPki)


def pki_ctx(settings: HubSettings) -> Any:
    async def ctx(app: web.Application) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        app[PKI] = await loop.run_in_executor(None, open_pki, settings, app[CLOCK])
        yield

    return ctx
