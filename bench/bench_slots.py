"""Slot search for 20 branches × 50 staff × 90 days, beside a naive per-minute reference.

The reference walks every minute of the range for every (branch, person) pair and asks each
calendar, by wall clock, whether it is open; it is run on a sample of the branches (it takes
seconds per branch) and must give exactly the same slots as the interval arithmetic. The ratio
compares the two per branch on the same branches: naive time / ours (a speed-up).
"""

from __future__ import annotations

import json
import random
import sys
import time
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from zoneinfo import ZoneInfo

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from hub.schedules.intervals import DAY_MINUTES, wall_to_utc
from hub.schedules.model import (
    UNIT,
    Calendar,
    DeskSchedule,
    Room,
    ServiceType,
    Slot,
    SlotQuery,
    StaffSchedule,
    WeeklyHours,
    _open_spans,
    country_days,
    find_slots,
    room_key,
    staff_key,
)

BRANCHES = [
    ("Europe/Rome", "IT"), ("Europe/Madrid", "ES"), ("Europe/Paris", "FR"),
    ("Europe/Berlin", "DE"), ("Europe/London", "GB"), ("Europe/Amsterdam", "NL"),
    ("Europe/Lisbon", "PT"), ("America/Sao_Paulo", "BR"), ("America/Caracas", "VE"),
    ("America/New_York", "US"), ("America/Toronto", "CA"), ("America/Mexico_City", "MX"),
    ("America/Argentina/Buenos_Aires", "AR"), ("Africa/Johannesburg", "ZA"),
    ("Africa/Lagos", "NG"), ("Australia/Sydney", "AU"), ("Asia/Tokyo", "JP"),
    ("Asia/Singapore", "SG"), ("Asia/Dubai", "AE"), ("Pacific/Auckland", "NZ"),
]  # fmt: skip
HUB = "Asia/Shanghai"
FIRST, DAYS = date(2026, 3, 2), 90
LAST = FIRST + timedelta(days=DAYS - 1)
NOW = datetime(2026, 3, 1, tzinfo=UTC)
HORIZON = 120
NAIVE_BRANCHES = (0,)  # Rome: Europe changes its clocks inside the range, Beijing does not


def _shift_for(zone: str) -> WeeklyHours:
    """The hub's Beijing-time shift covering the branch's 09:00-17:00 (as of mid-January)."""
    offset = datetime(2026, 1, 15, 12, tzinfo=ZoneInfo(zone)).utcoffset()
    assert offset is not None
    start = (9 * 60 - int(offset.total_seconds()) // 60 + 8 * 60) % DAY_MINUTES
    end = start + 9 * 60
    if end <= DAY_MINUTES:
        return WeeklyHours(tuple((d, start, end) for d in range(5)))
    return WeeklyHours(
        tuple((d, start, DAY_MINUTES) for d in range(5))
        + tuple((d, 0, end - DAY_MINUTES) for d in range(1, 6))
    )


def _person(
    rng: random.Random, i: int, cn: tuple[frozenset[date], frozenset[date]]
) -> StaffSchedule:
    zone = HUB if i % 10 < 7 else ("Europe/Rome" if i % 2 else "America/New_York")
    windows = []
    for weekday in range(6):
        lo, hi = (0, 20 * 60) if zone == HUB else (6 * 60, 16 * 60)
        start = rng.randrange(lo, hi, 30)
        windows.append(
            (
                weekday,
                start,
                min(start + rng.randrange(240, 660, 30), DAY_MINUTES if zone == HUB else 22 * 60),
            )
        )
    calendar = (
        Calendar(zone, WeeklyHours(tuple(windows)), *cn)
        if zone == HUB
        else Calendar(zone, WeeklyHours(tuple(windows)))
    )
    absences = []
    for _ in range(3):
        begin = NOW + timedelta(minutes=rng.randrange(0, DAYS * DAY_MINUTES, 5))
        absences.append((begin, begin + timedelta(minutes=rng.randrange(60, 480, 5))))
    return StaffSchedule(f"n{i:02d}", "notary", calendar, tuple(absences))


def build() -> list[DeskSchedule]:
    rng = random.Random(6)
    cn = country_days("CN", FIRST - timedelta(days=3), LAST + timedelta(days=3))
    staff = tuple(_person(rng, i, cn) for i in range(50))
    desks = []
    for b, (zone, country) in enumerate(BRANCHES):
        off, makeup = country_days(country, FIRST - timedelta(days=3), LAST + timedelta(days=3))
        hours = WeeklyHours.every(range(5), "09:00", "17:00")
        busy: dict[str, list[tuple[datetime, datetime]]] = {}
        for key in [staff_key(p.username) for p in staff] + [room_key(f"B{b}-DESK")]:
            for _ in range(15 if key.startswith("staff") else 40):
                begin = NOW + timedelta(seconds=UNIT * rng.randrange(0, DAYS * 96))
                busy.setdefault(key, []).append((begin, begin + timedelta(minutes=30)))
        desks.append(
            DeskSchedule(
                f"B{b}",
                Calendar(zone, hours, off, makeup),
                Calendar(HUB, _shift_for(zone), *cn),
                staff,
                (Room(f"B{b}-DESK", 1), Room(f"B{b}-MED", 6)),
                busy,
            )
        )
    return desks


QUERY = SlotQuery(ServiceType.NOTARIZATION, FIRST, LAST)


def ours(desk: DeskSchedule) -> list[Slot]:
    return find_slots(desk, QUERY, now=NOW, horizon_days=HORIZON)


def plain(slots: list[Slot]) -> list[tuple[int, int, str, str]]:
    return [(int(s.start.timestamp()), int(s.end.timestamp()), s.staff, s.room) for s in slots]


def _minute_mask(calendar: Calendar, begin: int, minutes: int) -> bytearray:
    """1 for each minute whose wall-clock time lies in the calendar's hours that day."""
    zone = ZoneInfo(calendar.zone)
    mask = bytearray(minutes)
    for m in range(minutes):
        local = datetime.fromtimestamp(begin + 60 * m, zone)
        wall = local.hour * 60 + local.minute
        mask[m] = any(s <= wall < e for s, e in calendar.hours_on(local.date()))
    return mask


def _busy_mask(spans: list[tuple[datetime, datetime]], begin: int, minutes: int) -> bytearray:
    mask = bytearray(minutes)
    for a, b in spans:
        for m in range(
            max(0, (int(a.timestamp()) - begin) // 60),
            min(minutes, -(-(int(b.timestamp()) - begin) // 60)),
        ):
            mask[m] = 1
    return mask


def naive(desk: DeskSchedule) -> list[tuple[int, int, str, str]]:
    begin = wall_to_utc(FIRST, 0, ZoneInfo(desk.branch_calendar.zone), edge="start")
    finish = wall_to_utc(LAST, DAY_MINUTES, ZoneInfo(desk.branch_calendar.zone), edge="end")
    minutes = (finish - begin) // 60
    lo = -(-int(NOW.timestamp()) // UNIT) * UNIT
    hi = int((NOW + timedelta(days=HORIZON + 1)).timestamp())
    branch = _minute_mask(desk.branch_calendar, begin, minutes)
    hub = _minute_mask(desk.hub_shift, begin, minutes)
    common = bytearray(branch[m] and hub[m] and lo <= begin + 60 * m < hi for m in range(minutes))
    rooms = [
        (r.code, bytearray(common[m] and not busy[m] for m in range(minutes)))
        for r in sorted(desk.rooms, key=lambda r: (r.capacity, r.code))
        for busy in [_busy_mask(list(desk.busy.get(room_key(r.code), [])), begin, minutes)]
    ]
    out = []
    for person in desk.staff:
        own = _minute_mask(person.calendar, begin, minutes)
        away = _busy_mask(
            list(person.absences) + list(desk.busy.get(staff_key(person.username), [])),
            begin,
            minutes,
        )
        free = [common[m] and own[m] and not away[m] for m in range(minutes)]
        out.extend(_cut(free, rooms, begin, person.username))
    return sorted(out)


def _cut(
    free: list[int], rooms: list[tuple[str, bytearray]], begin: int, who: str
) -> list[tuple[int, int, str, str]]:
    out = []
    m = 0
    length = ServiceType.NOTARIZATION.minutes
    while m < len(free):
        if not free[m]:
            m += 1
            continue
        run_end = m
        while run_end < len(free) and free[run_end]:
            run_end += 1
        cursor = (-(-(begin + 60 * m) // UNIT) * UNIT - begin) // 60
        while cursor + length <= run_end:
            room = next((c for c, mask in rooms if all(mask[cursor : cursor + length])), None)
            if room is not None:
                out.append((begin + 60 * cursor, begin + 60 * (cursor + length), who, room))
            cursor += length
        m = run_end
    return out


def main() -> None:
    desks = build()
    started = time.perf_counter()
    results = [ours(d) for d in desks]
    ours_total = time.perf_counter() - started
    slots = sum(len(r) for r in results)
    print(
        f"ours: {len(desks)} branches × 50 staff × {DAYS} days → {slots} slots"
        f" in {ours_total:.3f} s"
    )
    ours_sample = naive_total = 0.0
    for b in NAIVE_BRANCHES:
        _open_spans.cache_clear()  # the sample runs cold, as the reference does
        started = time.perf_counter()
        again = ours(desks[b])
        ours_sample += time.perf_counter() - started
        started = time.perf_counter()
        reference = naive(desks[b])
        naive_total += time.perf_counter() - started
        assert plain(again) == plain(results[b]) == reference, (
            f"branch {b}: ours and the naive reference differ"
        )
        print(f"branch {desks[b].branch_calendar.zone}: {len(reference)} slots, identical")
    per_branch_ours = ours_total / len(desks) * 1000
    per_branch_naive = naive_total / len(NAIVE_BRANCHES) * 1000
    ratio = naive_total / ours_sample
    print(f"per branch: ours {per_branch_ours:.1f} ms, naive per-minute {per_branch_naive:.0f} ms")
    print(
        json.dumps(
            {
                "bench": "slot_search",
                "ours": round(per_branch_ours, 2),
                "baseline": round(per_branch_naive, 1),
                "unit": "ms per branch (50 staff x 90 days)",
                "ratio": round(ratio, 1),
            }
        )
    )


if __name__ == "__main__":
    main()
