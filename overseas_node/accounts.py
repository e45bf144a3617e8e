"""The branch's own staff: the node signs its clerks in even when the hub is out of reach."""

from __future__ import annotations

from datetime import datetime

from sqlalchemy import String, select
from sqlalchemy.ext.asyncio import AsyncSession
from sqlalchemy.orm import Mapped, mapped_column

from common.access import Principal, Role
from common.db import UTCDateTime
from common.signin import StaffLookup
from overseas_node.db import Base


class NodeStaff(Base):
    __tablename__ = "staff"

    id: Mapped[int] = mapped_column(primary_key=True)
    username: Mapped[str] = mapped_column(String(64), unique=True)
    display_name: Mapped[str] = mapped_column(String(120))
    role: Mapped[str] = mapped_column(String(32))
    password_hash: Mapped[str] = mapped_column(String(200))
    created_at: Mapped[datetime] = mapped_column(UTCDateTime)


def lookup_for(branch: str) -> StaffLookup:
    """A staff lookup for the node's branch (every account of the node belongs to it)."""

    async def lookup(session: AsyncSession, username: str) -> tuple[str, Principal] | None:
        staff = await session.scalar(select(NodeStaff).where(NodeStaff.username == username))
        if staff is None:
            return None
        principal = Principal(
            subject=staff.username,
            role=Role(staff.role),
            branch=branch,
            display_name=staff.display_name,
        )
        return staff.password_hash, principal

    return lookup
