"""Statuses from the provincial platform move the application they belong to."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import Principal, Role
from hub.applications import service
from hub.applications.model import State
from hub.applications.tables import Application, ApplicationEvent
from hub.govnet.model import PlatformStatus

__all__ = ["PLATFORM", "ApplicationStatusSink"]

PLATFORM = Principal(subject="govnet", role=Role.PLATFORM, display_name="Provincial platform")

# the states an application passes through for each platform status, in order
_PATH = {
    "in_process": (State.IN_PROCESS,),
    "completed": (State.IN_PROCESS, State.COMPLETED),
}


class ApplicationStatusSink:
    """Registered with the platform link: runs in the transaction that records a new status."""

    async def platform_status(
        self, session: AsyncSession, update: PlatformStatus, *, now: datetime
    ) -> None:
        app = await session.scalar(
            select(Application).where(Application.number == update.reference)
        )
        if app is None:
            return  # not an application of ours (the platform knows other references)
        if update.status == "returned":
            session.add(
                ApplicationEvent(
                    application_id=app.id,
                    at=now,
                    actor=PLATFORM.subject,
                    from_state=app.state,
                    to_state=app.state,
                    note={"platform": "returned", "reason": update.reason, "case": update.case_no},
                )
            )
            await service.audit_decision(
                session,
                PLATFORM,
                now,
                "application.platform_returned",
                app,
                {"reason": update.reason},
            )
            return
        for target in _PATH.get(update.status, ()):
            if app.state in (State.FORWARDED.value, State.IN_PROCESS.value) and (
                app.state != target.value
            ):
                await service.advance(
                    session,
                    app=app,
                    target=target,
                    actor=PLATFORM,
                    now=now,
                    note={"platform": update.status, "case": update.case_no},
                )
