"""Taking applications in at the branch, with or without the hub."""

from __future__ import annotations

import base64
from datetime import datetime
from typing import Any

from sqlalchemy import insert, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import Principal
from common.audit import record
from common.errors import N_, Conflict, Invalid, NotFound
from common.filestore import FileStore
from common.numbers import hash_query_code, new_number, new_query_code
from common.outbox.store import enqueue
from common.uploads import Upload
from overseas_node.db import audit_events, outbox_messages
from overseas_node.intake.tables import catalogue_copy, node_applications, node_materials

__all__ = ["HUB", "attach_material", "load", "open_application", "submit"]

HUB = "hub"  # the outbox destination
EDITABLE_AT_HUB = (None, "correction")  # hub states in which the branch may add materials


async def _guide(session: AsyncSession, item_code: str) -> Any:
    row = (
        await session.execute(select(catalogue_copy).where(catalogue_copy.c.code == item_code))
    ).first()
    if row is None:
        raise NotFound(
            "intake.unknown_item",
            N_("No service item {code} in the branch's catalogue."),
            params={"code": item_code},
        )
    return row


async def load(session: AsyncSession, number: str) -> Any:
    row = (
        await session.execute(select(node_applications).where(node_applications.c.number == number))
    ).first()
    if row is None:
        raise NotFound(
            "application.not_found", N_("No application {number}."), params={"number": number}
        )
    return row


async def _free_number(session: AsyncSession, branch: str, now: datetime) -> str:
    """A new application number not yet used here (random numbers can meet, rarely)."""
    while True:
        number = new_number(branch, now)
        taken = await session.scalar(
            select(node_applications.c.number).where(node_applications.c.number == number)
        )
        if taken is None:
            return number


async def open_application(
    session: AsyncSession,
    *,
    item_code: str,
    resident: dict[str, str],
    clerk: Principal,
    now: datetime,
) -> tuple[str, str]:
    """A draft with its number and query code, given to the resident at once, hub or no hub."""
    item = await _guide(session, item_code)
    number, code = await _free_number(session, clerk.branch or "", now), new_query_code()
    await session.execute(
        insert(node_applications).values(
            number=number,
            query_code=code,
            item_code=item.code,
            item_version=item.version,
            clerk=clerk.subject,
            resident=resident,
            state="draft",
            hub_state=None,
            hub_history=[],
            rounds=0,
            created_at=now,
            updated_at=now,
        )
    )
    await record(
        session,
        audit_events,
        at=now,
        actor=clerk,
        action="intake.opened",
        subject=f"application:{number}",
        detail={"item": item.code},
    )
    return number, code


async def attach_material(
    session: AsyncSession,
    *,
    number: str,
    material_code: str,
    trust: str,
    upload: Upload,
    clerk: Principal,
    now: datetime,
    files: FileStore,
) -> tuple[int, bool]:
    app = await load(session, number)
    if app.state == "queued" or app.hub_state not in EDITABLE_AT_HUB:
        raise Conflict(
            "application.materials_closed",
            N_("Materials can be added only to a draft or during correction."),
        )
    guide = (await _guide(session, app.item_code)).guide
    if material_code not in {m["code"] for m in guide["materials"]}:
        raise Invalid(
            "application.unknown_material",
            N_("Unknown material: {codes}."),
            params={"codes": material_code},
        )
    result = await session.execute(
        insert(node_materials)
        .values(
            number=number,
            material_code=material_code,
            trust=trust,
            display_name=upload.display_name,
            content_type=upload.content_type,
            sha256=upload.sha256,
            round=app.rounds + 1,
            recorded_at=now,
        )
        .returning(node_materials.c.id)
    )
    await record(
        session,
        audit_events,
        at=now,
        actor=clerk,
        action="intake.material",
        subject=f"application:{number}",
        detail={"material": material_code, "trust": trust, "sha256": upload.sha256},
    )
    return int(result.scalar_one()), files.put(upload.sha256, upload.data)


async def submit(
    session: AsyncSession, *, number: str, clerk: Principal, now: datetime, files: FileStore
) -> str:
    """Queue the application (or its correction) for the hub in the same transaction."""
    app = await load(session, number)
    if app.state == "queued" or app.hub_state not in EDITABLE_AT_HUB:
        raise Conflict(
            "intake.not_submittable", N_("This application is already on its way to the hub.")
        )
    round_ = app.rounds + 1
    rows = (
        await session.execute(
            select(node_materials)
            .where(node_materials.c.number == number, node_materials.c.round == round_)
            .order_by(node_materials.c.id)
        )
    ).all()
    message = {
        "v": 1,
        "action": "submit" if round_ == 1 else "resubmit",
        "branch": clerk.branch,
        "clerk": app.clerk if round_ == 1 else clerk.subject,
        "application": {
            "number": number,
            "query_code_hash": hash_query_code(app.query_code),
            "item_code": app.item_code,
            "item_version": app.item_version,
            "resident": app.resident,
        },
        "materials": [
            {
                "material": m.material_code,
                "trust": m.trust,
                "name": m.display_name,
                "data_b64": base64.b64encode(files.get(m.sha256)).decode(),
            }
            for m in rows
        ],
    }
    await enqueue(
        session,
        outbox_messages,
        destination=HUB,
        kind=f"intake.{message['action']}",
        key=f"intake:{number}:{round_}",
        payload=message,
        order_key=number,
        now=now,
    )
    await session.execute(
        update(node_applications)
        .where(node_applications.c.number == number)
        .values(state="queued", rounds=round_, updated_at=now)
    )
    await record(
        session,
        audit_events,
        at=now,
        actor=clerk,
        action="intake.submitted",
        subject=f"application:{number}",
        detail={"round": round_, "materials": len(rows)},
    )
    return str(message["action"])
