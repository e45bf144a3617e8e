"""What the signature routes need: the secret box and the file store from the data directory,
and the signing steps another domain takes over for the requests it owns."""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from aiohttp import web
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import Principal
from common.db import Database
from common.secretbox import SecretBox, service_box
from common.settings import HubSettings
from hub.applications.storage import MaterialStore
from hub.pki import HubPki

__all__ = ["OWNED_REQUESTS", "SIGNATURES", "OwnedRequests", "SignatureRuntime", "install"]


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


@dataclass(frozen=True)
class OwnedRequests:
    """Signing requests that belong to another domain's record and whose notary step is that
    domain's (a notarial certificate: the notary's signature issues the act, so act and request
    move together). The owning domain installs this; signatures never import it.

    ``owner_of`` gives the owning record's id for a request (``None``: a plain request);
    ``notary_signs`` takes the notary's step on that record.
    """

    owner_of: Callable[[AsyncSession, str], Awaitable[str | None]]
    notary_signs: Callable[
        [Database, MaterialStore, HubPki, Any, str, Principal, datetime], Awaitable[None]
    ]


OWNED_REQUESTS = web.AppKey("signatures_owned_requests", OwnedRequests)
