"""Taking applications in at the branch, with or without the hub."""

from __future__ import annotations

import base64
from collections.abc import Mapping
from dataclasses import dataclass, replace
from datetime import date, datetime
from typing import Any
from zoneinfo import ZoneInfo

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
from overseas_node.intake.model import (
    Line,
    LineStatus,
    check_promises,
    checklist,
    latest_per_material,
    open_notice,
    readiness,
)
from overseas_node.intake.tables import catalogue_copy, node_applications, node_materials

__all__ = [
    "HUB",
    "Prepared",
    "SubmitChoice",
    "attach_material",
    "load",
    "materials_of",
    "open_application",
    "prepare",
    "record_refusal",
    "submit",
]

HUB = "hub"  # the outbox destination
EDITABLE_AT_HUB = (None, "correction")  # hub states in which the branch may add materials
BRANCH_ZONE = "Europe/Rome"


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


async def materials_of(session: AsyncSession, number: str) -> list[Any]:
    rows = await session.execute(
        select(node_materials)
        .where(node_materials.c.number == number)
        .order_by(node_materials.c.id)
    )
    return list(rows.all())


@dataclass(frozen=True)
class Prepared:
    """An application with its guide, uploads and the checklist of the round being prepared."""

    app: Any
    guide: dict[str, Any]
    uploads: list[Any]
    notice: Mapping[str, Any] | None
    lines: list[Line]

    @property
    def editable(self) -> bool:
        return self.app.state != "queued" and self.app.hub_state in EDITABLE_AT_HUB


async def prepare(session: AsyncSession, number: str) -> Prepared:
    app = await load(session, number)
    guide = dict((await _guide(session, app.item_code)).guide)
    uploads = await materials_of(session, number)
    notice = open_notice(app.hub_notices) if app.hub_state == "correction" else None
    editable = app.state != "queued" and app.hub_state in EDITABLE_AT_HUB
    lines = checklist(
        guide.get("materials", []),
        uploads,
        round_=app.rounds + 1 if editable else app.rounds,
        notice=notice,
        promised=[p["material"] for p in app.promises],
        sent=not editable,
    )
    return Prepared(app, guide, uploads, notice, lines)


@dataclass(frozen=True)
class SubmitChoice:
    """What the clerk decided on the submit form."""

    confirmed: bool = False  # send despite the warnings
    later: tuple[str, ...] = ()  # 容缺: materials the resident brings later
    due: date | None = None  # ... by this date


async def submit(
    session: AsyncSession,
    *,
    number: str,
    clerk: Principal,
    now: datetime,
    files: FileStore,
    choice: SubmitChoice = SubmitChoice(),
) -> str:
    """Queue the application (or its correction) for the hub in the same transaction.

    Refused while a material is missing (unless promised for later where the item allows it);
    warnings (an unchecked original, a material of the notice not replaced) need ``confirmed``.
    """
    app = await load(session, number)
    if app.state == "queued" or app.hub_state not in EDITABLE_AT_HUB:
        raise Conflict(
            "intake.not_submittable", N_("This application is already on its way to the hub.")
        )
    prepared = await prepare(session, number)
    promises = _promises(prepared, choice, clerk, now)
    lines = prepared.lines
    if promises:
        later = {p["material"] for p in promises}
        lines = [replace(x, status=LineStatus.PROMISED) if x.code in later else x for x in lines]
    state = readiness(lines)
    if state.blocking:
        raise Invalid(
            "intake.incomplete",
            N_("Not submitted: materials are missing. Attach them or record a promise."),
        )
    if state.warnings and not choice.confirmed:
        raise Invalid(
            "intake.unconfirmed",
            N_("Not submitted yet: the hub may return it for the materials marked. Confirm?"),
        )
    round_ = app.rounds + 1
    sent: list[Any] = list(latest_per_material(prepared.uploads, round_).values())
    message = {
        "v": 1,
        "action": "submit" if round_ == 1 else "resubmit",
        "branch": clerk.branch,
        "clerk": app.clerk if round_ == 1 else clerk.subject,
        "round": round_,
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
            for m in sent
        ],
        "promises": promises,
    }
    # After a refusal the message goes again under a new key (the hub never stored the old one)
    # and a new order key: the dead message must not hold it back, it is replaced, not retried.
    again = f".{app.sends + 1}" if app.sends >= round_ else ""
    await enqueue(
        session,
        outbox_messages,
        destination=HUB,
        kind=f"intake.{message['action']}",
        key=f"intake:{number}:{round_}{again}",
        payload=message,
        order_key=number + again,
        now=now,
    )
    await session.execute(
        update(node_applications)
        .where(node_applications.c.number == number)
        .values(
            state="queued",
            rounds=round_,
            sends=app.sends + 1,
            refusal=None,
            promises=promises or app.promises,
            updated_at=now,
        )
    )
    await record(
        session,
        audit_events,
        at=now,
        actor=clerk,
        action="intake.submitted",
        subject=f"application:{number}",
        detail={"round": round_, "materials": len(sent), "promises": promises},
    )
    return str(message["action"])


def _promises(
    prepared: Prepared, choice: SubmitChoice, clerk: Principal, now: datetime
) -> list[dict[str, str]]:
    """The 容缺 promises of a first submission, checked against the guide."""
    missing = {x.code for x in prepared.lines if x.status is LineStatus.MISSING}
    later = sorted(set(choice.later) & missing) if prepared.notice is None else []
    today = now.astimezone(ZoneInfo(str(prepared.app.resident.get("zone") or BRANCH_ZONE))).date()
    check_promises(prepared.guide, later, choice.due, today=today)
    return [
        {
            "material": code,
            "due": choice.due.isoformat() if choice.due else "",
            "recorded_by": clerk.subject,
            "at": now.isoformat(),
        }
        for code in later
    ]


async def record_refusal(
    session: AsyncSession,
    *,
    number: str,
    round_: int | None,
    problem: Mapping[str, Any],
    now: datetime,
) -> None:
    """The hub refused the message of ``round_``: the clerk sees why and may send again.

    The hub stored nothing of it, so its materials belong to the round being prepared again."""
    app = await load(session, number)
    round_ = app.rounds if round_ is None else round_
    refusal = {
        "code": str(problem.get("code") or "link.gave_up")[:80],
        "title": str(problem.get("title") or "")[:500],
        "round": round_,
        "at": now.isoformat(),
    }
    await session.execute(
        update(node_applications)
        .where(node_applications.c.number == number)
        .values(
            state="refused",
            rounds=min(app.rounds, round_ - 1),
            refusal=refusal,
            updated_at=now,
        )
    )
    await record(
        session,
        audit_events,
        at=now,
        actor="hub-link",
        action="intake.refused",
        subject=f"application:{number}",
        detail=refusal,
    )
