"""Reading and publishing the catalogue."""

from __future__ import annotations

from datetime import datetime
from typing import Any

from sqlalchemy import func, select, update
from sqlalchemy.ext.asyncio import AsyncSession

from common.errors import N_, NotFound
from hub.catalogue.data import ITEMS, guide_for
from hub.catalogue.tables import ServiceItem

__all__ = ["current_items", "get_item", "publish", "seed_catalogue"]


async def current_items(session: AsyncSession, *, category: str | None = None) -> list[ServiceItem]:
    query = select(ServiceItem).where(ServiceItem.current.is_(True)).order_by(ServiceItem.code)
    if category:
        query = query.where(ServiceItem.category == category)
    return list((await session.scalars(query)).all())


async def get_item(session: AsyncSession, code: str, version: int | None = None) -> ServiceItem:
    query = select(ServiceItem).where(ServiceItem.code == code)
    query = query.where(
        ServiceItem.version == version if version is not None else ServiceItem.current.is_(True)
    )
    item = await session.scalar(query)
    if item is None:
        raise NotFound(
            "catalogue.unknown_item", N_("No service item {code}."), params={"code": code}
        )
    return item


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


async def seed_catalogue(session: AsyncSession, now: datetime) -> int:
    """Publish version 1 of the first batch of items unless the catalogue has any."""
    if await session.scalar(select(func.count()).select_from(ServiceItem)):
        return 0
    for item in ITEMS:
        await publish(session, guide_for(item), now)
    return len(ITEMS)
