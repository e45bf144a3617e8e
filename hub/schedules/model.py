"""Bookable slots across time zones: a pure model (no database, no web, no clock).

A slot is where the branch is open, the hub's shift for that branch is on, an eligible notary or
mediator is available (and not absent or booked) and a room big enough is free, minus each
side's public holidays, cut into fixed-length slots on a 15-minute grid in UTC. Holidays come
from the calendars the office published (``hub.calendars``) and, for years no file covers, from
the ``holidays`` package, including China's make-up working days (调休): a Saturday or Sunday
that is a working day opens with the office's ``makeup_weekday`` hours.
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, timedelta
from enum import StrEnum
from functools import cached_property, lru_cache
from zoneinfo import ZoneInfo, ZoneInfoNotFoundError

from common.errors import N_, Invalid
from hub.calendars import model as calendars
from hub.calendars.model import PublishedYear
from hub.schedules.intervals import (
    DAY_MINUTES,
    Span,
    ceil_to,
    contains,
    intersect,
    normalise,
    subtract,
    wall_to_utc,
)

__all__ = [
    "MAX_RANGE_DAYS",
    "UNIT",
    "Calendar",
    "DeskSchedule",
    "Room",
    "ServiceType",
    "Slot",
    "SlotQuery",
    "StaffSchedule",
    "WeeklyHours",
    "claim_units",
    "country_days",
    "find_slots",
    "is_offered",
    "room_key",
    "staff_key",
    "zone_named",
]

UNIT = 15 * 60  # seconds; bookings start and end on this grid, claims are taken per unit
MAX_RANGE_DAYS = 92


class ServiceType(StrEnum):
    NOTARIZATION = "notarization"
    MEDIATION = "mediation"
    CONSULTATION = "consultation"  # legal and policy advice (法律/政策咨询) by video

    @property
    def role(self) -> str:
        """The staff role that holds this kind of session (the main one, where there are two)."""
        return _ROLES[self][0]

    @property
    def roles(self) -> tuple[str, ...]:
        """Every staff role that may be offered: consultations are held by the lawyers of the
        legal advisory committee and by hub officers on the consultation roster."""
        return _ROLES[self]

    @property
    def minutes(self) -> int:
        return 60 if self is ServiceType.MEDIATION else 30


_ROLES: dict[ServiceType, tuple[str, ...]] = {
    ServiceType.NOTARIZATION: ("notary",),
    ServiceType.MEDIATION: ("mediator",),
    ServiceType.CONSULTATION: ("consultant", "officer"),
}


def zone_named(name: str) -> ZoneInfo:
    """An IANA zone, or a clear error naming the bad one."""
    try:
        return ZoneInfo(name)
    except (ZoneInfoNotFoundError, ValueError, TypeError):
        raise Invalid(
            "schedules.bad_zone", N_("Unknown time zone: {zone}."), params={"zone": str(name)}
        ) from None


@dataclass(frozen=True)
class WeeklyHours:
    """Opening windows per weekday (0 = Monday) in minutes after local midnight, end ≤ 1440."""

    windows: tuple[tuple[int, int, int], ...]

    def __post_init__(self) -> None:
        for weekday, start, end in self.windows:
            if not (0 <= weekday <= 6 and 0 <= start < end <= DAY_MINUTES):
                raise Invalid(
                    "schedules.bad_hours",
                    N_("Opening hours must start before they end, within one day."),
                )

    @cached_property
    def by_weekday(self) -> dict[int, list[tuple[int, int]]]:
        out: dict[int, list[tuple[int, int]]] = {d: [] for d in range(7)}
        for weekday, start, end in self.windows:
            out[weekday].append((start, end))
        return out

    @classmethod
    def every(cls, weekdays: Sequence[int], start: str, end: str) -> WeeklyHours:
        return cls(tuple((d, _minutes(start), _minutes(end)) for d in weekdays))

    def __add__(self, other: WeeklyHours) -> WeeklyHours:
        return WeeklyHours(self.windows + other.windows)


def _minutes(text: str) -> int:
    hours, _, minutes = text.partition(":")
    return int(hours) * 60 + int(minutes or 0)


def country_days(
    country: str,
    first: date,
    last: date,
    published: Mapping[int, PublishedYear] | None = None,
) -> tuple[frozenset[date], frozenset[date]]:
    """Public days off and weekend make-up working days of ``country`` between two dates.

    Years the office published a calendar for (``published``) come from that file alone.
    """
    try:
        return calendars.country_days(country, first, last, published)
    except LookupError:
        raise Invalid(
            "schedules.bad_country",
            N_("No public holidays are known for country {country}."),
            params={"country": country},
        ) from None


@dataclass(frozen=True)
class Calendar:
    """When one side is open: weekly hours in a zone, minus days off, plus make-up days."""

    zone: str
    hours: WeeklyHours
    days_off: frozenset[date] = frozenset()
    makeup_days: frozenset[date] = frozenset()
    makeup_weekday: int = 0

    def hours_on(self, day: date) -> list[tuple[int, int]]:
        if day in self.days_off:
            return []
        windows = list(self.hours.by_weekday[day.weekday()])
        if day in self.makeup_days:
            windows += self.hours.by_weekday[self.makeup_weekday]
        return windows

    def open_spans(self, first: date, last: date) -> list[Span]:
        """Open time in UTC for the local dates ``first``..``last``."""
        return list(_open_spans(self, first, last))


@lru_cache(maxsize=4096)
def _open_spans(calendar: Calendar, first: date, last: date) -> tuple[Span, ...]:
    """Cached: one person's calendar serves every branch they work for."""
    zone = zone_named(calendar.zone)
    spans: list[Span] = []
    for offset in range((last - first).days + 1):
        day = first + timedelta(days=offset)
        for start, end in calendar.hours_on(day):
            spans.append(
                (
                    wall_to_utc(day, start, zone, edge="start"),
                    wall_to_utc(day, end, zone, edge="end"),
                )
            )
    return tuple(normalise(spans))


@dataclass(frozen=True)
class StaffSchedule:
    username: str
    role: str
    calendar: Calendar  # the person's own weekly availability, in their own zone
    absences: tuple[tuple[datetime, datetime], ...] = ()


@dataclass(frozen=True)
class Room:
    code: str
    capacity: int


def staff_key(username: str) -> str:
    return f"staff:{username}"


def room_key(code: str) -> str:
    return f"room:{code}"


@dataclass(frozen=True)
class DeskSchedule:
    """Everything a search needs about one branch's desk with the hub."""

    branch: str
    branch_calendar: Calendar
    hub_shift: Calendar  # the hub's shift for this branch, in the hub's zone and holidays
    staff: tuple[StaffSchedule, ...]
    rooms: tuple[Room, ...]
    busy: Mapping[str, Sequence[tuple[datetime, datetime]]] = field(default_factory=dict)


@dataclass(frozen=True)
class SlotQuery:
    service: ServiceType
    first_day: date  # branch-local dates, inclusive
    last_day: date
    party_size: int = 1
    staff: str | None = None


@dataclass(frozen=True, order=True)
class Slot:
    start: datetime
    end: datetime
    staff: str
    room: str
    branch_zone: str = field(compare=False)
    hub_zone: str = field(compare=False)

    @property
    def branch_start(self) -> datetime:
        return self.start.astimezone(ZoneInfo(self.branch_zone))

    @property
    def hub_start(self) -> datetime:
        return self.start.astimezone(ZoneInfo(self.hub_zone))


def _epoch(value: datetime) -> int:
    if value.tzinfo is None:
        raise Invalid("schedules.naive_time", N_("Times must carry a time zone."))
    return int(value.timestamp())


def _spans(pairs: Sequence[tuple[datetime, datetime]]) -> list[Span]:
    return normalise((_epoch(a), _epoch(b)) for a, b in pairs)


def _check_range(query: SlotQuery, today: date, horizon_days: int) -> None:
    if query.last_day < query.first_day:
        raise Invalid(
            "schedules.empty_range",
            N_("The last day comes before the first day; choose a range of at least one day."),
        )
    if (query.last_day - query.first_day).days >= MAX_RANGE_DAYS:
        raise Invalid(
            "schedules.range_too_long",
            N_("Search at most {days} days at once."),
            params={"days": MAX_RANGE_DAYS},
        )
    if query.last_day > today + timedelta(days=horizon_days):
        raise Invalid(
            "schedules.beyond_horizon",
            N_("Sessions can be booked at most {days} days ahead."),
            params={"days": horizon_days},
        )
    if query.party_size < 1:
        raise Invalid("schedules.bad_party", N_("A session needs at least one party."))


def _common_spans(desk: DeskSchedule, first: date, last: date) -> list[Span]:
    """Branch hours ∩ hub shift, each on its own dates (a day either side covers zone skew)."""
    branch = desk.branch_calendar.open_spans(first, last)
    hub = desk.hub_shift.open_spans(first - timedelta(days=1), last + timedelta(days=1))
    return intersect(branch, hub)


def _staff_spans(
    person: StaffSchedule, common: list[Span], first: date, last: date, busy: list[Span]
) -> list[Span]:
    own = person.calendar.open_spans(first - timedelta(days=1), last + timedelta(days=1))
    free = intersect(common, own)
    return subtract(subtract(free, _spans(person.absences)), busy)


def find_slots(
    desk: DeskSchedule, query: SlotQuery, *, now: datetime, horizon_days: int
) -> list[Slot]:
    """Every bookable slot of ``query`` at ``desk`` after ``now``, ordered by time."""
    branch_zone = zone_named(desk.branch_calendar.zone)
    zone_named(desk.hub_shift.zone)
    _check_range(query, now.astimezone(branch_zone).date(), horizon_days)
    first, last = query.first_day, query.last_day
    # strictly after now: a slot starting this instant can no longer be booked
    window = [(ceil_to(_epoch(now) + 1, UNIT), _epoch(now + timedelta(days=horizon_days + 1)))]
    common = intersect(_common_spans(desk, first, last), window)
    rooms = [
        (r.code, subtract(common, _spans(desk.busy.get(room_key(r.code), ()))))
        for r in sorted(desk.rooms, key=lambda r: (r.capacity, r.code))
        if r.capacity >= query.party_size
    ]
    found: list[tuple[int, str, str]] = []
    length = query.service.minutes * 60
    for person in desk.staff:
        if person.role not in query.service.roles or query.staff not in (None, person.username):
            continue
        busy = _spans(desk.busy.get(staff_key(person.username), ()))
        free = _staff_spans(person, common, first, last, busy)
        found.extend(_cut(person.username, free, rooms, length))
    found.sort()
    zones = (desk.branch_calendar.zone, desk.hub_shift.zone)
    span = timedelta(seconds=length)
    return [
        Slot(at, at + span, who, room, *zones)
        for at, who, room in ((datetime.fromtimestamp(t, UTC), w, r) for t, w, r in found)
    ]


def _cut(
    username: str, free: list[Span], rooms: list[tuple[str, list[Span]]], length: int
) -> list[tuple[int, str, str]]:
    """Fixed-length slots from each free stretch, each with the smallest free room that fits."""
    out: list[tuple[int, str, str]] = []
    for start, end in free:
        cursor = ceil_to(start, UNIT)
        while cursor + length <= end:
            stop = cursor + length
            for code, spans in rooms:
                if contains(spans, cursor, stop):
                    out.append((cursor, username, code))
                    break
            cursor = stop
    return out


def is_offered(
    desk: DeskSchedule,
    service: ServiceType,
    *,
    staff: str,
    room: str,
    start: datetime,
    party_size: int,
) -> bool:
    """Whether ``[start, start+length)`` lies in the desk's windows for that person and room.

    Existing bookings are not consulted: the database's claims decide who gets a contested slot.
    """
    begin = _epoch(start)
    end = begin + service.minutes * 60
    person = next((p for p in desk.staff if p.username == staff), None)
    fits = any(r.code == room and r.capacity >= party_size for r in desk.rooms)
    if person is None or person.role not in service.roles or not fits or begin % UNIT:
        return False
    day = start.astimezone(zone_named(desk.branch_calendar.zone)).date()
    common = _common_spans(desk, day - timedelta(days=1), day + timedelta(days=1))
    free = _staff_spans(person, common, day - timedelta(days=1), day + timedelta(days=1), [])
    return contains(free, begin, end)


def claim_units(start: datetime, end: datetime) -> list[datetime]:
    """The grid units a booking covers: one claim row per resource and unit."""
    begin, finish = _epoch(start), _epoch(end)
    if begin % UNIT or finish % UNIT or finish <= begin:
        raise Invalid("schedules.off_grid", N_("Sessions start and end on a quarter hour."))
    return [datetime.fromtimestamp(t, UTC) for t in range(begin, finish, UNIT)]
