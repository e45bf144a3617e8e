"""What the signature routes need from the data directory: the secret box and the file store."""

from __future__ import annotations

from dataclasses import dataclass

from aiohttp import web

from common.secretbox import SecretBox, service_box
from common.settings import HubSettings
from hub.applications.storage import MaterialStore

__all__ = ["SIGNATURES", "SignatureRuntime", "install"]


@dataclass(frozen=True)
class SignatureRuntime:
    box: SecretBox
    store: MaterialStore


SIGNATURES = web.AppKey("signatures", SignatureRuntime)


def install(app: web.Application, settings: HubSettings) -> None:
    app[SIGNATURES] = SignatureRuntime(
        box=service_box(settings.data_dir),
        store=MaterialStore(settings.data_dir / "signed"),
    )
