"""Staff second factor: enrolment, sign-in with password and code, lock-out, sign-out for good."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from sqlalchemy import select

from common.clock import FixedClock
from common.sessions import SESSION_COOKIE
from hub.db import audit_events
from hub.seed import seed_database
from signing.totp import code_at
from tests.helpers import service_app, signed_in

USER = "notary.wz"


async def _hub(aiohttp_client: Any, db_url: str, tmp_path: Path) -> tuple[Any, Any, Any, dict]:
    clock = FixedClock()
    app, db = await service_app("hub", db_url, tmp_path, clock=clock)
    passwords = await seed_database(db, clock.now())
    return await aiohttp_client(app), db, clock, passwords


async def _enrol(client: Any, clock: FixedClock, password: str) -> str:
    auth = await signed_in(client, USER, password)
    started = await client.post("/api/session/second-factor", headers=auth)
    assert started.status == 200
    body = await started.json()
    assert body["uri"].startswith("otpauth://totp/") and "secret=" in body["uri"]
    wrong = await client.post(
        "/api/session/second-factor/confirm", json={"code": "000000"}, headers=auth
    )
    assert wrong.status == 422 and (await wrong.json())["code"] == "auth.bad_code"
    code = code_at(body["secret"], clock.now())
    ok = await client.post("/api/session/second-factor/confirm", json={"code": code}, headers=auth)
    assert ok.status == 200, await ok.text()
    clock.advance(timedelta(seconds=30))  # the next sign-in needs a fresh code
    return str(body["secret"])


async def _sign_in(client: Any, password: str, code: str | None = None) -> Any:
    body = {"username": USER, "password": password, **({"code": code} if code else {})}
    return await client.post("/api/session", json=body)


async def test_enrolled_staff_sign_in_with_password_and_a_fresh_code(
    aiohttp_client, db_url: str, tmp_path: Path
) -> None:
    client, _db, clock, passwords = await _hub(aiohttp_client, db_url, tmp_path)
    secret = await _enrol(client, clock, passwords[USER])
    without = await _sign_in(client, passwords[USER])
    assert without.status == 401 and (await without.json())["code"] == "auth.code_required"
    code = code_at(secret, clock.now())
    assert (await _sign_in(client, passwords[USER], code)).status == 200
    replay = await _sign_in(client, passwords[USER], code)  # the same code, a second time
    assert replay.status == 401 and (await replay.json())["code"] == "auth.bad_code"
    again = await client.post(
        "/api/session/second-factor",
        headers=await signed_in_with(client, passwords[USER], secret, clock),
    )
    assert again.status == 409  # enrolled once; no silent replacement of the secret


async def signed_in_with(client: Any, password: str, secret: str, clock: FixedClock) -> dict:
    clock.advance(timedelta(seconds=30))
    resp = await _sign_in(client, password, code_at(secret, clock.now()))
    assert resp.status == 200, await resp.text()
    return {"Authorization": f"Bearer {(await resp.json())['token']}"}


async def test_guessing_the_one_time_code_locks_the_account_out(
    aiohttp_client, db_url: str, tmp_path: Path
) -> None:
    client, db, clock, passwords = await _hub(aiohttp_client, db_url, tmp_path)
    secret = await _enrol(client, clock, passwords[USER])
    right = code_at(secret, clock.now())
    guesses = [f"{n:06d}" for n in range(1000) if f"{n:06d}" != right][:5]
    for guess in guesses:
        resp = await _sign_in(client, passwords[USER], guess)
        assert resp.status == 401 and (await resp.json())["code"] == "auth.bad_code"
    locked = await _sign_in(client, passwords[USER], right)  # even the right code now
    assert locked.status == 429
    assert (await locked.json())["code"] == "auth.locked"
    clock.advance(timedelta(minutes=16))
    back = await _sign_in(client, passwords[USER], code_at(secret, clock.now()))
    assert back.status == 200
    async with db.sessions() as session:
        actions = (await session.scalars(select(audit_events.c.action))).all()
    assert actions.count("staff.sign_in_failed") == 5
    assert actions.count("staff.sign_in_locked") == 1


async def test_wrong_passwords_lock_out_too(aiohttp_client, tmp_path: Path) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'h.sqlite3'}"
    client, _db, _clock, passwords = await _hub(aiohttp_client, url, tmp_path)
    for _ in range(5):
        assert (await _sign_in(client, "not-the-password")).status == 401
    assert (await _sign_in(client, passwords[USER])).status == 429


async def test_a_session_cookie_replayed_after_sign_out_is_refused(
    aiohttp_client, db_url: str, tmp_path: Path
) -> None:
    client, _db, _clock, passwords = await _hub(aiohttp_client, db_url, tmp_path)
    resp = await _sign_in(client, passwords[USER])
    cookie = {"Cookie": f"{SESSION_COOKIE}={resp.cookies[SESSION_COOKIE].value}"}
    client.session.cookie_jar.clear()
    assert (await client.get("/api/session", headers=cookie)).status == 200
    out = await client.delete("/api/session", headers=cookie)
    assert out.status == 200
    replayed = await client.get("/api/session", headers=cookie)
    assert replayed.status == 401
    assert (await replayed.json())["code"] == "auth.required"


async def test_an_administrator_can_require_the_second_factor(
    aiohttp_client, tmp_path: Path
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'h.sqlite3'}"
    client, _db, _clock, passwords = await _hub(aiohttp_client, url, tmp_path)
    admin = await signed_in(client, "admin.wz", passwords["admin.wz"])
    officer = await signed_in(client, "officer.wz", passwords["officer.wz"])
    body = {"required": True}
    assert (
        await client.put(f"/api/staff/{USER}/second-factor", json=body, headers=officer)
    ).status == 403
    missing = await client.put("/api/staff/nobody/second-factor", json=body, headers=admin)
    assert missing.status == 404
    assert (
        await client.put(f"/api/staff/{USER}/second-factor", json=body, headers=admin)
    ).status == 200
    refused = await _sign_in(client, passwords[USER])
    assert refused.status == 403
    assert (await refused.json())["code"] == "auth.second_factor_required"


async def test_demo_seed_writes_authenticator_secrets_that_sign_in(
    aiohttp_client, tmp_path: Path
) -> None:
    from common.settings import HubSettings
    from hub.seed import seed
    from tests.helpers import migrated_database

    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite3'}"
    db = await migrated_database(url, "hub:migrations")
    await db.close()
    await seed(HubSettings(data_dir=tmp_path, database_url=url))
    path = tmp_path / "demo-credentials.txt"
    assert path.stat().st_mode & 0o077 == 0
    # account lines; lines starting with # tell which page to try with which record
    lines = [line.split("\t") for line in path.read_text().splitlines() if line[:1] != "#"]
    assert lines and all(len(parts) == 4 for parts in lines)
    service, _user, password, secret = next(p for p in lines if p[1] == USER)
    clock = FixedClock()
    app, _db = await service_app("hub", url, tmp_path, clock=clock)
    client = await aiohttp_client(app)
    assert (await _sign_in(client, password)).status == 401  # a code is needed
    assert (await _sign_in(client, password, code_at(secret, clock.now()))).status == 200
    assert service == "hub"
