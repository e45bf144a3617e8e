"""Whose a session is. A session belongs to a case or act of another domain (notarization,
mediation, consultation); that domain says who is assigned to it and which offices it belongs
to. The app wires one lookup per session kind here at start-up, so sessions read no other
domain's tables and no domain that uses sessions is imported back."""

from __future__ import annotations

from collections.abc import Awaitable, Callable, Mapping
from typing import Any

from aiohttp import web

from hub.sessions.service import StaffOf

__all__ = ["CASE_PEOPLE", "CASE_STAFF", "PeopleOf"]

CASE_STAFF: web.AppKey[Mapping[str, StaffOf]] = web.AppKey("sessions_case_staff")
# Who a session of a kind expects, for the session page that names them: one
# {"participant", "name", "role"} each, read in the caller's transaction from the case id.
PeopleOf = Callable[[Any, str], Awaitable[list[dict[str, str]]]]
CASE_PEOPLE: web.AppKey[Mapping[str, PeopleOf]] = web.AppKey("sessions_case_people")
