"""A test PKI on disk: hub CA, TSA, notary, mediator, seal and node keys in a FileKeyStore."""

from __future__ import annotations

from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common.clock import SystemClock
from signing.ca import CertificateAuthority, Role
from signing.keystore import FileKeyStore
from signing.pades import signer_from_store
from signing.tsa import TimestampAuthority, TsaTimeStamper, in_process

__all__ = ["FaceOk", "Pki", "make_pki"]

STAFF = {
    "notary-li": (Role.NOTARY, "Li Wei", "N-0007"),
    "mediator-chen": (Role.MEDIATOR, "Chen Jing", "M-0003"),
    "hub-seal": (Role.SEAL, "Wencheng Overseas Service Centre", "SEAL-1"),
    "node-milan": (Role.NODE, "Milan branch", "NODE-MI"),
}


@dataclass(frozen=True)
class FaceOk:
    """The node's face decision as the CA sees it (structurally a ``FaceDecision``)."""

    session_id: str
    subject: str
    matched: bool
    decided_at: datetime


@dataclass
class Pki:
    store: FileKeyStore
    ca: CertificateAuthority
    tsa: TimestampAuthority
    _signers: dict[str, Any] = field(default_factory=dict)

    def timestamper(self) -> TsaTimeStamper:
        return in_process(self.tsa)

    def signer(self, name: str):  # type: ignore[no-untyped-def]
        if name not in self._signers:  # opening an encrypted key costs a scrypt run
            self._signers[name] = signer_from_store(self.store, name, chain=(self.ca.certificate,))
        return self._signers[name]


def make_pki(directory: Path, name: str = "Qiaolink Hub CA") -> Pki:
    at = datetime.now(UTC)
    store = FileKeyStore(directory, b"correct horse battery staple")
    ca = CertificateAuthority.open(store, name=name, at=at)
    ca.enrol(store, role=Role.TSA, key_name="tsa", common_name="Qiaolink TSA", ident="TSA-1", at=at)
    for key_name, (role, cn, ident) in STAFF.items():
        ca.enrol(store, role=role, key_name=key_name, common_name=cn, ident=ident, at=at)
    key = store.get_key("tsa")
    tsa = TimestampAuthority(key=key, certificate=store.get_certificate("tsa"), clock=SystemClock())  # type: ignore[arg-type]
    return Pki(store, ca, tsa)
