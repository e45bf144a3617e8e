"""Application lifecycle handlers: load, apply the model's rules, record, audit."""

from __future__ import annotations

import hashlib
import hmac
from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any, cast

from sqlalchemy import Table, insert, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import Principal, Role, Scope
from common.audit import audit_row, record
from common.errors import N_, Conflict, Invalid, NotFound
from common.numbers import hash_query_code, new_number, new_query_code
from common.uploads import Upload, mark_checked
from hub.applications.deadlines import add_working_days
from hub.applications.model import (
    MaterialState,
    RatingLevel,
    State,
    TrustLevel,
    check_transition,
    find_deficiencies,
    needs_follow_up,
    pending_allowed,
)
from hub.applications.storage import MaterialStore
from hub.applications.tables import (
    Application,
    ApplicationEvent,
    ApplicationMaterial,
    DeficiencyNotice,
    Rating,
)
from hub.calendars.service import working_days
from hub.catalogue.service import current_versions, get_item, item_version, unknown_item
from hub.db import audit_events
from hub.govnet.service import forward_to_govnet
from hub.zone import hub_zone

__all__ = [
    "Opened",
    "Order",
    "Resident",
    "accept",
    "advance",
    "attach_material",
    "hash_query_code",
    "load_by_code",
    "load_for",
    "material_states",
    "open_application",
    "open_applications",
    "rate",
    "reject",
    "return_for_correction",
    "submit",
]

PENDING_WORKING_DAYS = 10


@dataclass(frozen=True)
class Resident:
    name: str
    document: str
    country: str
    zone: str
    lang: str


@dataclass(frozen=True)
class TakenIn:
    """What a branch node decided when it took the application in."""

    number: str
    query_code_hash: str
    item_version: int


async def audit_decision(
    session: AsyncSession,
    actor: Principal,
    now: datetime,
    action: str,
    app: Application,
    detail: dict[str, Any] | None = None,
) -> None:
    await record(
        session,
        audit_events,
        at=now,
        actor=actor,
        action=action,
        subject=f"application:{app.number}",
        detail=detail or {},
    )


async def _transition(
    session: AsyncSession,
    app: Application,
    target: State,
    actor: Principal,
    now: datetime,
    note: dict[str, Any] | None = None,
) -> None:
    current = State(app.state)
    check_transition(current, target)
    app.state = target.value
    session.add(
        ApplicationEvent(
            application_id=app.id,
            at=now,
            actor=actor.subject,
            from_state=current.value,
            to_state=target.value,
            note=note or {},
        )
    )
    await audit_decision(session, actor, now, f"application.{target.value}", app, note)


def _application_row(
    *,
    number: str,
    query_code_hash: str,
    item_code: str,
    version: int,
    resident: Resident,
    actor: Principal,
    branch: str,
    now: datetime,
) -> dict[str, Any]:
    return {
        "number": number,
        "query_code_hash": query_code_hash,
        "item_code": item_code,
        "item_version": version,
        "branch": branch,
        "owner": actor.subject,
        "resident_name": resident.name,
        "resident_document": resident.document,
        "resident_country": resident.country,
        "resident_zone": resident.zone,
        "resident_lang": resident.lang,
        "state": State.DRAFT.value,
        "created_at": now,
    }


def _opened_event(
    application_id: int, actor: Principal, now: datetime, note: Any
) -> dict[str, Any]:
    return {
        "application_id": application_id,
        "at": now,
        "actor": actor.subject,
        "from_state": None,
        "to_state": State.DRAFT.value,
        "note": note,
    }


async def open_application(
    session: AsyncSession,
    *,
    item_code: str,
    resident: Resident,
    actor: Principal,
    branch: str,
    now: datetime,
    taken_in: TakenIn | None = None,
) -> tuple[Application, str]:
    """Open a draft. ``taken_in`` carries the number, query-code hash and guide version a branch
    node already gave the resident while it worked on its own; the hub keeps them.

    A new number is random (40 bits a branch a day) and not checked first: should it meet one
    already taken, the unique index refuses the insert and the caller opens it again in a new
    transaction, which costs nothing on the way every other request takes."""
    version = await item_version(session, item_code, taken_in.item_version if taken_in else None)
    query_code = "" if taken_in else new_query_code()
    app = Application(
        **_application_row(
            number=taken_in.number if taken_in else new_number(branch, now),
            query_code_hash=taken_in.query_code_hash if taken_in else hash_query_code(query_code),
            item_code=item_code,
            version=version,
            resident=resident,
            actor=actor,
            branch=branch,
            now=now,
        )
    )
    session.add(app)
    await session.flush()
    note = {"item": item_code, "version": version}
    await session.execute(insert(ApplicationEvent).values(_opened_event(app.id, actor, now, note)))
    await audit_decision(session, actor, now, "application.opened", app, note)
    return app, query_code


@dataclass(frozen=True)
class Order:
    """One application to open, as the intake routes receive it."""

    item_code: str
    resident: Resident
    actor: Principal
    branch: str
    now: datetime


@dataclass(frozen=True)
class Opened:
    number: str
    query_code: str


async def open_applications(
    session: AsyncSession, orders: Sequence[Order]
) -> list[Opened | Exception]:
    """Open several drafts at once, with one statement per table (a batch of the group commit
    in ``hub.applications.routes``); the rows are those :func:`open_application` writes. An
    order naming an unknown item is refused alone."""
    versions = await current_versions(session, {o.item_code for o in orders})
    outcomes: list[Opened | Exception] = []
    rows: list[dict[str, Any]] = []
    taken: list[tuple[Order, int]] = []
    for order in orders:
        version = versions.get(order.item_code)
        if version is None:
            outcomes.append(unknown_item(order.item_code))
            continue
        code = new_query_code()
        row = _application_row(
            number=new_number(order.branch, order.now),
            query_code_hash=hash_query_code(code),
            item_code=order.item_code,
            version=version,
            resident=order.resident,
            actor=order.actor,
            branch=order.branch,
            now=order.now,
        )
        rows.append(row)
        taken.append((order, version))
        outcomes.append(Opened(row["number"], code))
    if not rows:
        return outcomes
    # Core statements on the tables: the ORM's bulk path costs more CPU than the database does
    # here, and these rows need nothing from it (no relationships, no identity map)
    table, event_table = cast(Table, Application.__table__), cast(Table, ApplicationEvent.__table__)
    ids = await session.scalars(
        insert(table).returning(table.c.id, sort_by_parameter_order=True), rows
    )
    events, audits = [], []
    for application_id, row, (order, version) in zip(ids, rows, taken, strict=True):
        note = {"item": order.item_code, "version": version}
        events.append(_opened_event(application_id, order.actor, order.now, note))
        audits.append(
            audit_row(
                at=order.now,
                actor=order.actor,
                action="application.opened",
                subject=f"application:{row['number']}",
                detail=note,
            )
        )
    await session.execute(insert(event_table), events)
    await session.execute(insert(audit_events), audits)
    return outcomes


def visible_to(app: Application, principal: Principal, scope: Scope) -> bool:
    if scope is Scope.OWN_BRANCH or principal.role in (Role.CLERK, Role.NODE):
        return app.branch == principal.branch
    return True


async def load_for(
    session: AsyncSession,
    number: str,
    principal: Principal,
    scope: Scope = Scope.ANY,
    *,
    lock: bool = False,
) -> Application:
    """An application the caller may see; another branch's is simply not found (404)."""
    query = select(Application).where(Application.number == number)
    if lock:
        query = query.with_for_update()
    app = await session.scalar(query)
    if app is None or not visible_to(app, principal, scope):
        raise NotFound(
            "application.not_found", N_("No application {number}."), params={"number": number}
        )
    return app


async def load_by_code(session: AsyncSession, number: str, query_code: str) -> Application:
    app = await session.scalar(select(Application).where(Application.number == number))
    if app is None or not hmac.compare_digest(app.query_code_hash, hash_query_code(query_code)):
        raise NotFound(
            "application.not_found_by_code", N_("No application with this number and query code.")
        )
    return app


async def held_materials(session: AsyncSession, app: Application) -> list[ApplicationMaterial]:
    rows = await session.scalars(
        select(ApplicationMaterial)
        .where(
            ApplicationMaterial.application_id == app.id, ApplicationMaterial.status != "superseded"
        )
        .order_by(ApplicationMaterial.id)
    )
    return list(rows.all())


async def material_states(session: AsyncSession, app: Application) -> dict[str, MaterialState]:
    states: dict[str, MaterialState] = {}
    for m in await held_materials(session, app):
        if m.status == "held" and m.trust:
            states[m.material_code] = MaterialState(
                m.material_code, TrustLevel(m.trust), m.invalid_reason
            )
    return states


async def _required(session: AsyncSession, app: Application) -> tuple[dict[str, Any], list[Any]]:
    item = await get_item(session, app.item_code, app.item_version)
    return item.guide, list(item.guide["materials"])


async def submit(
    session: AsyncSession, *, app: Application, actor: Principal, now: datetime
) -> None:
    """Submit a draft, or resubmit against the deficiency notice once every item is put right."""
    if app.state == State.CORRECTION.value:
        _guide, required = await _required(session, app)
        remaining = find_deficiencies(required, await material_states(session, app))
        if remaining:
            raise Conflict(
                "application.still_deficient",
                N_("Still missing or invalid: {codes}."),
                params={"codes": ", ".join(d.material for d in remaining)},
            )
        notice = await open_notice(session, app)
        if notice is not None:
            notice.resolved_at = now
    await _transition(session, app, State.SUBMITTED, actor, now)
    app.submitted_at = now


async def open_notice(session: AsyncSession, app: Application) -> DeficiencyNotice | None:
    return await session.scalar(
        select(DeficiencyNotice).where(
            DeficiencyNotice.application_id == app.id, DeficiencyNotice.resolved_at.is_(None)
        )
    )


async def return_for_correction(
    session: AsyncSession,
    *,
    app: Application,
    invalid: dict[str, str],
    actor: Principal,
    now: datetime,
) -> DeficiencyNotice:
    """One notice naming every missing, unchecked or invalid material at once (一次性告知)."""
    check_transition(State(app.state), State.CORRECTION)
    _guide, required = await _required(session, app)
    known = {m["code"] for m in required}
    unknown = sorted(set(invalid) - known)
    if unknown:
        raise Invalid(
            "application.unknown_material",
            N_("Unknown material: {codes}."),
            params={"codes": ", ".join(unknown)},
        )
    unexplained = [code for code, reason in invalid.items() if not reason.strip()]
    if unexplained:
        raise Invalid(
            "application.reason_per_material",
            N_("Give a reason for each material you name in the notice."),
            params={"codes": ", ".join(unexplained)},
        )
    invalid = {code: reason.strip() for code, reason in invalid.items()}
    for m in await held_materials(session, app):
        if m.material_code in invalid and m.status == "held":
            m.invalid_reason = invalid[m.material_code]
    await session.flush()
    found = find_deficiencies(required, await material_states(session, app))
    if not found:
        raise Conflict(
            "application.nothing_to_correct",
            N_("Every material is present and valid; accept or reject instead."),
        )
    # a reason given for a material that is missing altogether tells the resident what to bring
    items = [
        {
            "material": d.material,
            "problem": d.problem,
            "detail": d.detail or invalid.get(d.material, ""),
        }
        for d in found
    ]
    notice = DeficiencyNotice(
        application_id=app.id, issued_at=now, issued_by=actor.subject, items=items
    )
    session.add(notice)
    await _transition(session, app, State.CORRECTION, actor, now, {"deficiencies": items})
    return notice


async def accept(
    session: AsyncSession, *, app: Application, pending: list[str], actor: Principal, now: datetime
) -> None:
    """Accept (受理) and queue the case for the provincial platform in the same transaction."""
    guide, required = await _required(session, app)
    check_transition(State(app.state), State.ACCEPTED)
    pending_allowed(guide, required, pending)
    remaining = find_deficiencies(required, await material_states(session, app), pending=pending)
    if remaining:
        raise Conflict(
            "application.deficient",
            N_("Cannot accept: missing or invalid materials: {codes}."),
            params={"codes": ", ".join(d.material for d in remaining)},
        )
    today = now.astimezone(hub_zone()).date()
    app.accepted_at = now
    calendar = await working_days(session, "CN", today)
    app.deadline = add_working_days(today, int(guide["promised_days"]), calendar)
    due = min(add_working_days(today, PENDING_WORKING_DAYS, calendar), app.deadline)
    for code in pending:
        session.add(
            ApplicationMaterial(
                application_id=app.id,
                material_code=code,
                status="pending",
                pending_due=due,
                recorded_at=now,
            )
        )
    await _transition(
        session,
        app,
        State.ACCEPTED,
        actor,
        now,
        {"deadline": app.deadline.isoformat(), "pending": pending},
    )
    # accepted means forwarded: the platform's message commits with the acceptance
    await advance(session, app=app, target=State.FORWARDED, actor=actor, now=now)


async def reject(
    session: AsyncSession, *, app: Application, reasons: list[str], actor: Principal, now: datetime
) -> None:
    if not any(r.strip() for r in reasons):
        raise Invalid("application.reason_required", N_("A rejection states at least one reason."))
    await _transition(session, app, State.REJECTED, actor, now, {"reasons": reasons})


async def advance(
    session: AsyncSession,
    *,
    app: Application,
    target: State,
    actor: Principal,
    now: datetime,
    note: dict[str, Any] | None = None,
) -> None:
    """Forwarded, in process, completed: moves that carry no rule beyond the state machine."""
    if target not in (State.FORWARDED, State.IN_PROCESS, State.COMPLETED):
        raise Invalid("application.bad_target", N_("Unknown target state."))
    if target is State.COMPLETED and any(
        m.status == "pending" for m in await held_materials(session, app)
    ):
        raise Conflict(
            "application.pending_open",
            N_("Materials accepted as still to come have not arrived yet."),
        )
    await _transition(session, app, target, actor, now, note)
    if target is State.COMPLETED:
        app.completed_at = now
    if target is State.FORWARDED:  # in the same transaction: forwarded means queued for delivery
        await forward_to_govnet(
            session, reference=app.number, payload=await platform_case(session, app), now=now
        )


async def platform_case(session: AsyncSession, app: Application) -> dict[str, Any]:
    """The case document the provincial platform receives for an accepted application."""
    return {
        "item_code": app.item_code,
        "item_version": app.item_version,
        "branch": app.branch,
        "accepted_at": app.accepted_at.isoformat() if app.accepted_at else None,
        "deadline": app.deadline.isoformat() if app.deadline else None,
        "applicant": {
            "name": app.resident_name,
            "document": app.resident_document,
            "country": app.resident_country,
        },
        "materials": [
            {"material": m.material_code, "trust": m.trust, "sha256": m.sha256}
            for m in await held_materials(session, app)
            if m.status == "held"
        ],
    }


async def attach_material(
    session: AsyncSession,
    *,
    app: Application,
    material_code: str,
    trust: TrustLevel,
    upload: Upload,
    actor: Principal,
    now: datetime,
    store: MaterialStore,
) -> tuple[ApplicationMaterial, bool]:
    """Attach one material; returns it and whether a new file was written (to undo on failure).

    Drafts and applications returned for correction take any material of their guide; an
    accepted one takes only the materials it was accepted without (容缺).
    """
    _guide, required = await _required(session, app)
    if material_code not in {m["code"] for m in required}:
        raise Invalid(
            "application.unknown_material",
            N_("Unknown material: {codes}."),
            params={"codes": material_code},
        )
    current = [m for m in await held_materials(session, app) if m.material_code == material_code]
    filling_pending = any(m.status == "pending" for m in current)
    if app.state not in (State.DRAFT.value, State.CORRECTION.value) and not filling_pending:
        raise Conflict(
            "application.materials_closed",
            N_("Materials can be added only to a draft or during correction."),
        )
    data = upload.data
    if trust is TrustLevel.B:
        data = mark_checked(upload, branch=app.branch, clerk=actor.subject, at=now)
    key = hashlib.sha256(data).hexdigest()
    for m in current:
        m.status = "superseded"
    material = ApplicationMaterial(
        application_id=app.id,
        material_code=material_code,
        status="held",
        trust=trust.value,
        display_name=upload.display_name,
        content_type=upload.content_type,
        sha256=key,
        size=len(data),
        checked_by=actor.subject if trust is TrustLevel.B else None,
        recorded_at=now,
    )
    session.add(material)
    await session.flush()
    await audit_decision(
        session,
        actor,
        now,
        "application.material",
        app,
        {"material": material_code, "trust": trust.value, "sha256": key},
    )
    return material, store.put(key, data)


async def rate(
    session: AsyncSession, *, app: Application, level: RatingLevel, comment: str, now: datetime
) -> Rating:
    """好差评 after completion, once; a poor rating opens a follow-up task for the office."""
    if app.state != State.COMPLETED.value:
        raise Conflict(
            "rating.not_completed", N_("A service can be rated once the application is completed.")
        )
    if await session.scalar(select(Rating).where(Rating.application_id == app.id)):
        raise Conflict("rating.already_rated", N_("This application has already been rated."))
    rating = Rating(
        application_id=app.id,
        level=int(level),
        comment=comment.strip(),
        at=now,
        follow_up="open" if needs_follow_up(level) else "none",
    )
    session.add(rating)
    await record(
        session,
        audit_events,
        at=now,
        actor=f"resident:{app.number}",
        action="application.rated",
        subject=f"application:{app.number}",
        detail={"level": int(level), "follow_up": rating.follow_up},
    )
    return rating
