"""The hub's certificate authority, timestamp authority and seal key, opened at start-up.

On first start they are created in ``data_dir/pki`` (a :class:`~signing.keystore.FileKeyStore`
whose passphrase is generated into ``data_dir/pki.passphrase``, mode 0600, unless one exists);
later starts open them. Documents the hub issues (complaint replies, ...) are sealed here with
PAdES signatures timestamped by the hub TSA on the app's clock, and checked against the hub CA.
"""

from __future__ import annotations

import asyncio
import hashlib
import json
import os
import secrets
from collections.abc import AsyncIterator
from datetime import datetime
from pathlib import Path

from aiohttp import web
from cryptography import x509
from cryptography.hazmat.primitives.asymmetric import ec
from pyhanko.sign.signers import Signer

from common.clock import Clock
from common.service import CLOCK
from signing.ca import CertificateAuthority, Role
from signing.envelope import KekRing, decrypt, encrypt
from signing.keystore import FileKeyStore
from signing.pades import Placement, sign_pdf_async, signer_from_store
from signing.recording import seal_recording
from signing.tsa import TimestampAuthority, in_process
from signing.verify import DocumentStatus, validate_pdf_async

__all__ = ["HUB_SEAL", "HubSeal", "RecordingArchive", "install"]

SEAL_KEY = "hub-seal"
OFFICE = "WZ"  # the hub's own office: its key protects the archive
TSA_KEY = "hub-tsa"


class HubSeal:
    def __init__(
        self,
        ca: CertificateAuthority,
        signer: Signer,
        tsa: TimestampAuthority,
        archive: RecordingArchive | None = None,
    ) -> None:
        self.ca = ca
        self._signer = signer
        self._tsa = tsa
        self.archive = archive

    @classmethod
    def open(cls, data_dir: Path, clock: Clock, passphrase: Path | None = None) -> HubSeal:
        # one key store for the hub (hub.pki opens it too): one CA, one passphrase
        secret = passphrase or _ensure_passphrase(data_dir / "keys" / "pki.passphrase")
        store = FileKeyStore.from_passphrase_file(data_dir / "pki", secret)
        at = clock.now()
        ca = CertificateAuthority.open(store, name="Qiaolink Hub CA", at=at)
        for key, role, name, ident in (
            (TSA_KEY, Role.TSA, "Qiaolink Hub TSA", "TSA-1"),
            (SEAL_KEY, Role.SEAL, "Wencheng Overseas Service Centre", "SEAL-1"),
        ):
            if not store.has_key(key):
                ca.enrol(store, role=role, key_name=key, common_name=name, ident=ident, at=at)
        tsa_key = store.get_key(TSA_KEY)
        assert isinstance(tsa_key, ec.EllipticCurvePrivateKey)
        tsa = TimestampAuthority(
            key=tsa_key, certificate=store.get_certificate(TSA_KEY), clock=clock
        )
        signer = signer_from_store(store, SEAL_KEY, chain=(ca.certificate,))
        seal_key = store.get_key(SEAL_KEY)
        assert isinstance(seal_key, ec.EllipticCurvePrivateKey)
        ring = KekRing()
        ring.add(OFFICE, _office_kek(data_dir / "pki" / f"kek-{OFFICE}.bin"))
        archive = RecordingArchive(seal_key, store.get_certificate(SEAL_KEY), ring)
        return cls(ca, signer, tsa, archive)

    async def seal(self, pdf: bytes, *, reason: str, field: str = "HubSeal") -> bytes:
        """The hub seal's PAdES signature on ``pdf``, off the event loop."""
        return await sign_pdf_async(
            pdf,
            signer=self._signer,
            field=field,
            timestamper=in_process(self._tsa),
            reason=reason,
            placement=Placement(page=-1, slot=2),
        )

    async def check(self, pdf: bytes, at: datetime) -> DocumentStatus:
        return await validate_pdf_async(pdf, trust_roots=[self.ca.certificate], at=at)


class RecordingArchive:
    """Closed recording segments become envelope-encrypted files with a signed manifest."""

    def __init__(
        self, key: ec.EllipticCurvePrivateKey, certificate: x509.Certificate, ring: KekRing
    ) -> None:
        self.key, self.certificate, self.ring = key, certificate, ring

    def seal_file(self, path: Path, *, session_id: str, at: datetime) -> tuple[Path, str]:
        """Encrypt ``path`` at rest (the plain file is removed) and sign its manifest; CPU work,
        run it in an executor. Returns the manifest's path and SHA-256."""
        stored = encrypt(self.ring, OFFICE, path.read_bytes(), context=session_id.encode())
        sealed = path.with_name(path.name + ".qlenv")
        sealed.write_bytes(stored)
        manifest = seal_recording(
            stored,
            name=sealed.name,
            session_id=session_id,
            recorded_at=at,
            key=self.key,
            certificate=self.certificate,
        )
        manifest_path = path.with_name(path.name + ".manifest.json")
        text = json.dumps(manifest, indent=1).encode()
        manifest_path.write_bytes(text)
        path.unlink()
        return manifest_path, hashlib.sha256(text).hexdigest()

    def open_file(self, sealed: Path, *, session_id: str) -> bytes:
        return decrypt(self.ring, sealed.read_bytes(), context=session_id.encode())


def _office_kek(path: Path) -> bytes:
    """The office's key-encryption key, made on first start (0600)."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "wb") as fh:
            fh.write(secrets.token_bytes(32))
    return path.read_bytes()


def _ensure_passphrase(path: Path) -> Path:
    """A generated passphrase file on first start, readable by its owner only."""
    if not path.exists():
        path.parent.mkdir(parents=True, exist_ok=True)
        fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
        with os.fdopen(fd, "w") as fh:
            fh.write(secrets.token_urlsafe(32))
    return path


HUB_SEAL = web.AppKey("hub_seal", HubSeal)


def install(app: web.Application, data_dir: Path, passphrase: Path | None = None) -> None:
    async def seal_ctx(app: web.Application) -> AsyncIterator[None]:
        loop = asyncio.get_running_loop()
        app[HUB_SEAL] = await loop.run_in_executor(
            None, HubSeal.open, data_dir, app[CLOCK], passphrase
        )
        yield

    app.cleanup_ctx.append(seal_ctx)
