"""A realistic day of applications for the demo, so that every page has something to click:
Milan and Paris residents' applications in every state, one returned with its notice, one
concluded and waiting for its rating, one past its deadline.

They go through the same service functions as the pages (open, attach, submit, decide), each
at its own time of the day before, so history, deadlines and audit entries are what real work
leaves behind. Seeding twice adds nothing: a hub that holds applications is left alone.
"""

from __future__ import annotations

import io
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime, timedelta
from typing import Any

from PIL import Image, ImageDraw
from sqlalchemy import func, select
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import Principal, Role
from common.uploads import inspect_upload
from hub.applications import service
from hub.applications.model import RatingLevel, State, TrustLevel
from hub.applications.platform import PLATFORM
from hub.applications.storage import MaterialStore
from hub.applications.tables import Application
from hub.catalogue.service import get_item

__all__ = ["DemoApplication", "seed_applications"]

OFFICER = Principal("officer.wz", Role.OFFICER, branch="WZ", display_name="Zhou Min 周敏")


@dataclass(frozen=True)
class DemoApplication:
    """What the demo tells its user about one seeded application."""

    number: str
    query_code: str
    state: str
    note: str  # what it shows, for the credentials file


@dataclass(frozen=True)
class _Plan:
    item: str
    branch: str
    resident: service.Resident
    days_ago: int
    steps: tuple[str, ...]  # submit, return, accept, process, complete, rate, reject
    note: str
    unchecked: tuple[str, ...] = ()  # materials uploaded without the clerk's check


def _resident(name: str, document: str, country: str, zone: str, lang: str) -> service.Resident:
    return service.Resident(name, document, country, zone, lang)


PLANS = (
    _Plan(
        "HR-001",
        "MIL",
        _resident("Hu Xiaoming 胡小明", "E1234567", "IT", "Europe/Rome", "it"),
        0,
        ("submit",),
        "submitted, waiting for the officer",
    ),
    _Plan(
        "RE-002",
        "MIL",
        _resident("Zhou Li 周丽", "E2345678", "IT", "Europe/Rome", "zh"),
        1,
        ("submit", "return"),
        "returned with a deficiency notice",
        unchecked=("passport",),
    ),
    _Plan(
        "SS-001",
        "PAR",
        _resident("Wang Jun 王军", "E3456789", "FR", "Europe/Paris", "zh"),
        0,
        ("submit",),
        "submitted at the Paris branch",
    ),
    _Plan(
        "SS-001",
        "MIL",
        _resident("Sun Yue 孙悦", "E0123456", "IT", "Europe/Rome", "it"),
        0,
        ("submit",),
        "submitted: a life certificate to check",
    ),
    _Plan(
        "HR-005",
        "MIL",
        _resident("Lin Na 林娜", "E4567890", "IT", "Europe/Rome", "it"),
        2,
        ("submit", "accept"),
        "accepted and forwarded to the platform",
    ),
    _Plan(
        "HR-001",
        "PAR",
        _resident("Chen Hao 陈浩", "E5678901", "FR", "Europe/Paris", "en"),
        3,
        ("submit", "accept", "process"),
        "being processed by the department",
    ),
    _Plan(
        "HR-005",
        "MIL",
        _resident("Ye Qing 叶青", "E6789012", "IT", "Europe/Rome", "it"),
        45,
        ("submit", "accept", "process"),
        "past its deadline (overdue)",
    ),
    _Plan(
        "HR-001",
        "MIL",
        _resident("Xu Ming 徐明", "E7890123", "IT", "Europe/Rome", "it"),
        6,
        ("submit", "accept", "process", "complete"),
        "concluded, waiting for the resident's rating",
    ),
    _Plan(
        "HR-005",
        "PAR",
        _resident("Zheng Hua 郑华", "E8901234", "FR", "Europe/Paris", "zh"),
        8,
        ("submit", "accept", "process", "complete", "rate"),
        "concluded and rated",
    ),
    _Plan(
        "SS-001",
        "MIL",
        _resident("Guo Ping 郭平", "E9012345", "IT", "Europe/Rome", "en"),
        2,
        ("submit", "reject"),
        "rejected with a reason",
    ),
)


def _scan(title: str, pdf: bool) -> tuple[bytes, str]:
    """A plain page with the material's name on it, as a branch scanner would send."""
    image = Image.new("RGB", (620, 420), "white")
    ImageDraw.Draw(image).text((30, 30), title, fill="black")
    out = io.BytesIO()
    image.save(out, format="PDF" if pdf else "PNG")
    return out.getvalue(), f"{title}.{'pdf' if pdf else 'png'}"


async def _materials(
    session: AsyncSession,
    app: Application,
    plan: _Plan,
    clerk: Principal,
    now: datetime,
    store: MaterialStore,
) -> None:
    guide = (await get_item(session, app.item_code, app.item_version)).guide
    for material in guide["materials"]:
        code = material["code"]
        data, name = _scan(
            material["name_en"], "pdf" in material["formats"] and code.endswith("form")
        )
        trust = (
            TrustLevel.C
            if code in plan.unchecked or not material["original_required"]
            else TrustLevel.B
        )
        await service.attach_material(
            session,
            app=app,
            material_code=code,
            trust=trust,
            upload=inspect_upload(data, name),
            actor=clerk,
            now=now,
            store=store,
        )


Step = Callable[[AsyncSession, Application, datetime], Any]


async def _return(session: AsyncSession, app: Application, at: datetime) -> None:
    await service.return_for_correction(
        session,
        app=app,
        invalid={
            "property_certificate": "产权人姓名与护照不一致 / owner's name differs from passport"
        },
        actor=OFFICER,
        now=at,
    )


STEPS: dict[str, Step] = {
    "accept": lambda s, a, at: service.accept(s, app=a, pending=[], actor=OFFICER, now=at),
    "return": _return,
    "reject": lambda s, a, at: service.reject(
        s,
        app=a,
        reasons=["申请人户籍不在本县 / the applicant's household is not registered in the county"],
        actor=OFFICER,
        now=at,
    ),
    "process": lambda s, a, at: service.advance(
        s, app=a, target=State.IN_PROCESS, actor=PLATFORM, now=at, note={"platform": "in_process"}
    ),
    "complete": lambda s, a, at: service.advance(
        s, app=a, target=State.COMPLETED, actor=PLATFORM, now=at, note={"platform": "completed"}
    ),
    "rate": lambda s, a, at: service.rate(
        s, app=a, level=RatingLevel.VERY_SATISFIED, comment="办理很快，不用回国。", now=at
    ),
}


async def seed_applications(
    session: AsyncSession, *, store: MaterialStore, now: datetime
) -> list[DemoApplication]:
    """The demo's applications, unless the hub holds some already."""
    if await session.scalar(select(func.count()).select_from(Application)):
        return []
    seeded = []
    for plan in PLANS:
        opened_at = now - timedelta(days=plan.days_ago, hours=3)
        clerk = Principal(f"clerk.{plan.branch.lower()}", Role.CLERK, branch=plan.branch)
        app, code = await service.open_application(
            session,
            item_code=plan.item,
            resident=plan.resident,
            actor=clerk,
            branch=plan.branch,
            now=opened_at,
        )
        await _materials(session, app, plan, clerk, opened_at, store)
        await service.submit(session, app=app, actor=clerk, now=opened_at + timedelta(minutes=20))
        for hours, step in enumerate(plan.steps[1:], start=1):
            await STEPS[step](session, app, opened_at + timedelta(hours=hours))
        await session.flush()
        seeded.append(DemoApplication(app.number, code, app.state, plan.note))
    return seeded
