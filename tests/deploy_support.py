"""Driving the hub over real HTTP (in-process servers or separate processes): sign in, and take
an application from intake to forwarded so that it enters the outbox to the platform."""

from __future__ import annotations

from typing import Any

import aiohttp

from tests.helpers import png_bytes

ITEM = "MA-006"  # two materials, both checked against the original (trust B)
MATERIALS = ("passport", "residence_permit")


async def sign_in(
    http: aiohttp.ClientSession, base: str, user: str, password: str
) -> dict[str, str]:
    async with http.post(f"{base}/api/session", json={"username": user, "password": password}) as r:
        assert r.status == 200, await r.text()
        return {"Authorization": f"Bearer {(await r.json())['token']}"}


async def _ok(resp: aiohttp.ClientResponse, status: int = 200) -> dict[str, Any]:
    async with resp:
        assert resp.status == status, await resp.text()
        return await resp.json()  # type: ignore[no-any-return]


async def open_application(
    http: aiohttp.ClientSession, base: str, clerk: dict[str, str], document: str
) -> str:
    body = {
        "item_code": ITEM,
        "resident": {"name": "Chen Li 陈丽", "document": document, "country": "IT"},
    }
    opened = await _ok(await http.post(f"{base}/api/applications", json=body, headers=clerk), 201)
    number = str(opened["number"])
    for material in MATERIALS:
        form = aiohttp.FormData()
        form.add_field("material", material)
        form.add_field("trust", "B")
        form.add_field("file", png_bytes(), filename="scan.png", content_type="image/png")
        url = f"{base}/api/applications/{number}/materials"
        await _ok(await http.post(url, data=form, headers=clerk), 201)
    await _ok(await http.post(f"{base}/api/applications/{number}/submit", json={}, headers=clerk))
    return number


async def forward(
    http: aiohttp.ClientSession,
    base: str,
    officer: dict[str, str],
    number: str,
    request_id: str | None = None,
) -> None:
    """Accept and forward: the message to the platform commits with the state change."""
    headers = {**officer, **({"X-Request-Id": request_id} if request_id else {})}
    url = f"{base}/api/applications/{number}"
    done = await _ok(await http.post(f"{url}/accept", json={}, headers=headers))
    assert done["state"] == "forwarded"
