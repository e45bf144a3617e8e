"""Planted notarial acts and mediation cases, and their figures in the statistics exactly."""

from __future__ import annotations

import csv
import io
import re
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import insert

from common.clock import FixedClock
from common.db import Database
from hub.applications.tables import Application
from hub.mediation.tables import MediationCase, Participant
from hub.notarization.model import KINDS, ActType
from hub.notarization.tables import notarial_acts
from hub.seed import seed_database
from tests.helpers import service_app, signed_in

REPORTING = datetime(2026, 3, 20, 2, 0, tzinfo=UTC)  # 20 March, 10:00 in Beijing
PERIOD = "from=2026-03-01&to=2026-03-31"


def at(day: str, hour: int = 8) -> datetime:
    return datetime.fromisoformat(day).replace(hour=hour, tzinfo=UTC)


# (type, branch, resident's country, state, opened (UTC day, hour), issued, fee in cents)
ACTS = [
    ("birth", "MIL", "IT", "issued", ("2026-03-02", 8), "2026-03-05", 20000),
    ("birth", "MIL", "FR", "issued", ("2026-03-03", 8), "2026-03-13", 22000),
    ("kinship", "MIL", "IT", "refused", ("2026-03-04", 8), None, 20000),
    ("power_of_attorney_home", "MIL", "IT", "issued", ("2026-03-04", 8), "2026-03-05", 30000),
    ("power_of_attorney_home", "PAR", "FR", "adjourned", ("2026-03-06", 8), None, 30000),
    ("marital_status", "MIL", "IT", "in_session", ("2026-03-07", 8), None, 20000),
    ("birth", "MIL", "IT", "issued", ("2026-02-20", 8), "2026-02-24", 20000),
    # 28 February 20:00 UTC is 1 March in Beijing: the hub's calendar puts it in March
    ("kinship", "MIL", "IT", "booked", ("2026-02-28", 20), None, 20000),
]
# (office, parties' countries, opened, settled, closed)
CASES = [
    ("MIL", ("IT", "CN"), "2026-02-20", "2026-03-02", None),
    ("MIL", ("IT", "IT"), "2026-03-03", "2026-03-10", None),
    ("MIL", ("FR", "CN"), "2026-03-05", None, "2026-03-12"),
    ("MIL", ("IT", "CN"), "2026-03-06", None, None),
    ("WZ", ("CN", "FR"), "2026-03-09", None, None),
    ("PAR", ("FR", "FR"), "2026-01-05", "2026-01-20", None),
]


async def _acts(session: Any) -> None:
    for n, (kind, branch, country, state, (day, hour), issued, fee) in enumerate(ACTS):
        opened = at(day, hour)
        number = f"NAPP-{n}"
        session.add(
            Application(
                number=number, query_code_hash="0" * 64,
                item_code=KINDS[ActType(kind)].item_code, item_version=1, branch=branch,
                owner="clerk.milan", resident_name="R", resident_document=f"N{n}",
                resident_country=country, resident_zone="Europe/Rome", resident_lang="it",
                state="in_process", created_at=opened, submitted_at=None,
            )
        )  # fmt: skip
        await session.execute(
            insert(notarial_acts).values(
                id=f"act{n}", number=f"NOT-2026-{n:06d}", act_type=kind, state=state,
                application_number=number, resident_id=f"res{n}", resident_name="R",
                resident_document=f"N{n}", resident_lang="it", branch=branch,
                booking_reference=f"NB{n}", notary="notary.wz", scheduled_at=opened,
                particulars={}, copies=1 + (fee % 10000) // 2000, fee_cents=fee,
                verification_code=f"CODE-{n:04d}", advisements=[], created_by="clerk.milan",
                created_at=opened, updated_at=opened,
                issued_at=at(issued) if issued else None,
            )
        )  # fmt: skip


async def _cases(session: Any) -> None:
    for n, (office, countries, opened, settled, closed) in enumerate(CASES):
        state = "settled" if settled else "closed" if closed else "mediating"
        row = MediationCase(
            number=f"TJ-{n}", office=office, subject="s", summary="s", mediator="mediator.wz",
            mediator_name="M", mediator_office=office, state=state, opened_by="officer.wz",
            opened_at=at(opened), settled_at=at(settled) if settled else None,
            closed_at=at(closed) if closed else None,
            close_reason="no agreement" if closed else None,
        )  # fmt: skip
        session.add(row)
        await session.flush()
        for p, country in enumerate(countries):
            session.add(
                Participant(
                    case_id=row.id, role="party", name=f"P{p}", document=f"M{n}{p}",
                    country=country, location=office, lang="it", access_code_hash="0" * 64,
                )
            )  # fmt: skip
    # a witness living in Spain makes no case Spanish: only the parties count
    session.add(
        Participant(
            case_id=row.id, role="witness", name="W", document="W1", country="ES",
            location="PAR", lang="it", access_code_hash="0" * 64,
        )
    )  # fmt: skip


async def plant(db: Database) -> None:
    async with db.transaction() as session:
        await _acts(session)
        await _cases(session)


ACT_METRICS = (
    "opened", "issued", "refused", "adjourned", "in_progress", "fees_cny", "mean_days",
    "median_days",
)  # fmt: skip
CASE_METRICS = (
    "opened", "settled", "closed", "pending", "settled_share", "mean_days", "median_days",
    "longest_days",
)  # fmt: skip
# Worked out by hand for March (reporting day 20 March): the February act is left out, the act
# of 28 February 20:00 UTC is in; days issued: 3, 10 (birth) and 1 (power of attorney).
EXPECTED_ACTS = {
    "all": (7, 3, 1, 1, 2, 720.0, 4.7, 3.0),
    "NO-001": (2, 2, 0, 0, 0, 420.0, 6.5, 6.5),
    "NO-002": (2, 0, 1, 0, 1, 0.0, None, None),
    "NO-003": (1, 0, 0, 0, 1, 0.0, None, None),
    "NO-004": (2, 1, 0, 1, 0, 300.0, 1.0, 1.0),
}
# Settled in March: the February case (10 days) and one of March (7 days); the Paris case of
# January has nothing in March, so Paris is not listed.
EXPECTED_CASES = {
    "all": (4, 2, 1, 2, 66.7, 8.5, 8.5, 10),
    "MIL": (3, 2, 1, 1, 66.7, 8.5, 8.5, 10),
    "WZ": (1, 0, 0, 1, None, None, None, None),
}


def expected() -> dict[tuple[str, str, str], Any]:
    figures: dict[tuple[str, str, str], Any] = {}
    for section, metrics, table in (
        ("notarizations", ACT_METRICS, EXPECTED_ACTS),
        ("mediations", CASE_METRICS, EXPECTED_CASES),
    ):
        for key, values in table.items():
            for metric, value in zip(metrics, values, strict=True):
                figures[(section, key, metric)] = value
    return figures


def shown(metric: str, value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, int):
        return str(value)
    return f"{value:.2f}" if metric in ("average", "fees_cny") else f"{value:.1f}"


@pytest.fixture
async def supervisor(aiohttp_client, db_url: str, tmp_path: Path) -> tuple[Any, dict[str, str]]:  # type: ignore[no-untyped-def]
    app, db = await service_app("hub", db_url, tmp_path, clock=FixedClock(REPORTING))
    passwords = await seed_database(db, at("2026-01-05"))
    await plant(db)
    client = await aiohttp_client(app)
    return client, await signed_in(client, "supervisor.wz", passwords["supervisor.wz"])


OURS = ("notarizations", "mediations")


async def figures(client: Any, headers: dict[str, str], query: str) -> dict[Any, Any]:
    resp = await client.get(f"/api/statistics?{query}", headers=headers)
    assert resp.status == 200, await resp.text()
    return {
        (f["section"], f["key"], f["metric"]): f["value"]
        for f in (await resp.json())["figures"]
        if f["section"] in OURS
    }


CELL = (
    r'<td data-section="(notarizations|mediations)" data-key="([^"]+)" data-metric="([^"]+)"[^>]*>'
    r"([^<]*)</td>"
)
TITLES = {
    "zh": ("本期受理的公证", "调解案件", "已出证", "调解成功"),
    "en": ("Notarial acts opened", "Mediation cases", "certificate issued", "settled by agreement"),
    "it": (
        "Atti notarili aperti",
        "Mediazioni",
        "certificato rilasciato",
        "conciliati con accordo",
    ),
}


def chart_values(html: str, title: str) -> list[str]:
    """The numbers written beside the bars of the chart whose title starts with ``title``."""
    for svg in html.split("<svg")[1:]:
        if re.search(r"<title>" + re.escape(title), svg):
            return re.findall(r'data-value="([^"]+)"', svg.split("</svg>")[0])
    raise AssertionError(f"no chart titled {title}")


async def test_notary_and_mediation_figures_from_planted_records(
    supervisor: tuple[Any, dict[str, str]],
) -> None:
    client, headers = supervisor
    assert await figures(client, headers, PERIOD) == expected()

    for lang, (acts, cases, issued, settled) in TITLES.items():
        resp = await client.get(f"/statistics?{PERIOD}&lang={lang}", headers=headers)
        html = await resp.text()
        assert resp.status == 200
        assert all(word in html for word in (acts, cases, issued, settled)), lang
        cells = {(s, k, m): v for s, k, m, v in re.findall(CELL, html)}
        assert cells == {key: shown(key[2], value) for key, value in expected().items()}
        # opened, issued, refused, adjourned, in progress; opened, settled, closed, pending
        assert chart_values(html, acts) == ["7", "3", "1", "1", "2"]
        assert chart_values(html, cases) == ["4", "2", "1", "2"]

    resp = await client.get(f"/statistics.csv?{PERIOD}&lang=it", headers=headers)
    assert resp.status == 200 and resp.headers["Content-Type"] == "text/csv; charset=utf-8"
    rows = list(csv.DictReader(io.StringIO((await resp.read()).decode("utf-8-sig"))))
    ours = [r for r in rows if r["section"] in OURS]
    got = {(r["section"], r["key"], r["metric"]): r["value"] for r in ours}
    assert got == {key: shown(key[2], value) for key, value in expected().items()}
    fees = next(r for r in ours if (r["key"], r["metric"]) == ("all", "fees_cny"))
    assert fees["value"] == "720.00" and fees["etichetta"].startswith("Atti notarili")


async def test_notary_and_mediation_figures_follow_the_filters(
    supervisor: tuple[Any, dict[str, str]],
) -> None:
    client, headers = supervisor
    milan = await figures(client, headers, f"{PERIOD}&branch=MIL")
    assert milan[("notarizations", "all", "opened")] == 6
    assert milan[("notarizations", "all", "adjourned")] == 0  # the adjourned act is in Paris
    assert {k[1] for k in milan if k[0] == "mediations"} == {"all", "MIL"}
    assert milan[("mediations", "all", "opened")] == 3

    france = await figures(client, headers, f"{PERIOD}&country=FR")
    assert {k[1] for k in france if k[0] == "notarizations"} == {"all", "NO-001", "NO-004"}
    assert france[("notarizations", "all", "fees_cny")] == 220.0
    assert {k[1] for k in france if k[0] == "mediations"} == {"all", "MIL", "WZ"}
    assert france[("mediations", "all", "closed")] == 1
    spain = await figures(client, headers, f"{PERIOD}&country=ES")  # only a witness lives there
    assert spain == {}

    power = await figures(client, headers, f"{PERIOD}&item=NO-004")
    assert {k[1] for k in power if k[0] == "notarizations"} == {"all", "NO-004"}
    assert power[("notarizations", "all", "opened")] == 2
    assert power[("mediations", "all", "opened")] == 4  # mediation is not tied to a service item
    other_item = await figures(client, headers, f"{PERIOD}&item=HR-001")
    assert {k[0] for k in other_item} == {"mediations"}

    february = await figures(client, headers, "from=2026-02-01&to=2026-02-28")
    assert february[("notarizations", "all", "opened")] == 1
    assert february[("notarizations", "all", "mean_days")] == 4.0
    assert february[("mediations", "all", "pending")] == 1  # settled only on 2 March
    assert {k[1] for k in february if k[0] == "mediations"} == {"all", "MIL"}

    nothing = "from=2025-01-01&to=2025-01-31"
    assert await figures(client, headers, nothing) == {}
    page = await client.get(f"/statistics?{nothing}&lang=en", headers=headers)
    html = await page.text()
    assert "<title>Notarial acts" not in html and "<title>Mediation cases" not in html
    assert 'data-section="notarizations"' not in html

    for bad in ("item=NO%20001!", "branch=milano1", "to=31-03-2026"):
        for path in ("/api/statistics", "/statistics.csv"):
            resp = await client.get(f"{path}?{bad}", headers=headers)
            assert resp.status == 422, bad
            assert (await resp.json())["code"] == "statistics.bad_filter"
