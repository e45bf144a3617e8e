"""Application numbers and query codes: made where the application is taken in (hub or node)."""

from __future__ import annotations

import hashlib
import secrets
from datetime import datetime
from zoneinfo import ZoneInfo

__all__ = ["COUNTY_ZONE", "hash_query_code", "new_number", "new_query_code"]

_CODE_ALPHABET = "ABCDEFGHJKLMNPQRSTUVWXYZ23456789"  # no 0/O, 1/I: read out over the phone
# the county's zone: numbers carry its date, and the node tells residents dates in it; the
# hub runs in it by default (its own setting, ``QIAOLINK_HUB_ZONE``)
COUNTY_ZONE = ZoneInfo("Asia/Shanghai")


def new_number(branch: str, now: datetime) -> str:
    """Branch, the county's date, 40 random bits; callers still check it is not taken."""
    return f"{branch}-{now.astimezone(COUNTY_ZONE):%Y%m%d}-{secrets.token_hex(5).upper()}"


def new_query_code() -> str:
    return "".join(secrets.choice(_CODE_ALPHABET) for _ in range(8))


def hash_query_code(code: str) -> str:
    return hashlib.sha256(code.strip().upper().encode()).hexdigest()
