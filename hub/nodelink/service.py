"""Applying one intake message from a branch node, all of it or none of it."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from pydantic import BaseModel, Field
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import Principal, Role
from common.errors import N_, Forbidden, Invalid
from common.outbox.store import accept_once
from common.uploads import inspect_upload
from hub.applications import service
from hub.applications.model import TrustLevel
from hub.applications.schemas import ResidentIn
from hub.applications.storage import MaterialStore
from hub.db import inbox_keys

__all__ = ["IntakeMessage", "apply_intake"]


class MaterialIn(BaseModel):
    material: str = Field(min_length=1, max_length=40)
    trust: TrustLevel
    name: str = Field(default="upload", max_length=200)
    data_b64: str


class ApplicationIn(BaseModel):
    number: str = Field(pattern=r"^[A-Z]{2,8}-\d{8}-[0-9A-F]{6,10}$")
    query_code_hash: str = Field(pattern=r"^[0-9a-f]{64}$")
    item_code: str = Field(min_length=1, max_length=16)
    item_version: int = Field(ge=1)
    resident: ResidentIn


class IntakeMessage(BaseModel):
    """Version 1 of what a node sends when a clerk submits or resubmits an application."""

    v: int = Field(ge=1, le=1)
    action: str = Field(pattern=r"^(submit|resubmit)$")
    branch: str = Field(pattern=r"^[A-Z]{2,8}$")
    clerk: str = Field(min_length=1, max_length=64)
    application: ApplicationIn
    materials: list[MaterialIn] = Field(default_factory=list, max_length=40)


async def apply_intake(
    session: AsyncSession,
    message: IntakeMessage,
    *,
    sender: str,
    key: str,
    now: datetime,
    store: MaterialStore,
    written: list[str],
) -> dict[str, Any]:
    """Open (first time), attach and submit in the caller's transaction; a key seen before is a
    duplicate and changes nothing. Files written are listed in ``written`` so that a failed
    commit can remove them."""
    if message.branch != sender:
        raise Forbidden(
            "nodelink.wrong_branch", N_("A node may only submit applications of its own branch.")
        )
    if not await accept_once(session, inbox_keys, source=sender, key=key, now=now):
        return {"status": "duplicate", "number": message.application.number}
    clerk = Principal(subject=message.clerk, role=Role.CLERK, branch=sender)
    data = message.application
    if message.action == "submit":
        app, _ = await service.open_application(
            session,
            item_code=data.item_code,
            resident=service.Resident(**data.resident.model_dump()),
            actor=clerk,
            branch=sender,
            now=now,
            taken_in=service.TakenIn(data.number, data.query_code_hash, data.item_version),
        )
    else:
        app = await service.load_for(session, data.number, clerk, lock=True)
    for material in message.materials:
        try:
            raw = base64.b64decode(material.data_b64, validate=True)
        except ValueError:
            raise Invalid(
                "nodelink.bad_material", N_("A material's content is not valid base64.")
            ) from None
        saved, new_file = await service.attach_material(
            session,
            app=app,
            material_code=material.material,
            trust=material.trust,
            upload=inspect_upload(raw, material.name),
            actor=clerk,
            now=now,
            store=store,
        )
        if new_file and saved.sha256:
            written.append(saved.sha256)
    await service.submit(session, app=app, actor=clerk, now=now)
    return {"status": "accepted", "number": app.number, "state": app.state}
