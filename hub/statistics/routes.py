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
from hub.applications.labels import name_in
from hub.catalogue.service import current_items
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


# a metric's words where its section needs its own (Italian agrees with what is counted)
SECTION_METRICS = {
    ("applications", "received"): N_("applications received"),
    ("applications", "accepted"): N_("applications accepted"),
    ("applications", "completed"): N_("applications completed"),
    ("applications", "overdue"): N_("applications overdue"),
    ("complaints", "accepted"): N_("complaints accepted"),
    ("complaints", "lodged"): N_("complaints lodged"),
    ("complaints", "overdue_now"): N_("complaints overdue now"),
}
TOP_ITEMS = 8  # the busiest items charted and listed first


def metric_label(section: str, metric: str) -> str:
    return SECTION_METRICS.get((section, metric), METRICS[metric])


def busy_keys(r: Report, section: str) -> list[str]:
    """A section's keys that show something: "all" first, then items or offices with any
    non-zero figure (the catalogue's unchanged items and idle offices are left out)."""
    keys: list[str] = []
    telling = _CHANGES if section == "catalogue" else None
    for f in r.section(section):
        if f.key in keys or not (f.key == "all" or f.value):
            continue
        if telling is None or f.key == "all" or f.metric in telling:
            keys.append(f.key)
    return keys


# a catalogue item tells something when its guide changed, not by its count of materials
_CHANGES = ("material_reduction", "time_limit_compression")


def top_items(r: Report) -> list[str]:
    received = [
        (f.value or 0, f.key)
        for f in r.section("applications")
        if f.metric == "received" and f.key != "all" and f.value
    ]
    return [key for _, key in sorted(received, key=lambda p: (-p[0], p[1]))[:TOP_ITEMS]]


def _charts(r: Report, _: Any, names: dict[str, str]) -> list[Markup]:
    def named(key: str) -> str:
        return _("all") if key == "all" else names.get(key, key)

    def bars(section: str, metric: str, keys: list[str]) -> list[tuple[str, float | None, str]]:
        found = {f.key: f for f in r.section(section) if f.metric == metric}
        return [(named(k), found[k].value, fmt(found[k])) for k in keys if k in found]

    def totals(section: str, *metrics: str) -> list[tuple[str, float | None, str]]:
        return [
            (_(metric_label(section, f.metric)), f.value, fmt(f))
            for f in r.section(section)
            if f.key == "all" and f.metric in metrics
        ]

    busiest = top_items(r)
    changed = [k for k in busy_keys(r, "catalogue") if k != "all"]
    charts = [
        (SECTIONS["applications"], totals("applications", *_COUNTS), None),
        (
            N_("Busiest service items: applications received"),
            bars("applications", "received", busiest),
            None,
        ),
        (METRICS["material_reduction"], bars("catalogue", "material_reduction", changed), 100),
        (
            METRICS["time_limit_compression"],
            bars("catalogue", "time_limit_compression", changed),
            100,
        ),
        (
            SECTIONS["ratings_item"],
            bars("ratings_item", "average", busy_keys(r, "ratings_item")),
            5,
        ),
        (
            SECTIONS["ratings_office"],
            bars("ratings_office", "average", busy_keys(r, "ratings_office")),
            5,
        ),
        (
            SECTIONS["complaints"],
            totals("complaints", "lodged", "accepted", "refused", "answered", "overdue_now"),
            None,
        ),
        (
            SECTIONS["consultations"],
            totals("consultations", "booked", "held", "missed", "answered", "overdue_now"),
            None,
        ),
        (
            SECTIONS["notarizations"],
            totals("notarizations", "opened", "issued", "refused", "adjourned", "in_progress"),
            None,
        ),
        (
            SECTIONS["mediations"],
            totals("mediations", "opened", "settled", "closed", "pending"),
            None,
        ),
    ]
    return [bar_chart(_(title), rows, scale=scale) for title, rows, scale in charts if rows]


_COUNTS = ("received", "accepted", "completed", "overdue")


def glance(r: Report) -> list[tuple[str, str, str]]:
    """The few figures a supervisor reads first: (section, metric, shown value)."""
    wanted = [("applications", m) for m in _COUNTS] + [
        ("complaints", "lodged"),
        ("complaints", "overdue_now"),
    ]
    found = {(f.section, f.metric): f for f in r.figures if f.key == "all"}
    return [(s, m, fmt(found[(s, m)])) for s, m in wanted if (s, m) in found]


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

    async with request.app[DB].sessions() as session:
        names = {i.code: name_in(i.guide, locale) for i in await current_items(session)}
    return request.app[PAGES].render(
        request,
        "statistics/page.html",
        report=r,
        charts=_charts(r, _, names) if r.figures else [],
        glance=glance(r),
        sections=SECTIONS,
        metric_label=metric_label,
        busy_keys=busy_keys,
        top=top_items(r),
        names=names,
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
    async with request.app[DB].sessions() as session:
        names = {i.code: name_in(i.guide, locale) for i in await current_items(session)}
    out = io.StringIO()
    writer = csv.writer(out)
    writer.writerow(["section", "key", "metric", "value", translate(locale, N_("label"))])
    for f in r.figures:
        metric = translate(locale, metric_label(f.section, f.metric))
        label = f"{translate(locale, SECTIONS[f.section])} · {metric}"
        if f.key in names:
            label += f" · {names[f.key]}"
        writer.writerow([f.section, f.key, f.metric, fmt(f), label])
    body = ("\ufeff" + out.getvalue()).encode("utf-8")
    return web.Response(
        body=body,
        headers={
            "Content-Type": "text/csv; charset=utf-8",
            "Content-Disposition": 'attachment; filename="qiaolink-statistics.csv"',
        },
    )
