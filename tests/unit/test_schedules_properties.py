"""Invariants of slot search over generated zones, dates and hours (Hypothesis)."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from hub.schedules.intervals import wall_to_utc
from hub.schedules.model import (
    UNIT,
    Calendar,
    DeskSchedule,
    Room,
    ServiceType,
    SlotQuery,
    StaffSchedule,
    WeeklyHours,
    claim_units,
    find_slots,
)

ZONES = [
    "Europe/Rome",
    "Asia/Shanghai",
    "America/Sao_Paulo",
    "America/Caracas",
    "Africa/Johannesburg",
    "America/New_York",
    "Australia/Lord_Howe",  # half-hour DST shift
    "Asia/Kathmandu",  # +05:45
    "Pacific/Chatham",  # +12:45 / +13:45
    "America/St_Johns",  # -03:30 with DST
    "Europe/London",
    "UTC",
]
NOW = datetime(2026, 1, 1, tzinfo=UTC)
PROFILE = settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])


@st.composite
def weekly(draw: st.DrawFn) -> WeeklyHours:
    windows = []
    for _ in range(draw(st.integers(1, 6))):
        start = draw(st.integers(0, 1439))
        end = draw(st.integers(start + 1, 1440))
        windows.append((draw(st.integers(0, 6)), start, end))
    return WeeklyHours(tuple(windows))


@st.composite
def desks(draw: st.DrawFn) -> DeskSchedule:
    def calendar() -> Calendar:
        return Calendar(draw(st.sampled_from(ZONES)), draw(weekly()))

    staff = tuple(
        StaffSchedule(f"n{i}", "notary", calendar()) for i in range(draw(st.integers(1, 3)))
    )
    rooms = tuple(Room(f"r{i}", draw(st.integers(1, 3))) for i in range(draw(st.integers(1, 2))))
    return DeskSchedule("B", calendar(), calendar(), staff, rooms)


DAYS = st.dates(date(2026, 1, 1), date(2027, 12, 20))


def _open_at(calendar: Calendar, instant: datetime) -> bool:
    """Reference check by wall clock: is ``instant`` inside the calendar's hours that day?"""
    local = instant.astimezone(ZoneInfo(calendar.zone))
    minute = local.hour * 60 + local.minute
    return any(s <= minute < e for s, e in calendar.hours_on(local.date()))


def _inside(calendar: Calendar, start: datetime, end: datetime) -> bool:
    probe = start
    while probe < end:
        if not _open_at(calendar, probe):
            return False
        probe += timedelta(minutes=1)
    return True


@PROFILE
@given(desk=desks(), first=DAYS, days=st.integers(0, 6))
def test_every_slot_lies_inside_every_window_it_depends_on(
    desk: DeskSchedule, first: date, days: int
) -> None:
    query = SlotQuery(ServiceType.NOTARIZATION, first, first + timedelta(days=days))
    slots = find_slots(desk, query, now=NOW, horizon_days=800)
    staff = {p.username: p for p in desk.staff}
    for slot in slots:
        assert slot.end - slot.start == timedelta(minutes=30)
        assert int(slot.start.timestamp()) % UNIT == 0 and slot.start >= NOW
        assert first <= slot.branch_start.date() <= query.last_day
        for calendar in (desk.branch_calendar, desk.hub_shift, staff[slot.staff].calendar):
            assert _inside(calendar, slot.start, slot.end), (slot, calendar.zone)


@PROFILE
@given(desk=desks(), first=DAYS, picks=st.lists(st.integers(0, 10_000), max_size=12))
def test_booking_offered_slots_never_double_books_a_person_or_room(
    desk: DeskSchedule, first: date, picks: list[int]
) -> None:
    query = SlotQuery(ServiceType.NOTARIZATION, first, first + timedelta(days=3))
    busy: dict[str, list[tuple[datetime, datetime]]] = {}
    booked = []
    for pick in picks:
        state = DeskSchedule(
            desk.branch, desk.branch_calendar, desk.hub_shift, desk.staff, desk.rooms, busy
        )
        slots = find_slots(state, query, now=NOW, horizon_days=800)
        if not slots:
            break
        slot = slots[pick % len(slots)]
        booked.append(slot)
        for key in (f"staff:{slot.staff}", f"room:{slot.room}"):
            busy.setdefault(key, []).append((slot.start, slot.end))
    for i, a in enumerate(booked):
        for b in booked[i + 1 :]:
            if a.staff == b.staff or a.room == b.room:
                assert a.end <= b.start or b.end <= a.start, (a, b)


@PROFILE
@given(a=st.integers(0, 200), la=st.integers(1, 8), b=st.integers(0, 200), lb=st.integers(1, 8))
def test_claim_units_collide_exactly_when_two_sessions_overlap(
    a: int, la: int, b: int, lb: int
) -> None:
    """The database refuses a second claim on a unit, so this is what keeps bookings apart."""
    unit = timedelta(seconds=UNIT)
    sa, sb = NOW + a * unit, NOW + b * unit
    ea, eb = sa + la * unit, sb + lb * unit
    overlap = sa < eb and sb < ea
    assert bool(set(claim_units(sa, ea)) & set(claim_units(sb, eb))) is overlap


@PROFILE
@given(zone=st.sampled_from(ZONES), day=DAYS, minute=st.integers(0, 1439))
def test_wall_times_round_trip_through_utc(zone: str, day: date, minute: int) -> None:
    tz = ZoneInfo(zone)
    start = wall_to_utc(day, minute, tz, edge="start")
    end = wall_to_utc(day, minute, tz, edge="end")
    back = datetime.fromtimestamp(start, UTC).astimezone(tz)
    wall = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=tz)
    exists = wall.astimezone(UTC).astimezone(tz).replace(tzinfo=None) == wall.replace(tzinfo=None)
    if exists:  # an existing wall time comes back unchanged, from either edge
        assert back.replace(tzinfo=None) == wall.replace(tzinfo=None)
        assert datetime.fromtimestamp(end, UTC).astimezone(tz).replace(tzinfo=None) == wall.replace(
            tzinfo=None
        )
        assert start >= end  # a fold reads a start late and an end early
    else:  # a skipped wall time maps to the moment the clocks jump past it
        assert start == end and back.replace(tzinfo=None) > wall.replace(tzinfo=None)
        before = datetime.fromtimestamp(start - 1, UTC).astimezone(tz)
        assert before.replace(tzinfo=None) < wall.replace(tzinfo=None)


@PROFILE
@given(desk=desks(), first=DAYS)
def test_slot_local_times_round_trip_to_the_stored_utc(desk: DeskSchedule, first: date) -> None:
    query = SlotQuery(ServiceType.NOTARIZATION, first, first + timedelta(days=2))
    for slot in find_slots(desk, query, now=NOW, horizon_days=800):
        assert slot.branch_start.astimezone(UTC) == slot.start
        assert slot.hub_start.astimezone(UTC) == slot.start
        assert datetime.fromisoformat(slot.branch_start.isoformat()) == slot.start
