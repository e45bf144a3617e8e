"""Each service starts on its own database and answers health, OpenAPI and its front page."""

from __future__ import annotations

import importlib
from pathlib import Path

import pytest

from common.db import Database
from common.service import NotMigrated
from tests.helpers import SERVICES, service_app

FRONT_PAGE_TEXT = {
    "hub": {"zh": "海外服务中心", "en": "Overseas service centre", "it": "Centro servizi"},
    "node": {"zh": "海外分中心", "en": "Overseas branch", "it": "Sede estera"},
    "govnet-sim": {
        "zh": "省政务服务平台模拟器",
        "en": "Provincial platform simulator",
        "it": "Simulatore della piattaforma provinciale",
    },
}


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_service_answers_health_openapi_and_pages(
    aiohttp_client, db_url: str, tmp_path: Path, service: str
) -> None:
    app, _db = await service_app(service, db_url, tmp_path)
    client = await aiohttp_client(app)

    health = await client.get("/healthz")
    assert health.status == 200
    assert await health.json() == {"service": service, "status": "ok", "database": True}
    assert health.headers["X-Request-Id"]

    spec = await (await client.get("/api/openapi.json")).json()
    assert spec["openapi"].startswith("3.")
    for path, ops in spec["paths"].items():
        for op in ops.values():
            assert "x-access" in op, f"{path} declares no access"

    for lang, text in FRONT_PAGE_TEXT[service].items():
        page = await client.get("/", params={"lang": lang})
        assert page.status == 200
        assert text in await page.text()


@pytest.mark.parametrize("service", sorted(SERVICES))
async def test_unknown_path_is_a_translated_problem(
    aiohttp_client, db_url: str, tmp_path: Path, service: str
) -> None:
    app, _db = await service_app(service, db_url, tmp_path)
    client = await aiohttp_client(app)
    for lang, title in {"zh": "未找到。", "en": "Not found.", "it": "Non trovato."}.items():
        resp = await client.get("/no/such/thing", headers={"Accept-Language": lang})
        assert resp.status == 404
        assert resp.content_type == "application/problem+json"
        body = await resp.json()
        assert body["code"] == "http.404"
        assert body["title"] == title


async def test_service_refuses_to_start_on_an_unmigrated_database(
    aiohttp_client, tmp_path: Path
) -> None:
    module = importlib.import_module("hub.app")
    from common.settings import HubSettings

    url = f"sqlite+aiosqlite:///{tmp_path / 'empty.sqlite3'}"
    app = module.create_app(HubSettings(data_dir=tmp_path), database=Database(url))
    with pytest.raises(NotMigrated, match="qiaolink migrate hub"):
        await aiohttp_client(app)
