"""The one signing step every hub document takes (signing requests, notarial certificates,
mediation agreements): sign the file as signed so far, store the result under its SHA-256, then in
one transaction move the record on by compare-and-set and audit it. A step that loses the race,
or whose commit fails for any reason, removes the file it wrote, so nothing is left half-stored.

What differs between documents (which row moves, what is audited) is the ``commit`` callable;
the order and the clean-up are here once (the row moves by ``common.db.compare_and_set``).
"""

from __future__ import annotations

import asyncio
from collections.abc import Awaitable, Callable
from datetime import datetime
from typing import Any, TypeVar

from common.access import Principal
from common.filestore import FileStore
from hub.pki import HubPki
from signing.ca import ResidentAuthorization, Role
from signing.pades import Placement, sign_as_resident_async, sign_pdf_async

__all__ = ["Sign", "resident_stamp", "seal_stamp", "signing_step", "staff_stamp", "stamp"]

T = TypeVar("T")
Sign = Callable[[bytes], Awaitable[bytes]]


def stamp(pki: HubPki, signer: Any, *, field: str, reason: str, placement: Placement) -> Sign:
    """An incremental PAdES signature by ``signer``, with the hub's timestamp and the long-term
    evidence (B-LTA), made off the event loop."""

    async def sign(pdf: bytes) -> bytes:
        return await sign_pdf_async(
            pdf,
            signer=signer,
            field=field,
            timestamper=pki.timestamper(),
            evidence=pki.evidence(),
            reason=reason,
            placement=placement,
        )

    return sign


async def staff_stamp(
    pki: HubPki,
    actor: Principal,
    role: Role,
    *,
    field: str,
    reason: str,
    placement: Placement,
    display_name: str | None = None,
) -> Sign:
    """:func:`stamp` by a notary, mediator or clerk, named ``display_name`` or as signed in (key
    and certificate made on first use, off the event loop)."""
    name = actor.display_name if display_name is None else display_name
    signer = await asyncio.to_thread(
        lambda: pki.staff_signer(username=actor.subject, display_name=name, role=role)
    )
    return stamp(pki, signer, field=field, reason=reason, placement=placement)


async def seal_stamp(pki: HubPki, *, field: str, reason: str, placement: Placement) -> Sign:
    """:func:`stamp` by the hub seal."""
    seal = await asyncio.to_thread(pki.seal_signer)
    return stamp(pki, seal, field=field, reason=reason, placement=placement)


def resident_stamp(
    pki: HubPki,
    authorization: ResidentAuthorization,
    *,
    at: datetime,
    reason: str,
    placement: Placement,
    field: str = "Resident",
) -> Sign:
    """The resident's signature, with a one-time certificate the CA issues for exactly this
    ``authorization`` (face decision and consent code for this file)."""

    async def sign(pdf: bytes) -> bytes:
        return await sign_as_resident_async(
            pdf,
            ca=pki.ca,
            authorization=authorization,
            at=at,
            timestamper=pki.timestamper(),
            evidence=pki.evidence(),
            field=field,
            reason=reason,
            placement=placement,
        )

    return sign


async def signing_step(
    store: FileStore, current_sha256: str, sign: Sign, commit: Callable[[str], Awaitable[T]]
) -> T:
    """Sign the stored file ``current_sha256``, keep the result, and ``commit(new_sha256)``."""
    signed = await sign(store.get(current_sha256))
    async with store.kept(signed) as digest:
        return await commit(digest)
