"""The supervisor's statistics: a page with charts and a table, JSON, and a CSV export."""

from __future__ import annotations

import csv
import io
import re
from datetime import date
from typing import Any

from aiohttp import web
from markupsafe import Markup

from common.access import Role, allow
from common.errors import N_, Invalid
from common.i18n import translate
from common.service import CLOCK, DB, PAGES
from common.web import LOCALE, RouteTable
from hub.statistics.charts import bar_chart
from hub.statistics.model import Figure, Report
from hub.statistics.service import Filters, report
from hub.zone import hub_date

__all__ = ["METRICS", "SECTIONS", "fmt", "routes"]

routes = RouteTable()
TAGS = ("statistics",)
SUPERVISORS = allow(Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN, read_only=True)
SECTIONS = {
    "applications": N_("Applications received in the period"),
    "catalogue": N_("Service items: now versus the first version"),
    "ratings_item": N_("Ratings per service item"),
    "ratings_office": N_("Ratings per office"),
    "complaints": N_("Complaints and petitions"),
    "consultations": N_("Consultations by video"),
    "notarizations": N_("Notarial acts opened in the period, per service item"),
    "mediations": N_("Mediation cases, per office that received them"),
}
METRICS = {
    "received": N_("received"),
    "accepted": N_("accepted"),
    "completed": N_("completed"),
    "overdue": N_("overdue"),
    "zero_visit_share": N_("zero-visit share (%)"),
    "materials_first": N_("materials, first version"),
    "materials_now": N_("materials now"),
    "material_reduction": N_("material reduction (%)"),
    "days_first": N_("promised days, first version"),
    "days_now": N_("promised days now"),
    "time_limit_compression": N_("time-limit compression (%)"),
    "ratings": N_("ratings"),
    "average": N_("average rating (1-5)"),
    "satisfied_share": N_("satisfied share (%)"),
    "lodged": N_("lodged"),
    "refused": N_("refused"),
    "answered": N_("answered"),
    "steps_done": N_("steps finished"),
    "steps_on_time": N_("steps finished on time"),
    "on_time_rate": N_("on-time rate (%)"),
    "overdue_now": N_("overdue now"),
    "booked": N_("booked"),
    "held": N_("held"),
    "missed": N_("missed (resident absent)"),
    "opened": N_("opened"),
    "issued": N_("certificate issued"),
    "adjourned": N_("adjourned, not yet resumed"),
    "in_progress": N_("in progress"),
    "fees_cny": N_("fees of the certificates issued (CNY)"),
    "mean_days": N_("mean days to completion"),
    "median_days": N_("median days to completion"),
    "settled": N_("settled by agreement"),
    "closed": N_("closed without agreement"),
    "pending": N_("pending at the end of the period"),
    "settled_share": N_("settled share of finished cases (%)"),
    "longest_days": N_("longest days to settlement"),
}
_PATTERNS = {"branch": r"[A-Z]{2,8}", "country": r"[A-Z]{2}", "item": r"[A-Z0-9-]{1,16}"}


def fmt(figure: Figure) -> str:
    """How a figure is written in the table and the CSV alike."""
    value = figure.value
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{value:.2f}" if figure.metric in ("average", "fees_cny") else f"{value:.1f}"


def filters_from(request: web.Request) -> Filters:
    values: dict[str, Any] = {}
    for name, pattern in _PATTERNS.items():
        raw = request.query.get(name, "").strip().upper()
        if raw and not re.fullmatch(pattern, raw):
            raise Invalid(
                "statistics.bad_filter",
                N_("The filter {name} is not valid."),
                params={"name": name},
            )
        values[name] = raw or None
    for name, key in (("from", "start"), ("to", "end")):
        raw = request.query.get(name, "").strip()
        try:
            values[key] = date.fromisoformat(raw) if raw else None
        except ValueError:
            raise Invalid(
                "statistics.bad_filter",
                N_("The filter {name} is not valid."),
                params={"name": name},
            ) from None
    return Filters(**values)


async def _report(request: web.Request) -> tuple[Filters, Report]:
    filters = filters_from(request)
    now = request.app[CLOCK].now()
    async with request.app[DB].sessions() as session:
        return filters, await report(session, filters, hub_date(now), now)


def _charts(r: Report, _: Any) -> list[Markup]:
    def bars(section: str, metric: str) -> list[tuple[str, float | None, str]]:
        return [
            (f.key if f.key != "all" else _("all"), f.value, fmt(f))
            for f in r.section(section)
            if f.metric == metric
        ]

    counts = ("received", "accepted", "completed", "overdue")
    apps = [
        (_(METRICS[f.metric]), f.value, fmt(f))
        for f in r.section("applications")
        if f.key == "all" and f.metric in counts
    ]
    complaints = [
        (_(METRICS[f.metric]), f.value, fmt(f))
        for f in r.section("complaints")
        if f.metric in ("lodged", "accepted", "refused", "answered", "overdue_now")
    ]

    def totals(section: str, *metrics: str) -> list[tuple[str, float | None, str]]:
        return [
            (_(METRICS[f.metric]), f.value, fmt(f))
            for f in r.section(section)
            if f.key == "all" and f.metric in metrics
        ]

    consultations = totals("consultations", "booked", "held", "missed", "answered", "overdue_now")
    acts = totals("notarizations", "opened", "issued", "refused", "adjourned", "in_progress")
    cases = totals("mediations", "opened", "settled", "closed", "pending")
    return [
        bar_chart(_(SECTIONS["applications"]), apps),
        bar_chart(
            _(METRICS["zero_visit_share"]), bars("applications", "zero_visit_share"), scale=100
        ),
        bar_chart(
            _(METRICS["material_reduction"]), bars("catalogue", "material_reduction"), scale=100
        ),
        bar_chart(
            _(METRICS["time_limit_compression"]),
            bars("catalogue", "time_limit_compression"),
            scale=100,
        ),
        bar_chart(_(SECTIONS["ratings_item"]), bars("ratings_item", "average"), scale=5),
        bar_chart(_(SECTIONS["ratings_office"]), bars("ratings_office", "average"), scale=5),
        bar_chart(_(SECTIONS["complaints"]), complaints),
        *([bar_chart(_(SECTIONS["consultations"]), consultations)] if consultations else []),
        *([bar_chart(_(SECTIONS["notarizations"]), acts)] if acts else []),
        *([bar_chart(_(SECTIONS["mediations"]), cases)] if cases else []),
    ]


@routes.get(
    "/statistics",
    access=SUPERVISORS,
    summary="The office's statistics: charts and a table",
    tags=("pages", *TAGS),
)
async def statistics_page(request: web.Request) -> web.Response:
    filters, r = await _report(request)
    locale = request.get(LOCALE, "zh")

    def _(message: str, **params: Any) -> str:
        return translate(locale, message, **params)

    return request.app[PAGES].render(
        request,
        "statistics/page.html",
        report=r,
        charts=_charts(r, _) if r.figures else [],
        sections=SECTIONS,
        metrics=METRICS,
        fmt=fmt,
        filters=filters,
        query=request.query_string,
    )


@routes.get(
    "/api/statistics", access=SUPERVISORS, summary="The office's statistics as JSON", tags=TAGS
)
async def statistics_json(request: web.Request) -> web.Response:
    _filters, r = await _report(request)
    rows = [
        {"section": f.section, "key": f.key, "metric": f.metric, "value": f.value}
        for f in r.figures
    ]
    return web.json_response({"figures": rows})


@routes.get(
    "/statistics.csv",
    access=SUPERVISORS,
    summary="The office's statistics as CSV (UTF-8 with BOM)",
    tags=TAGS,
)
async def statistics_csv(request: web.Request) -> web.Response:
    _filters, r = await _report(request)
    locale = request.get(LOCALE, "zh")
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "key", "metric", "value", translate(locale, N_("label"))])
    for f in r.figures:
        label = f"{translate(locale, SECTIONS[f.section])} · {translate(locale, METRICS[f.metric])}"
        writer.writerow([f.section, f.key, f.metric, fmt(f), label])
    body = ("\ufeff" + out.getvalue()).encode("utf-8")
    return web.Response(
        body=body,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="qiaolink-statistics.csv"',
        },
    )
