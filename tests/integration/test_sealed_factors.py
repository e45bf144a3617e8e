"""Staff authenticator secrets are sealed at rest: the database alone yields no sign-in codes.

The demo seeding of the node (the credentials file it writes), the migration of rows stored in
clear before sealing, and a service started with another key file: each as staff would meet it.
"""

from __future__ import annotations

import base64
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
import sqlalchemy as sa
from sqlalchemy import inspect

from common.db import Database, make_engine, migrate
from common.settings import NodeSettings
from hub.seed import seed_database as seed_hub
from overseas_node.seed import seed as seed_node
from signing.totp import code_at
from tests.helpers import service_app

HUB_BEFORE = "security_0002"  # the hub's last revision with secrets in clear


async def _raw_factors(db: Database) -> list[dict[str, Any]]:
    async with db.sessions() as session:
        rows = (await session.execute(sa.text("SELECT * FROM staff_factors"))).mappings().all()
    return [dict(r) for r in rows]


def _holds(value: object, secret: str) -> bool:
    """Whether a stored value shows the secret, as text or as the key bytes it encodes."""
    raw = bytes(value) if isinstance(value, bytes | memoryview) else str(value).encode()
    key = base64.b32decode(secret + "=" * (-len(secret) % 8))
    return secret.encode() in raw or key in raw


def _demo_clerk(data_dir: Path) -> tuple[str, str, str]:
    """The Milan clerk's user name, password and authenticator secret, as the demo prints them."""
    lines = (data_dir / "demo-credentials.txt").read_text(encoding="utf-8").splitlines()
    fields = next(line.split("\t") for line in lines if line.startswith("node\tclerk.milan\t"))
    return fields[1], fields[2], fields[3]


async def _sign_in(client: Any, username: str, password: str, secret: str) -> Any:
    body = {"username": username, "password": password, "code": code_at(secret, datetime.now(UTC))}
    return await client.post("/api/session", json=body)


async def test_the_node_demo_codes_work_and_its_database_holds_no_secret(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    app, db = await service_app("node", db_url, tmp_path)
    await seed_node(NodeSettings(data_dir=tmp_path, database_url=db_url))
    username, password, secret = _demo_clerk(tmp_path)
    rows = await _raw_factors(db)
    assert rows and "totp_secret" not in rows[0]
    clerk = next(r for r in rows if r["subject"] == username)
    assert not any(_holds(v, secret) for v in clerk.values() if v is not None)

    client = await aiohttp_client(app)
    resp = await _sign_in(client, username, password, secret)
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["branch"] == "MIL"


async def test_another_key_file_refuses_sign_in_clearly_and_stores_nothing(
    aiohttp_client: Any, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'node.sqlite3'}"
    _app, db = await service_app("node", url, tmp_path / "first")
    await seed_node(NodeSettings(data_dir=tmp_path / "first", database_url=url))
    username, password, secret = _demo_clerk(tmp_path / "first")
    await db.close()
    # the same database, served from a data directory whose key is another one
    app, db = await service_app("node", url, tmp_path / "other")
    before = await _raw_factors(db)
    client = await aiohttp_client(app)
    code = code_at(secret, datetime.now(UTC))
    resp = await client.post(
        "/api/session",
        json={"username": username, "password": password, "code": code},
        headers={"Accept-Language": "it"},
    )
    assert resp.status == 503
    problem = await resp.json()
    assert problem["code"] == "secrets.unreadable"
    assert "amministratore" in problem["title"], problem
    assert await _raw_factors(db) == before  # no failure counted, no step claimed


async def test_secrets_stored_in_clear_are_sealed_by_the_migration(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    engine = make_engine(db_url)
    secret = "JBSWY3DPEHPK3PXPJBSWY3DPEHPK3PXP"
    try:
        await migrate(engine, "hub:migrations", HUB_BEFORE)
        async with engine.begin() as conn:  # a notary enrolled before secrets were sealed
            await conn.execute(
                sa.text(
                    "INSERT INTO staff_factors (subject, totp_secret, confirmed_at, required)"
                    " VALUES ('notary.wz', :s, :at, :no)"
                ),
                {"s": secret, "at": datetime.now(UTC), "no": False},
            )
        with pytest.raises(RuntimeError, match="qiaolink migrate"):
            await migrate(engine, "hub:migrations", "heads")  # without the key: stops, says why
        await migrate(engine, "hub:migrations", "heads", data_dir=tmp_path)
        async with engine.connect() as conn:
            columns = await conn.run_sync(
                lambda c: {col["name"] for col in inspect(c).get_columns("staff_factors")}
            )
        assert "totp_secret" not in columns

        app, db = await service_app("hub", db_url, tmp_path)
        rows = await _raw_factors(db)
        assert len(rows) == 1 and not any(_holds(v, secret) for v in rows[0].values() if v)
        passwords = await seed_hub(db, datetime.now(UTC))
        client = await aiohttp_client(app)
        without = await client.post(
            "/api/session", json={"username": "notary.wz", "password": passwords["notary.wz"]}
        )
        assert (await without.json())["code"] == "auth.code_required"
        resp = await _sign_in(client, "notary.wz", passwords["notary.wz"], secret)
        assert resp.status == 200, await resp.text()
        await migrate(engine, "hub:migrations", "base", data_dir=tmp_path)  # opens them again
    finally:
        await engine.dispose()
