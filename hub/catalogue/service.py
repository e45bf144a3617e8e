"""Reading and publishing the catalogue."""

from __future__ import annotations

import json
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from aiohttp import web
from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.errors import N_, NotFound
from hub.catalogue.model import CatalogueFile, guides, parse_catalogue
from hub.catalogue.tables import ServiceItem

__all__ = [
    "OFFICE_CONTACT",
    "SHIPPED",
    "OfficeContact",
    "PublishReport",
    "categories",
    "current_items",
    "current_versions",
    "get_item",
    "item_version",
    "publish",
    "publish_catalogue",
    "read_catalogue",
    "seed_catalogue",
    "unknown_item",
]

# the first batch of 59 items, as the branch offers them
SHIPPED = Path(__file__).with_name("catalogue.json")


@dataclass(frozen=True)
class OfficeContact:
    """How residents reach the office; shown with every guide, kept in the hub's settings."""

    phone: str
    email: str

    def __str__(self) -> str:
        return f"{self.phone} · {self.email}"


OFFICE_CONTACT = web.AppKey("office_contact", OfficeContact)


@dataclass(frozen=True)
class PublishReport:
    changed: tuple[str, ...]  # codes that got a new version
    unchanged: int
    not_in_file: tuple[str, ...]  # current items the file does not list (left as they are)

    def __str__(self) -> str:
        text = f"{len(self.changed)} items published, {self.unchanged} unchanged"
        if self.not_in_file:
            text += f"; not in the file and left as they are: {', '.join(self.not_in_file)}"
        return text


def read_catalogue(path: Path) -> CatalogueFile:
    """The catalogue file at ``path``, validated (``CatalogueInvalid`` names the field)."""
    return parse_catalogue(path.read_text(encoding="utf-8"))


async def current_items(session: AsyncSession, *, category: str | None = None) -> list[ServiceItem]:
    query = select(ServiceItem).where(ServiceItem.current.is_(True)).order_by(ServiceItem.code)
    if category:
        query = query.where(ServiceItem.category == category)
    return list((await session.scalars(query)).all())


async def categories(session: AsyncSession) -> set[str]:
    """The categories of the published items: the one source for what a category may be."""
    query = select(ServiceItem.category).where(ServiceItem.current.is_(True)).distinct()
    return set((await session.scalars(query)).all())


async def _one(session: AsyncSession, column: Any, code: str, version: int | None) -> Any:
    """``column`` of item ``code`` at ``version`` (the current one if None); 404 if none."""
    query = select(column).where(ServiceItem.code == code)
    query = query.where(
        ServiceItem.version == version if version is not None else ServiceItem.current.is_(True)
    )
    found = await session.scalar(query)
    if found is None:
        raise unknown_item(code)
    return found


def unknown_item(code: str) -> NotFound:
    return NotFound("catalogue.unknown_item", N_("No service item {code}."), params={"code": code})


async def current_versions(session: AsyncSession, codes: set[str]) -> dict[str, int]:
    """The current version of each item of ``codes`` that exists (one query for a batch)."""
    rows = await session.execute(
        select(ServiceItem.code, ServiceItem.version).where(
            ServiceItem.code.in_(codes), ServiceItem.current.is_(True)
        )
    )
    return {code: int(version) for code, version in rows}


async def get_item(session: AsyncSession, code: str, version: int | None = None) -> ServiceItem:
    item: ServiceItem = await _one(session, ServiceItem, code, version)
    return item


async def item_version(session: AsyncSession, code: str, version: int | None = None) -> int:
    """The version an application is opened under (the current one, or ``version`` if it
    exists), read without loading the guide itself: the intake path needs only the number."""
    return int(await _one(session, ServiceItem.version, code, version))


async def publish(session: AsyncSession, guide: dict[str, Any], now: datetime) -> ServiceItem:
    """Publish a new version of a guide; applications keep the version they were opened under."""
    latest = await session.scalar(
        select(func.max(ServiceItem.version)).where(ServiceItem.code == guide["code"])
    )
    await session.execute(
        update(ServiceItem).where(ServiceItem.code == guide["code"]).values(current=False)
    )
    item = ServiceItem(
        code=guide["code"],
        version=(latest or 0) + 1,
        current=True,
        category=guide["category"],
        name_zh=guide["name_zh"],
        name_en=guide["name_en"],
        promised_days=guide["promised_days"],
        statutory_days=guide["statutory_days"],
        guide=guide,
        published_at=now,
    )
    session.add(item)
    await session.flush()
    return item


def _canonical(guide: dict[str, Any]) -> str:
    return json.dumps(guide, sort_keys=True, ensure_ascii=False)


async def publish_catalogue(
    session: AsyncSession, catalogue: CatalogueFile, now: datetime
) -> PublishReport:
    """A new version of every item whose guide differs from its current one; nothing else."""
    current = {item.code: item for item in await current_items(session)}
    changed: list[str] = []
    for guide in guides(catalogue):
        stored = current.pop(guide["code"], None)
        if stored is not None and _canonical(stored.guide) == _canonical(guide):
            continue
        await publish(session, guide, now)
        changed.append(guide["code"])
    unchanged = len(catalogue.items) - len(changed)
    return PublishReport(tuple(changed), unchanged, tuple(sorted(current)))


async def seed_catalogue(session: AsyncSession, now: datetime) -> int:
    """Publish the shipped catalogue into a hub that has none.

    Later changes come from the office through ``qiaolink catalogue publish FILE``; seeding
    again never overwrites what the office published.
    """
    if await session.scalar(select(func.count()).select_from(ServiceItem)):
        return 0
    report = await publish_catalogue(session, read_catalogue(SHIPPED), now)
    return len(report.changed)
