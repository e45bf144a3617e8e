"""Interval arithmetic on UTC instants (whole seconds since the epoch) and wall-clock conversion.

Spans are half-open ``(start, end)`` pairs of epoch seconds; a *normal* list of spans is sorted,
non-empty, disjoint and non-touching, so one maximal free stretch is always one span. Every
operation here takes normal lists and returns a normal list in linear time.
"""

from __future__ import annotations

from collections.abc import Iterable, Sequence
from datetime import UTC, date, datetime, timedelta
from zoneinfo import ZoneInfo

__all__ = [
    "DAY_MINUTES",
    "Span",
    "ceil_to",
    "contains",
    "intersect",
    "normalise",
    "subtract",
    "wall_to_utc",
]

Span = tuple[int, int]
DAY_MINUTES = 24 * 60


def normalise(spans: Iterable[Span]) -> list[Span]:
    """Sort, drop empty spans and merge overlapping or touching ones."""
    out: list[Span] = []
    for start, end in sorted(s for s in spans if s[0] < s[1]):
        if out and start <= out[-1][1]:
            if end > out[-1][1]:
                out[-1] = (out[-1][0], end)
        else:
            out.append((start, end))
    return out


def intersect(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    """Where both normal lists are open (a two-pointer merge)."""
    out: list[Span] = []
    i = j = 0
    while i < len(a) and j < len(b):
        start = max(a[i][0], b[j][0])
        end = min(a[i][1], b[j][1])
        if start < end:
            out.append((start, end))
        if a[i][1] < b[j][1]:
            i += 1
        else:
            j += 1
    return out


def subtract(a: Sequence[Span], b: Sequence[Span]) -> list[Span]:
    """The parts of ``a`` outside every span of ``b``."""
    out: list[Span] = []
    j = 0
    for start, end in a:
        while j < len(b) and b[j][1] <= start:
            j += 1
        k = j
        cursor = start
        while k < len(b) and b[k][0] < end:
            if b[k][0] > cursor:
                out.append((cursor, b[k][0]))
            cursor = max(cursor, b[k][1])
            k += 1
        if cursor < end:
            out.append((cursor, end))
    return out


def contains(spans: Sequence[Span], start: int, end: int) -> bool:
    """Whether one span of a normal list covers ``[start, end)`` (binary search)."""
    lo, hi = 0, len(spans)
    while lo < hi:
        mid = (lo + hi) // 2
        if spans[mid][1] <= start:
            lo = mid + 1
        else:
            hi = mid
    return lo < len(spans) and spans[lo][0] <= start and end <= spans[lo][1]


def ceil_to(seconds: int, step: int) -> int:
    return -(-seconds // step) * step


def wall_to_utc(day: date, minute: int, zone: ZoneInfo, *, edge: str) -> int:
    """Epoch seconds of wall time ``minute`` after midnight of ``day`` in ``zone``.

    ``minute`` may be 1440 (midnight ending the day). A time that exists twice (autumn fold)
    is read inward: the later instant for a window's ``start``, the earlier for its ``end``, so a
    window never covers a wall time outside it. A time that does not exist (spring gap) maps to
    the instant the clocks jump, for either edge.
    """
    if minute == DAY_MINUTES:
        day, minute = day + timedelta(days=1), 0
    wall = datetime(day.year, day.month, day.day, minute // 60, minute % 60, tzinfo=zone)
    first = int(wall.timestamp())
    second = int(wall.replace(fold=1).timestamp())
    if first == second:
        return first
    if first < second:  # ambiguous: first and second occurrence
        return second if edge == "start" else first
    return _transition(zone, second, first)


def _transition(zone: ZoneInfo, before: int, after: int) -> int:
    """The first second in ``(before, after]`` whose offset is that of ``after``."""
    target = datetime.fromtimestamp(after, UTC).astimezone(zone).utcoffset()
    while after - before > 1:
        mid = (before + after) // 2
        if datetime.fromtimestamp(mid, UTC).astimezone(zone).utcoffset() == target:
            after = mid
        else:
            before = mid
    return after
