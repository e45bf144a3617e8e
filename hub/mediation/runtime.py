"""What mediation keeps beside the database: signed files and packages, and signing progress;
and what signing a case's documents takes from the app."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web
from sqlalchemy import Table

from common.clock import Clock
from common.db import Database
from common.filestore import FileStore
from common.secretbox import SecretBox
from common.service import AUDIT, CLOCK, DB
from common.settings import HubSettings
from hub.pki import PKI, HubPki
from hub.signatures.runtime import SIGNATURES

__all__ = [
    "MEDIATION",
    "MediationRuntime",
    "SigningPorts",
    "SigningProgress",
    "install",
    "signing_ports",
]


@dataclass
class SigningProgress:
    """The stage of each running signature, for the signer's page to show (one process)."""

    stages: dict[tuple[int, str], str] = field(default_factory=dict)

    def set(self, document: int, signer: str, stage: str) -> None:
        self.stages[(document, signer)] = stage

    def get(self, document: int, signer: str) -> str | None:
        return self.stages.get((document, signer))


@dataclass(frozen=True)
class MediationRuntime:
    store: FileStore  # agreement and statement PDFs, packages: by SHA-256
    progress: SigningProgress


MEDIATION = web.AppKey("mediation", MediationRuntime)


def install(app: web.Application, settings: HubSettings) -> None:
    app[MEDIATION] = MediationRuntime(FileStore(settings.data_dir / "mediation"), SigningProgress())


@dataclass(frozen=True)
class SigningPorts:
    """What the signatures on a case's documents use: the database and its audit table, the
    clock, the file store and progress, the hub's keys, the box of residents' secrets."""

    db: Database
    audit: Table
    clock: Clock
    store: FileStore
    progress: SigningProgress
    pki: HubPki
    box: SecretBox


def signing_ports(app: web.Application) -> SigningPorts:
    runtime = app[MEDIATION]
    return SigningPorts(
        db=app[DB],
        audit=app[AUDIT],
        clock=app[CLOCK],
        store=runtime.store,
        progress=runtime.progress,
        pki=app[PKI],
        box=app[SIGNATURES].box,
    )
