"""The hub's own time zone: the county's calendar, in which dates, deadlines and figures fall.

It is a setting (``QIAOLINK_HUB_ZONE``, default ``Asia/Shanghai``); the hub applies it once at
start-up with :func:`use_zone` and every domain reads it through :func:`hub_zone`.
"""

from __future__ import annotations

from datetime import date, datetime
from zoneinfo import ZoneInfo

from common.numbers import COUNTY_ZONE

__all__ = ["DEFAULT_ZONE", "hub_date", "hub_zone", "use_zone"]

DEFAULT_ZONE = COUNTY_ZONE.key
_current = COUNTY_ZONE


def use_zone(name: str) -> None:
    """Make ``name`` (an IANA zone, validated by the settings) the hub's zone."""
    global _current
    _current = ZoneInfo(name)


def hub_zone() -> ZoneInfo:
    return _current


def hub_date(at: datetime) -> date:
    """The hub's calendar date of an aware instant."""
    return at.astimezone(_current).date()
