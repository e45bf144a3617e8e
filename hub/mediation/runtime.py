"""What mediation keeps beside the database: signed files and packages, and signing progress."""

from __future__ import annotations

from dataclasses import dataclass, field

from aiohttp import web

from common.filestore import FileStore
from common.settings import HubSettings

__all__ = ["MEDIATION", "MediationRuntime", "SigningProgress", "install"]


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
