"""Slot search across zones and calendars: Milan's desk with the hub, on dates that matter."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from common.errors import Invalid
from hub.schedules.model import (
    Calendar,
    DeskSchedule,
    Room,
    ServiceType,
    SlotQuery,
    StaffSchedule,
    WeeklyHours,
    claim_units,
    country_days,
    find_slots,
    is_offered,
)

ROME = ZoneInfo("Europe/Rome")
SHANGHAI = ZoneInfo("Asia/Shanghai")
WEEKDAYS = range(5)
FIRST, LAST = date(2025, 12, 1), date(2027, 1, 31)
NOW = datetime(2026, 1, 5, 0, 0, tzinfo=UTC)
HORIZON = 400


def _desk(closures: frozenset[date] = frozenset(), absences=(), busy=None) -> DeskSchedule:  # type: ignore[no-untyped-def]
    it_off, it_makeup = country_days("IT", FIRST, LAST)
    cn_off, cn_makeup = country_days("CN", FIRST, LAST)
    branch = Calendar(
        "Europe/Rome",
        WeeklyHours.every(WEEKDAYS, "09:00", "17:00") + WeeklyHours.every([5], "09:00", "13:00"),
        it_off | closures,
        it_makeup,
    )
    shift = Calendar(
        "Asia/Shanghai", WeeklyHours.every(WEEKDAYS, "14:00", "22:00"), cn_off, cn_makeup
    )
    notary = StaffSchedule(
        "notary.wz",
        "notary",
        Calendar("Asia/Shanghai", WeeklyHours.every(WEEKDAYS, "08:00", "23:00"), cn_off, cn_makeup),
        tuple(absences),
    )
    return DeskSchedule(
        "MIL", branch, shift, (notary,), (Room("MIL-DESK", 1), Room("MIL-MED", 6)), busy or {}
    )


def _day(desk: DeskSchedule, day: date, service=ServiceType.NOTARIZATION, **kw):  # type: ignore[no-untyped-def]
    return find_slots(desk, SlotQuery(service, day, day, **kw), now=NOW, horizon_days=HORIZON)


def _rome_hours(slots) -> tuple[str, str]:  # type: ignore[no-untyped-def]
    return slots[0].branch_start.strftime("%H:%M"), slots[-1].end.astimezone(ROME).strftime("%H:%M")


@pytest.mark.parametrize(
    ("before", "after"),
    [(date(2026, 3, 27), date(2026, 3, 30)), (date(2026, 10, 23), date(2026, 10, 26))],
)
def test_european_clock_change_moves_the_overlap_by_an_hour(before: date, after: date) -> None:
    desk = _desk()
    first, second = _day(desk, before), _day(desk, after)
    # Beijing 14:00-22:00 is 07:00-15:00 in Rome in winter and 08:00-16:00 in summer
    summer = before.month == 10
    assert _rome_hours(first) == ("09:00", "16:00" if summer else "15:00")
    assert _rome_hours(second) == ("09:00", "15:00" if summer else "16:00")
    # in Beijing time the desk opens at 15:00 or 16:00 local; the hub's own clock never moved
    assert {s.hub_start.utcoffset() for s in first + second} == {timedelta(hours=8)}
    assert first[0].hub_start.strftime("%H:%M") == ("15:00" if summer else "16:00")
    assert second[0].hub_start.strftime("%H:%M") == ("16:00" if summer else "15:00")


def test_every_slot_carries_both_local_times_and_is_stored_in_utc() -> None:
    slot = _day(_desk(), date(2026, 3, 30))[0]
    assert slot.start.tzinfo is UTC and slot.start == datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    assert slot.branch_start.isoformat() == "2026-03-30T09:00:00+02:00"
    assert slot.hub_start.isoformat() == "2026-03-30T15:00:00+08:00"
    assert (slot.end - slot.start) == timedelta(minutes=30) and slot.room == "MIL-DESK"


def test_a_slot_starting_this_instant_is_not_offered() -> None:
    """Booking refuses a start that is not after now, so the search does not offer it."""
    day, start = date(2026, 3, 30), datetime(2026, 3, 30, 7, 0, tzinfo=UTC)
    query = SlotQuery(ServiceType.NOTARIZATION, day, day)
    at_start = find_slots(_desk(), query, now=start, horizon_days=HORIZON)
    assert at_start[0].start == start + timedelta(minutes=15)
    just_before = find_slots(_desk(), query, now=start - timedelta(seconds=1), horizon_days=HORIZON)
    assert just_before[0].start == start


def test_spring_festival_closes_the_hub_and_its_makeup_saturdays_open_it() -> None:
    desk = _desk()
    for closed in (date(2026, 2, 16), date(2026, 2, 18), date(2026, 2, 20), date(2026, 2, 23)):
        assert _day(desk, closed) == [], closed
    # Saturday 14 and 28 February 2026 are working days in China: the desk opens with Monday's
    # shift, inside Milan's Saturday morning hours (09:00-13:00)
    for makeup in (date(2026, 2, 14), date(2026, 2, 28)):
        assert _rome_hours(_day(desk, makeup)) == ("09:00", "13:00"), makeup
    assert _day(desk, date(2026, 2, 7)) == [], "an ordinary Saturday has no hub shift"


def test_national_day_week_and_its_makeup_days() -> None:
    desk = _desk()
    week = find_slots(
        desk,
        SlotQuery(ServiceType.NOTARIZATION, date(2026, 10, 1), date(2026, 10, 7)),
        now=NOW,
        horizon_days=HORIZON,
    )
    assert week == []
    assert _rome_hours(_day(desk, date(2026, 10, 10))) == ("09:00", "13:00")  # Saturday, works
    assert _day(desk, date(2026, 9, 20)) == [], "Sunday 20 Sep works in China, but Milan is shut"
    assert _day(desk, date(2026, 10, 8)) != []


def test_branch_holidays_close_the_desk_though_the_hub_works() -> None:
    assert _day(_desk(), date(2026, 6, 2)) == []  # Festa della Repubblica, a Tuesday
    ambrose = date(2026, 12, 7)  # Milan's patron saint, a closure of the branch only
    assert _day(_desk(), ambrose) != []
    assert _day(_desk(closures=frozenset({ambrose})), ambrose) == []


def test_a_staff_absence_removes_exactly_its_hours() -> None:
    day = date(2026, 3, 30)
    away = (datetime(2026, 3, 30, 10, 0, tzinfo=ROME), datetime(2026, 3, 30, 12, 0, tzinfo=ROME))
    slots = _day(_desk(absences=[away]), day)
    starts = {s.branch_start.strftime("%H:%M") for s in slots}
    assert "09:30" in starts and "12:00" in starts
    assert not starts & {"10:00", "10:30", "11:00", "11:30"}
    assert len(slots) == len(_day(_desk(), day)) - 4


def test_existing_bookings_take_the_person_and_the_room() -> None:
    day = date(2026, 3, 30)
    booked = (datetime(2026, 3, 30, 7, 0, tzinfo=UTC), datetime(2026, 3, 30, 8, 0, tzinfo=UTC))
    person = _day(_desk(busy={"staff:notary.wz": [booked]}), day)
    assert person[0].start == booked[1]
    room = _day(_desk(busy={"room:MIL-DESK": [booked]}), day)
    assert room[0].start == booked[0] and room[0].room == "MIL-MED", "the bigger room stands in"
    # a mediation for seven parties fits no room
    assert _day(_desk(), day, ServiceType.MEDIATION, party_size=7) == []


def test_empty_ranges_and_ranges_past_the_horizon_are_clear_errors() -> None:
    desk = _desk()
    with pytest.raises(Invalid) as empty:
        find_slots(
            desk,
            SlotQuery(ServiceType.NOTARIZATION, date(2026, 3, 30), date(2026, 3, 29)),
            now=NOW,
            horizon_days=HORIZON,
        )
    assert empty.value.code == "schedules.empty_range"
    with pytest.raises(Invalid) as far:
        find_slots(
            desk,
            SlotQuery(ServiceType.NOTARIZATION, date(2026, 1, 10), date(2026, 2, 20)),
            now=NOW,
            horizon_days=30,
        )
    assert far.value.code == "schedules.beyond_horizon" and far.value.params == {"days": 30}
    # a range before now has nothing to offer, without error
    assert _day(desk, date(2026, 1, 2)) == []


def test_bad_zones_countries_and_hours_are_clear_errors() -> None:
    desk = _desk()
    broken = DeskSchedule(
        "X", Calendar("Europe/Atlantis", desk.branch_calendar.hours), desk.hub_shift, (), ()
    )
    with pytest.raises(Invalid) as zone:
        _day(broken, date(2026, 3, 30))
    assert (
        zone.value.code == "schedules.bad_zone" and zone.value.params["zone"] == "Europe/Atlantis"
    )
    with pytest.raises(Invalid) as country:
        country_days("XX", FIRST, LAST)
    assert country.value.code == "schedules.bad_country"
    with pytest.raises(Invalid) as hours:
        WeeklyHours.every([0], "17:00", "09:00")
    assert hours.value.code == "schedules.bad_hours"


@pytest.mark.parametrize(("day", "hours"), [(date(2026, 3, 29), 1), (date(2026, 10, 25), 3)])
def test_night_hours_across_the_gap_and_the_fold(day: date, hours: int) -> None:
    """02:00-04:00 in Rome lasts one hour in March (02:xx does not exist), three in October."""
    night = Calendar("Europe/Rome", WeeklyHours.every([6], "01:00", "04:00"))
    always = Calendar("Asia/Shanghai", WeeklyHours.every(range(7), "00:00", "24:00"))
    person = StaffSchedule("n", "notary", always)
    desk = DeskSchedule("N", night, always, (person,), (Room("R", 1),))
    slots = _day(desk, day)
    assert len(slots) * 30 == (hours + 1) * 60
    assert len({s.start for s in slots}) == len(slots)


def test_offered_slots_and_claim_units() -> None:
    desk = _desk()
    slot = _day(desk, date(2026, 3, 30))[3]
    kw = {"staff": slot.staff, "room": slot.room, "party_size": 1}
    assert is_offered(desk, ServiceType.NOTARIZATION, start=slot.start, **kw)
    late = slot.start.replace(hour=20)
    assert not is_offered(desk, ServiceType.NOTARIZATION, start=late, **kw)
    odd = slot.start + timedelta(minutes=5)
    assert not is_offered(desk, ServiceType.NOTARIZATION, start=odd, **kw)
    assert claim_units(slot.start, slot.end) == [slot.start, slot.start + timedelta(minutes=15)]
    with pytest.raises(Invalid):
        claim_units(odd, slot.end)
