"""Publishing the office's reference data into a hub: ``qiaolink catalogue|calendar publish FILE``.

The file is read and validated whole before the database is touched, so an invalid file
publishes nothing; a valid one is published in one transaction with one audit entry per
changed item or year, and a running hub shows it on the next page load (pages read the store).
"""

from __future__ import annotations

from collections.abc import Awaitable, Callable
from datetime import datetime
from pathlib import Path
from typing import Literal

from sqlalchemy.ext.asyncio import AsyncSession

from common.audit import record
from common.db import Database, current_revisions, head_revisions
from common.service import NotMigrated
from common.settings import HubSettings
from hub.calendars.service import publish_calendar, read_calendar
from hub.catalogue.service import publish_catalogue, read_catalogue
from hub.db import audit_events

__all__ = ["Kind", "publish_file"]

Kind = Literal["catalogue", "calendar"]
MIGRATIONS = "hub:migrations"


Apply = Callable[[AsyncSession], Awaitable[tuple[str, list[str]]]]


def _reader(kind: Kind, path: Path, now: datetime) -> Apply:
    """Read and validate the file now; the returned step publishes it into a session."""
    if kind == "catalogue":
        catalogue = read_catalogue(path)

        async def items(session: AsyncSession) -> tuple[str, list[str]]:
            report = await publish_catalogue(session, catalogue, now)
            return str(report), [f"service_item:{code}" for code in report.changed]

        return items
    calendar = read_calendar(path)

    async def years(session: AsyncSession) -> tuple[str, list[str]]:
        report = await publish_calendar(session, calendar, now)
        return str(report), [f"calendar:{name}" for name in report.changed]

    return years


async def publish_file(settings: HubSettings, kind: Kind, path: Path, now: datetime) -> str:
    """Publish ``path`` into the hub's database; returns what changed, in one line.

    Raises ``CatalogueInvalid`` / ``CalendarInvalid`` (naming the field) before any write.
    """
    apply = _reader(kind, path, now)
    db = Database(settings.resolved_database_url())
    try:
        if await current_revisions(db.engine) != head_revisions(MIGRATIONS):
            raise NotMigrated("the hub database is not migrated: run `qiaolink migrate hub`")
        async with db.transaction() as session:
            summary, subjects = await apply(session)
            for subject in subjects:
                await record(
                    session,
                    audit_events,
                    at=now,
                    actor="qiaolink-cli",
                    action=f"{kind}.published",
                    subject=subject,
                    detail={"file": path.name},
                )
    finally:
        await db.close()
    return summary
