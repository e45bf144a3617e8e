"""Looking staff up for sign-in, and offices up by code."""

from __future__ import annotations

from sqlalchemy import select
from sqlalchemy.ext.asyncio import AsyncSession

from common.access import Principal, Role
from hub.accounts.tables import Office, Staff

__all__ = ["is_branch", "lookup_staff"]


async def lookup_staff(session: AsyncSession, username: str) -> tuple[str, Principal] | None:
    staff = await session.scalar(select(Staff).where(Staff.username == username))
    if staff is None:
        return None
    principal = Principal(
        subject=staff.username,
        role=Role(staff.role),
        branch=staff.office_code,
        display_name=staff.display_name,
    )
    return staff.password_hash, principal


async def is_branch(session: AsyncSession, code: str) -> bool:
    """Whether ``code`` names one of the hub's branch offices."""
    kind = await session.scalar(select(Office.kind).where(Office.code == code))
    return kind == "branch"
