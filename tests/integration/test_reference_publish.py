"""Publishing the office's reference files into a hub, on SQLite and PostgreSQL."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from datetime import UTC, date, datetime
from pathlib import Path

import pytest
from sqlalchemy import func, select

from common.clock import FixedClock
from common.db import Database
from common.settings import HubSettings
from hub.catalogue.model import CatalogueInvalid
from hub.catalogue.service import SHIPPED
from hub.catalogue.tables import ServiceItem
from hub.db import audit_events
from hub.reference import publish_file
from hub.schedules import service as schedules
from hub.schedules.model import ServiceType, SlotQuery
from hub.seed import seed_database
from tests.helpers import service_app

SHIPPED_TEXT = SHIPPED.read_text(encoding="utf-8")
CALENDAR_2027 = Path(__file__).parents[1] / "data" / "calendar-cn-2027.json"
NOW = datetime(2026, 2, 10, 2, 0, tzinfo=UTC)


def _changed_catalogue(tmp_path: Path) -> Path:
    raw = json.loads(SHIPPED_TEXT)
    item = next(i for i in raw["items"] if i["code"] == "RE-002")
    item["promised_days"] = 4
    item["name"]["it"] = "Trascrizione del trasferimento per compravendita"
    path = tmp_path / "catalogue-2026-02.json"
    path.write_text(json.dumps(raw, ensure_ascii=False), encoding="utf-8")
    return path


async def test_a_changed_catalogue_reaches_a_running_hub_on_the_next_load(
    aiohttp_client, db_url: str, tmp_path: Path
) -> None:  # type: ignore[no-untyped-def]
    app, db = await service_app(
        "hub", db_url, tmp_path, clock=FixedClock(NOW), office_phone="+39 02 1234 5678"
    )
    await seed_database(db, NOW)
    client = await aiohttp_client(app)
    before = await (await client.get("/api/catalogue/RE-002")).json()
    assert before["version"] == 1 and before["promised_days"] == 10
    settings = HubSettings(data_dir=tmp_path, database_url=db_url)

    report = await publish_file(settings, "catalogue", _changed_catalogue(tmp_path), NOW)

    assert report == "1 items published, 58 unchanged"
    after = await (await client.get("/api/catalogue/RE-002")).json()
    assert (after["version"], after["promised_days"]) == (2, 4)
    assert after["name_it"] == "Trascrizione del trasferimento per compravendita"
    assert after["contact"] == "+39 02 1234 5678 · wcqw@wencheng.gov.cn"
    listed = await (await client.get("/api/catalogue?category=real_estate")).json()
    assert next(i for i in listed if i["code"] == "RE-002")["version"] == 2
    old = await (await client.get("/api/catalogue/RE-002?version=1")).json()
    assert old["promised_days"] == 10 and not old["current"]
    async with db.transaction() as session:
        audited = (
            await session.execute(
                select(audit_events.c.subject).where(audit_events.c.action == "catalogue.published")
            )
        ).all()
    assert [row.subject for row in audited] == ["service_item:RE-002"]
    # the same file again publishes nothing
    again = await publish_file(settings, "catalogue", _changed_catalogue(tmp_path), NOW)
    assert again == "0 items published, 59 unchanged"


async def test_an_invalid_catalogue_publishes_nothing(db_url: str, tmp_path: Path) -> None:
    _app, db = await service_app("hub", db_url, tmp_path)
    await seed_database(db, NOW)
    raw = json.loads(SHIPPED_TEXT)
    raw["items"][0]["promised_days"] = 2  # a correct change …
    raw["items"][7]["materials"].append("visa")  # … in a file with a wrong one
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    settings = HubSettings(data_dir=tmp_path, database_url=db_url)
    with pytest.raises(CatalogueInvalid) as refused:
        await publish_file(settings, "catalogue", path, NOW)
    assert refused.value.field == "items[7].materials[4]"
    async with db.transaction() as session:
        assert await session.scalar(select(func.max(ServiceItem.version))) == 1
    await db.close()


def test_the_command_names_the_field_and_exits_2(tmp_path: Path) -> None:
    raw = json.loads(SHIPPED_TEXT)
    raw["items"][3]["statutory_days"] = "twenty"
    path = tmp_path / "bad.json"
    path.write_text(json.dumps(raw), encoding="utf-8")
    env = {**os.environ, "QIAOLINK_HUB_DATA_DIR": str(tmp_path)}
    done = subprocess.run(
        [sys.executable, "-m", "common.cli", "catalogue", "publish", str(path)],
        env=env,
        capture_output=True,
        text=True,
        timeout=60,
    )
    assert done.returncode == 2
    assert "not published, items[3].statutory_days: Input should be a valid integer" in done.stderr
    assert not (tmp_path / "hub.sqlite3").exists()  # refused before touching any database


async def _saturday_and_october(db_url: str, now: datetime) -> tuple[int, int]:
    """Slots for a notarization in Milan on Sat 25 Sep 2027 and on Wed–Thu 6–7 Oct 2027."""
    db_ = Database(db_url)
    try:
        saturday = SlotQuery(ServiceType.NOTARIZATION, date(2027, 9, 25), date(2027, 9, 25))
        october = SlotQuery(ServiceType.NOTARIZATION, date(2027, 10, 6), date(2027, 10, 7))
        on_saturday = await schedules.search(db_, saturday, branch="MIL", now=now)
        in_october = await schedules.search(db_, october, branch="MIL", now=now)
        return len(on_saturday), len(in_october)
    finally:
        await db_.close()


async def test_a_2027_calendar_opens_make_up_saturdays_and_closes_6_7_october(
    db_url: str, tmp_path: Path
) -> None:
    now = datetime(2027, 9, 10, 8, 0, tzinfo=UTC)
    _app, db = await service_app("hub", db_url, tmp_path)
    await seed_database(db, now)
    await db.close()
    saturday, october = await _saturday_and_october(db_url, now)
    assert saturday == 0 and october > 0  # what the holidays package alone gives for 2027

    settings = HubSettings(data_dir=tmp_path, database_url=db_url)
    report = await publish_file(settings, "calendar", CALENDAR_2027, now)

    assert report == "1 calendar years published (CN 2027), 0 unchanged"
    saturday, october = await _saturday_and_october(db_url, now)
    assert saturday > 0 and october == 0
