"""Planted records, and every figure of the statistics exactly: JSON, page (zh/en/it), CSV."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, date, datetime, timedelta
from pathlib import Path
from typing import Any

import pytest

from common.clock import FixedClock
from common.db import Database
from hub.applications.tables import Application, Rating
from hub.catalogue.model import guides
from hub.catalogue.service import SHIPPED, publish, read_catalogue
from hub.complaints.tables import Complaint
from hub.seed import seed_database
from tests.helpers import service_app, signed_in


def at(day: str) -> datetime:
    """10:00 in Beijing on ``day``."""
    return datetime.fromisoformat(day).replace(hour=2, tzinfo=UTC)


# (branch, country, item, received, accepted, completed, deadline, state, rating)
APPS = [
    ("MIL", "IT", "HR-001", "2026-03-02", True, "2026-03-05", "2026-03-09", "completed", 5),
    ("MIL", "IT", "HR-001", "2026-03-03", True, "2026-03-12", "2026-03-10", "completed", 2),
    ("MIL", "FR", "RE-002", "2026-03-04", True, None, "2026-03-18", "in_process", None),
    ("MIL", "IT", "RE-002", "2026-03-05", False, None, None, "rejected", None),
    ("PAR", "FR", "HR-001", "2026-03-06", True, "2026-03-10", "2026-03-16", "completed", 4),
    ("MIL", "IT", "HR-001", "2026-02-10", True, "2026-02-12", "2026-02-17", "completed", 1),
    ("MIL", "IT", "HR-001", None, False, None, None, "draft", None),
]
# (branch, country, lodged, decided, department, refused reason, replied, state)
COMPLAINTS = [
    ("MIL", "IT", "2026-03-01", "2026-03-05", "real_estate", None, "2026-03-20", "replied"),
    ("MIL", "IT", "2026-03-02", None, None, None, None, "lodged"),
    ("PAR", "FR", "2026-03-01", "2026-03-18", None, "不属受理范围", None, "refused"),
]


GUIDES = guides(read_catalogue(SHIPPED))


async def plant(db: Database) -> None:
    async with db.transaction() as session:
        for code, materials, days in (("RE-002", 3, 6), ("HR-002", 3, 5)):
            guide = dict(next(g for g in GUIDES if g["code"] == code))
            guide["materials"] = guide["materials"][:materials]
            guide["promised_days"] = days
            await publish(session, guide, at("2026-03-01"))
        for n, (branch, country, item, received, accepted, done, due, state, level) in enumerate(
            APPS
        ):
            app = Application(
                number=f"APP-{n}", query_code_hash="0" * 64, item_code=item, item_version=1,
                branch=branch, owner="clerk.milan", resident_name="R", resident_document=f"D{n}",
                resident_country=country, resident_zone="Europe/Rome", resident_lang="it",
                state=state, created_at=at(received or "2026-03-01"),
                submitted_at=at(received) if received else None,
                accepted_at=at(received) + timedelta(days=1) if accepted else None,
                deadline=date.fromisoformat(due) if due else None,
                completed_at=at(done) if done else None,
            )  # fmt: skip
            session.add(app)
            await session.flush()
            if level:
                when = at("2026-03-15")
                session.add(
                    Rating(
                        application_id=app.id, level=level, comment="", at=when, follow_up="none"
                    )
                )
        for n, (branch, country, lodged, decided, dept, reason, replied, state) in enumerate(
            COMPLAINTS
        ):
            session.add(
                Complaint(
                    number=f"TS-{n}",
                    query_code_hash="0" * 64,
                    kind="complaint",
                    branch=branch,
                    lodged_by="clerk.milan",
                    complainant_name="N",
                    complainant_document="D",
                    complainant_contact="c",
                    complainant_country=country,
                    complainant_lang="zh",
                    facts="f",
                    request="r",
                    state=state,
                    lodged_at=at(lodged),
                    decided_at=at(decided) if decided else None,
                    decided_by="officer.wz" if decided else None,
                    department=dept,
                    handler="officer.wz" if dept else None,
                    refusal_reason=reason,
                    extended_days=0,
                    replied_at=at(replied) if replied else None,
                )
            )


def _expected_fixed() -> dict[tuple[str, str, str], Any]:
    """Worked out by hand from the planted records (period 1–31 March, reporting day 20 March)."""
    figures: dict[tuple[str, str, str], Any] = {}
    for key, values in {
        "all": (5, 4, 3, 2, 60.0),
        "HR-001": (3, 3, 3, 1, 100.0),
        "RE-002": (2, 1, 0, 1, 0.0),
    }.items():
        for metric, value in zip(
            ("received", "accepted", "completed", "overdue", "zero_visit_share"),
            values,
            strict=True,
        ):
            figures[("applications", key, metric)] = value
    for section, key, values in (
        ("ratings_item", "HR-001", (3, 3.67, 66.7)),
        ("ratings_office", "MIL", (2, 3.5, 50.0)),
        ("ratings_office", "PAR", (1, 4.0, 100.0)),
    ):
        for metric, value in zip(("ratings", "average", "satisfied_share"), values, strict=True):
            figures[(section, key, metric)] = value
    for metric, value in {
        "lodged": 3, "accepted": 1, "refused": 1, "answered": 1, "steps_done": 3,
        "steps_on_time": 2, "on_time_rate": 66.7, "overdue_now": 1,
    }.items():  # fmt: skip
        figures[("complaints", "all", metric)] = value
    return figures


def _expected_catalogue() -> dict[tuple[str, str, str], Any]:
    figures: dict[tuple[str, str, str], Any] = {}
    changed = {"RE-002": (3, 6), "HR-002": (3, 5)}
    first_m = now_m = first_d = now_d = 0
    for guide in sorted(GUIDES, key=lambda g: g["code"]):
        code, materials, days = guide["code"], len(guide["materials"]), guide["promised_days"]
        m_now, d_now = changed.get(code, (materials, days))
        first_m, now_m, first_d, now_d = (
            first_m + materials,
            now_m + m_now,
            first_d + days,
            now_d + d_now,
        )
        figures |= {
            ("catalogue", code, "materials_first"): materials,
            ("catalogue", code, "materials_now"): m_now,
            ("catalogue", code, "days_first"): days,
            ("catalogue", code, "days_now"): d_now,
            ("catalogue", code, "material_reduction"): round(
                100 * (materials - m_now) / materials, 1
            ),
            ("catalogue", code, "time_limit_compression"): round(100 * (days - d_now) / days, 1),
        }
    figures[("catalogue", "all", "material_reduction")] = round(
        100 * (first_m - now_m) / first_m, 1
    )
    figures[("catalogue", "all", "time_limit_compression")] = round(
        100 * (first_d - now_d) / first_d, 1
    )
    assert figures[("catalogue", "RE-002", "material_reduction")] == 40.0
    assert figures[("catalogue", "HR-002", "time_limit_compression")] == 28.6
    return figures


def shown(metric: str, value: Any) -> str:
    if isinstance(value, int):
        return str(value)
    return f"{value:.2f}" if metric == "average" else f"{value:.1f}"


@pytest.fixture
async def supervisor(aiohttp_client, db_url: str, tmp_path: Path) -> tuple[Any, dict[str, str]]:  # type: ignore[no-untyped-def]
    clock = FixedClock(at("2026-03-20"))
    app, db = await service_app("hub", db_url, tmp_path, clock=clock)
    passwords = await seed_database(db, at("2026-01-05"))
    await plant(db)
    client = await aiohttp_client(app)
    return client, await signed_in(client, "supervisor.wz", passwords["supervisor.wz"])


CELL = r'<td data-section="([^"]+)" data-key="([^"]+)" data-metric="([^"]+)"[^>]*>([^<]*)</td>'
PERIOD = "from=2026-03-01&to=2026-03-31"


async def test_every_figure_from_planted_records(supervisor: tuple[Any, dict[str, str]]) -> None:
    client, headers = supervisor
    expected = _expected_fixed() | _expected_catalogue()
    resp = await client.get(f"/api/statistics?{PERIOD}", headers=headers)
    assert resp.status == 200, await resp.text()
    got = {
        (f["section"], f["key"], f["metric"]): f["value"] for f in (await resp.json())["figures"]
    }
    assert got == expected

    for lang, title, calendar_word in [
        ("zh", "办件", "零跑"),
        ("en", "Applications", "zero-visit"),
        ("it", "Pratiche", "zero accessi"),
    ]:
        resp = await client.get(f"/statistics?{PERIOD}&lang={lang}", headers=headers)
        html = await resp.text()
        assert resp.status == 200 and title in html and calendar_word in html
        cells = {(s, k, m): v for s, k, m, v in re.findall(CELL, html)}
        # the page lists "all" and what has any figure; unchanged items and idle rows stay out
        busy = {
            (s, k)
            for (s, k, m), v in expected.items()
            if k == "all" or (v and (s != "catalogue" or m.endswith(("reduction", "compression"))))
        }
        assert cells == {
            key: shown(key[2], value) for key, value in expected.items() if key[:2] in busy
        }
        assert len(busy) < len({key[:2] for key in expected})
        assert html.count("<svg") == 7
        chart = html.split("<svg")[1].split("</svg>")[0]  # applications: received, accepted, …
        assert re.findall(r'data-value="([^"]+)"', chart) == ["5", "4", "3", "2"]

    resp = await client.get(f"/statistics.csv?{PERIOD}&lang=zh", headers=headers)
    assert resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    raw = await resp.read()
    assert raw.startswith(b"\xef\xbb\xbf")
    rows = list(csv.DictReader(io.StringIO(raw.decode("utf-8-sig"))))
    assert {(r["section"], r["key"], r["metric"]): r["value"] for r in rows} == {
        key: shown(key[2], value) for key, value in expected.items()
    }
    assert any("办件" in r["标签"] for r in rows)


async def test_filters_by_branch_country_and_item(supervisor: tuple[Any, dict[str, str]]) -> None:
    client, headers = supervisor

    async def figures(query: str, period: str = PERIOD) -> dict[tuple[str, str, str], Any]:
        resp = await client.get(f"/api/statistics?{period}&{query}", headers=headers)
        return {
            (f["section"], f["key"], f["metric"]): f["value"]
            for f in (await resp.json())["figures"]
        }

    mil = await figures("branch=MIL")
    assert [
        mil[("applications", "all", m)]
        for m in ("received", "accepted", "completed", "overdue", "zero_visit_share")
    ] == [4, 3, 2, 2, 50.0]
    assert (
        mil[("complaints", "all", "on_time_rate")] == 100.0
        and mil[("complaints", "all", "lodged")] == 2
    )
    assert ("ratings_office", "PAR", "ratings") not in mil
    fr = await figures("country=FR")
    assert (
        fr[("applications", "all", "received")] == 2 and fr[("complaints", "all", "refused")] == 1
    )
    re2 = await figures("item=RE-002")
    assert {k[1] for k in re2 if k[0] == "catalogue"} == {"RE-002", "all"}
    assert re2[("catalogue", "all", "material_reduction")] == 40.0
    everything = await figures("from=2026-02-01", period="to=2026-03-31")
    assert everything[("applications", "all", "received")] == 6
    bad = await client.get("/api/statistics?from=yesterday", headers=headers)
    assert bad.status == 422 and (await bad.json())["code"] == "statistics.bad_filter"
    client.session.cookie_jar.clear()  # signed out: the figures are not public
    clerk_view = await client.get("/statistics")
    assert clerk_view.status == 401
