"""The office's figures from plain records, and charts that escape what they draw."""

from __future__ import annotations

from datetime import date
from typing import Any

from hub.mediation.model import office_figures
from hub.statistics.charts import bar_chart
from hub.statistics.model import (
    AppRecord,
    ItemHistory,
    MediationRecord,
    NotarizationRecord,
    compute,
)

TODAY = date(2026, 3, 20)


def test_overdue_means_late_completion_or_open_past_the_deadline() -> None:
    def app(completed: date | None, state: str) -> AppRecord:
        return AppRecord(
            "X", "MIL", "IT", state, date(2026, 3, 1), True, completed, date(2026, 3, 10), False
        )

    assert app(date(2026, 3, 10), "completed").overdue(TODAY) is False
    assert app(date(2026, 3, 11), "completed").overdue(TODAY) is True
    assert app(None, "in_process").overdue(TODAY) is True
    assert app(None, "rejected").overdue(TODAY) is False


def test_rates_and_empty_groups() -> None:
    report = compute([], [ItemHistory("A", 4, 3, 10, 7)], [], TODAY)
    assert report.get("catalogue", "A", "material_reduction") == 25.0
    assert report.get("catalogue", "all", "time_limit_compression") == 30.0
    assert report.get("applications", "all", "zero_visit_share") is None
    assert report.get("complaints", "all", "on_time_rate") is None


def test_chart_escapes_labels_and_scales_bars() -> None:
    svg = str(
        bar_chart("<b>t</b>", [("<script>", 50.0, "50.0"), ("ok", 100.0, "100.0")], scale=100)
    )
    assert "<script>" not in svg and "&lt;script&gt;" in svg
    assert 'width="180.0"' in svg and 'width="360.0"' in svg


def act(item: str, state: str, opened: str, issued: str | None = None, fee: int = 20000) -> Any:
    return NotarizationRecord(
        "MIL", "IT", "birth", item, state, date.fromisoformat(opened),
        date.fromisoformat(issued) if issued else None, fee,
    )  # fmt: skip


def test_notarial_acts_per_item_and_in_all() -> None:
    acts = [
        act("NO-001", "issued", "2026-03-02", "2026-03-05"),
        act("NO-001", "issued", "2026-03-03", "2026-03-13", 22000),
        act("NO-001", "refused", "2026-03-04"),
        act("NO-004", "issued", "2026-03-04", "2026-03-05", 30000),
        act("NO-004", "adjourned", "2026-03-06"),
        act("NO-004", "in_session", "2026-03-07"),
    ]
    report = compute([], [], [], TODAY, notarizations=acts)
    got = {(f.key, f.metric): f.value for f in report.section("notarizations")}
    counts = ("opened", "issued", "refused", "adjourned", "in_progress")
    assert [got[("all", m)] for m in counts] == [6, 3, 1, 1, 1]
    assert got[("all", "fees_cny")] == 720.0  # issued acts only
    assert (got[("all", "mean_days")], got[("all", "median_days")]) == (4.7, 3.0)  # 3, 10, 1 days
    assert (got[("NO-001", "mean_days")], got[("NO-001", "median_days")]) == (6.5, 6.5)
    assert got[("NO-004", "in_progress")] == 1 and got[("NO-004", "fees_cny")] == 300.0
    assert {k for k, _m in got} == {"all", "NO-001", "NO-004"}
    nothing_issued = compute(
        [], [], [], TODAY, notarizations=[act("NO-002", "booked", "2026-03-01")]
    )
    assert nothing_issued.get("notarizations", "all", "mean_days") is None
    assert nothing_issued.get("notarizations", "all", "fees_cny") == 0.0
    assert compute([], [], [], TODAY).section("notarizations") == []


def case(office: str, opened: str, settled: str | None = None, closed: str | None = None) -> Any:
    def day(text: str | None) -> date | None:
        return date.fromisoformat(text) if text else None

    return MediationRecord(office, date.fromisoformat(opened), day(settled), day(closed))


def test_mediation_cases_counted_as_the_mediation_desk_counts_them() -> None:
    cases = [
        case("MIL", "2026-02-20", settled="2026-03-02"),  # opened before, settled in the period
        case("MIL", "2026-03-03", settled="2026-03-10"),
        case("MIL", "2026-03-05", closed="2026-03-12"),
        case("MIL", "2026-03-06"),
        case("HUB", "2026-03-09", settled="2026-04-02"),  # still pending at the end of March
        case("PAR", "2026-01-05", settled="2026-01-20"),  # nothing to do with March
    ]
    march = (date(2026, 3, 1), date(2026, 3, 31))
    report = compute([], [], [], TODAY, mediations=cases, period=march)
    got = {(f.key, f.metric): f.value for f in report.section("mediations")}
    assert {k for k, _m in got} == {"all", "HUB", "MIL"}
    metrics = ("opened", "settled", "closed", "pending", "settled_share")
    assert [got[("all", m)] for m in metrics] == [4, 2, 1, 2, 66.7]
    assert [got[("MIL", m)] for m in (*metrics, "mean_days", "median_days", "longest_days")] == [
        3, 2, 1, 1, 66.7, 8.5, 8.5, 10,
    ]  # fmt: skip
    assert got[("HUB", "settled_share")] is None and got[("HUB", "mean_days")] is None
    desk, _total = office_figures(cases, *march)  # the mediation desk's own figures agree
    assert {(o.office, o.settled, o.median_days) for o in desk if o.office == "MIL"} == {
        ("MIL", 2, 8.5)
    }
    quiet = compute(
        [], [], [], TODAY, mediations=cases, period=(date(2025, 1, 1), date(2025, 12, 31))
    )
    assert quiet.section("mediations") == []
