"""Figures for the office, computed from plain records (no database, no clock).

Applications are counted as a cohort: those *received* (submitted) in the period, and of
them how many were accepted, completed and overdue (completed after their deadline, or still
open past it on the reporting day). Rates are percentages rounded to one decimal.

Notarial acts are a cohort too: those opened in the period, and what became of them. Mediation
cases are counted as the mediation desk counts them (``hub.mediation.model.office_figures``):
opened, settled and closed *in* the period, per office where the case was received.
"""

from __future__ import annotations

import statistics
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from datetime import date

from hub.mediation.model import CaseRecord, OfficeFigures, office_figures

__all__ = [
    "AppRecord",
    "ComplaintRecord",
    "ConsultationRecord",
    "Figure",
    "ItemHistory",
    "MediationRecord",
    "NotarizationRecord",
    "Report",
    "compute",
    "percent",
]

FINAL = {"rejected", "completed"}
SATISFIED = 4  # 满意 and 非常满意 on the five-level scale


def percent(part: float, whole: float) -> float | None:
    return round(100 * part / whole, 1) if whole else None


@dataclass(frozen=True)
class AppRecord:
    item: str
    branch: str
    country: str
    state: str
    received: date
    accepted: bool
    completed: date | None
    deadline: date | None
    zero_visit: bool
    rating: int | None = None

    def overdue(self, today: date) -> bool:
        if self.deadline is None:
            return False
        if self.completed is not None:
            return self.completed > self.deadline
        return self.state not in FINAL and today > self.deadline


@dataclass(frozen=True)
class ItemHistory:
    code: str
    first_materials: int
    now_materials: int
    first_days: int
    now_days: int


@dataclass(frozen=True)
class ComplaintRecord:
    branch: str
    country: str
    state: str
    steps_done: int
    steps_on_time: int
    overdue_now: bool


@dataclass(frozen=True)
class ConsultationRecord:
    """A consultation by video whose session was booked in the period (cancelled ones are not)."""

    branch: str
    country: str
    topic: str
    state: str  # booked | held | missed | answered | rated
    steps_done: int  # the session opened, the answer written
    steps_on_time: int
    overdue_now: bool
    rating: int | None = None


@dataclass(frozen=True)
class NotarizationRecord:
    """A notarial act opened at a branch in the period (hub calendar dates)."""

    branch: str
    country: str  # the resident's, from the application the act was opened on
    act_type: str  # birth | kinship | marital_status | power_of_attorney_home
    item: str  # the catalogue's service item of the type (NO-001 … NO-004)
    state: str  # booked … witnessed | issued | refused | adjourned
    opened: date
    issued: date | None
    fee_cents: int


# A mediation case as the mediation desk's own statistics see it: office, opened, settled,
# closed (hub calendar dates). The desk's rules decide what counts; they are not repeated here.
MediationRecord = CaseRecord


@dataclass(frozen=True)
class Figure:
    """One figure: its section, what it is about (an item, an office, or "all"), its name."""

    section: (
        str  # applications | catalogue | ratings_item | ratings_office | complaints
        # | consultations | notarizations | mediations
    )
    key: str
    metric: str
    value: int | float | None


@dataclass
class Report:
    figures: list[Figure] = field(default_factory=list)

    def add(self, section: str, key: str, metric: str, value: int | float | None) -> None:
        self.figures.append(Figure(section, key, metric, value))

    def get(self, section: str, key: str, metric: str) -> int | float | None:
        for f in self.figures:
            if (f.section, f.key, f.metric) == (section, key, metric):
                return f.value
        raise KeyError((section, key, metric))

    def section(self, name: str) -> list[Figure]:
        return [f for f in self.figures if f.section == name]


def _applications(report: Report, apps: list[AppRecord], today: date) -> None:
    groups: dict[str, list[AppRecord]] = defaultdict(list)
    for a in apps:
        groups[a.item].append(a)
    for key, rows in [("all", apps), *sorted(groups.items())]:
        report.add("applications", key, "received", len(rows))
        report.add("applications", key, "accepted", sum(a.accepted for a in rows))
        report.add("applications", key, "completed", sum(a.completed is not None for a in rows))
        report.add("applications", key, "overdue", sum(a.overdue(today) for a in rows))
        zero = sum(a.zero_visit for a in rows)
        report.add("applications", key, "zero_visit_share", percent(zero, len(rows)))


def _catalogue(report: Report, items: list[ItemHistory]) -> None:
    for h in sorted(items, key=lambda h: h.code):
        report.add("catalogue", h.code, "materials_first", h.first_materials)
        report.add("catalogue", h.code, "materials_now", h.now_materials)
        report.add(
            "catalogue",
            h.code,
            "material_reduction",
            percent(h.first_materials - h.now_materials, h.first_materials),
        )
        report.add("catalogue", h.code, "days_first", h.first_days)
        report.add("catalogue", h.code, "days_now", h.now_days)
        report.add(
            "catalogue",
            h.code,
            "time_limit_compression",
            percent(h.first_days - h.now_days, h.first_days),
        )
    first_m, now_m = sum(h.first_materials for h in items), sum(h.now_materials for h in items)
    first_d, now_d = sum(h.first_days for h in items), sum(h.now_days for h in items)
    report.add("catalogue", "all", "material_reduction", percent(first_m - now_m, first_m))
    report.add("catalogue", "all", "time_limit_compression", percent(first_d - now_d, first_d))


def _ratings(report: Report, section: str, pairs: Iterable[tuple[str, int]]) -> None:
    groups: dict[str, list[int]] = defaultdict(list)
    for key, level in pairs:
        groups[key].append(level)
    for key, levels in sorted(groups.items()):
        report.add(section, key, "ratings", len(levels))
        report.add(section, key, "average", round(sum(levels) / len(levels), 2))
        report.add(
            section,
            key,
            "satisfied_share",
            percent(sum(v >= SATISFIED for v in levels), len(levels)),
        )


def _complaints(report: Report, complaints: list[ComplaintRecord]) -> None:
    count = len(complaints)
    report.add("complaints", "all", "lodged", count)
    report.add("complaints", "all", "accepted", sum(c.state in _ACCEPTED for c in complaints))
    report.add("complaints", "all", "refused", sum(c.state == "refused" for c in complaints))
    report.add("complaints", "all", "answered", sum(c.state in _ANSWERED for c in complaints))
    done = sum(c.steps_done for c in complaints)
    on_time = sum(c.steps_on_time for c in complaints)
    report.add("complaints", "all", "steps_done", done)
    report.add("complaints", "all", "steps_on_time", on_time)
    report.add("complaints", "all", "on_time_rate", percent(on_time, done))
    report.add("complaints", "all", "overdue_now", sum(c.overdue_now for c in complaints))


_HELD = {"held", "answered", "rated"}


def _consultations(report: Report, rows: Sequence[ConsultationRecord]) -> None:
    """Per topic and in all: the sessions, the answers, their on-time rate and the ratings."""
    groups: dict[str, list[ConsultationRecord]] = defaultdict(list)
    for c in rows:
        groups[c.topic].append(c)
    for key, group in [("all", list(rows)), *sorted(groups.items())] if rows else []:
        done, on_time = sum(c.steps_done for c in group), sum(c.steps_on_time for c in group)
        levels = [c.rating for c in group if c.rating is not None]
        for metric, value in (
            ("booked", len(group)),
            ("held", sum(c.state in _HELD for c in group)),
            ("missed", sum(c.state == "missed" for c in group)),
            ("answered", sum(c.state in ("answered", "rated") for c in group)),
            ("steps_done", done),
            ("steps_on_time", on_time),
            ("on_time_rate", percent(on_time, done)),
            ("overdue_now", sum(c.overdue_now for c in group)),
            ("ratings", len(levels)),
            ("average", round(sum(levels) / len(levels), 2) if levels else None),
            ("satisfied_share", percent(sum(v >= SATISFIED for v in levels), len(levels))),
        ):
            report.add("consultations", key, metric, value)


_ANSWERED = {"replied", "review_requested", "reviewed"}
_ACCEPTED = {"accepted"} | _ANSWERED


_IN_PROGRESS = {"booked", "identified", "in_session", "presented", "witnessed"}


def _median(days: list[int]) -> float | None:
    return float(statistics.median(days)) if days else None


def _mean(days: list[int]) -> float | None:
    return round(statistics.fmean(days), 1) if days else None


def _notarizations(report: Report, rows: Sequence[NotarizationRecord]) -> None:
    """Per service item (the act's type) and in all: opened, issued, refused, the days taken."""
    groups: dict[str, list[NotarizationRecord]] = defaultdict(list)
    for n in rows:
        groups[n.item].append(n)
    for key, group in [("all", list(rows)), *sorted(groups.items())] if rows else []:
        issued = [n for n in group if n.state == "issued" and n.issued is not None]
        days = [(n.issued - n.opened).days for n in issued if n.issued is not None]
        for metric, value in (
            ("opened", len(group)),
            ("issued", len(issued)),
            ("refused", sum(n.state == "refused" for n in group)),
            ("adjourned", sum(n.state == "adjourned" for n in group)),
            ("in_progress", sum(n.state in _IN_PROGRESS for n in group)),
            ("fees_cny", sum(n.fee_cents for n in issued) / 100),
            ("mean_days", _mean(days)),
            ("median_days", _median(days)),
        ):
            report.add("notarizations", key, metric, value)


def _mediation_figures(report: Report, key: str, f: OfficeFigures) -> None:
    finished = f.settled + f.closed
    for metric, value in (
        ("opened", f.opened),
        ("settled", f.settled),
        ("closed", f.closed),
        ("pending", f.pending),
        ("settled_share", percent(f.settled, finished)),
        ("mean_days", f.mean_days),
        ("median_days", f.median_days),
        ("longest_days", f.longest_days),
    ):
        report.add("mediations", key, metric, value)


def _mediations(
    report: Report, rows: Sequence[MediationRecord], start: date | None, end: date | None
) -> None:
    """Per office and in all, as the mediation desk counts them; offices with nothing to
    show in the period are left out, and the section is empty when no office has anything."""
    per, total = office_figures(rows, start, end)

    def busy(f: OfficeFigures) -> bool:
        return bool(f.opened or f.settled or f.closed or f.pending)

    if busy(total):
        _mediation_figures(report, "all", total)
        for f in per:
            if busy(f):
                _mediation_figures(report, f.office, f)


def compute(
    apps: list[AppRecord],
    items: list[ItemHistory],
    complaints: list[ComplaintRecord],
    today: date,
    consultations: Sequence[ConsultationRecord] = (),
    notarizations: Sequence[NotarizationRecord] = (),
    mediations: Sequence[MediationRecord] = (),
    period: tuple[date | None, date | None] = (None, None),
) -> Report:
    report = Report()
    _applications(report, apps, today)
    _catalogue(report, items)
    rated = [a for a in apps if a.rating is not None]
    _ratings(report, "ratings_item", ((a.item, a.rating) for a in rated if a.rating))
    _ratings(report, "ratings_office", ((a.branch, a.rating) for a in rated if a.rating))
    _complaints(report, complaints)
    _consultations(report, consultations)
    _notarizations(report, notarizations)
    _mediations(report, mediations, *period)
    return report
