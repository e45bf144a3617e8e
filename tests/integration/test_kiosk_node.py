"""The branch kiosk at the node: the clerk opens a single-use, expiring grant for an enrolled
resident; the kiosk verifies that resident with it (and nobody else), once; pages in zh/en/it."""

from __future__ import annotations

import hashlib
from datetime import timedelta
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from common.clock import FixedClock
from media.face import FaceEngine, SignedDecision
from overseas_node.identity.tables import kiosk_grants
from tests import facedata as fd
from tests.integration.test_identity_node import (
    CLERK,
    audit_actions,
    b64,
    count,
    engine,  # noqa: F401 (fixture)
    enrol,
    node,
    photo,
)

RESIDENT = "resident:E1234567"
GRANTS = "/api/identity/kiosk-grants"


def kiosk(token: str, lang: str = "en") -> dict[str, str]:
    return {"X-Kiosk-Grant": token, "Accept-Language": lang}


async def problem(response: Any, status: int, code: str) -> dict[str, Any]:
    body = await response.json()
    assert response.status == status, body
    assert body["code"] == code, body
    return dict(body)


async def open_grant(client: Any, resident: str = RESIDENT, **extra: Any) -> Any:
    body = {"resident_id": resident, "act_id": "act0123456789", **extra}
    return await client.post(GRANTS, json=body, headers=CLERK)


async def frames(client: Any, token: str, attempt: dict[str, Any], **kw: Any) -> Any:
    series, times = fd.live_series(fd.face("astronaut"), attempt["challenge"], **kw)
    body = {"frames": [{"image": b64(f), "t_ms": t} for f, t in zip(series, times, strict=True)]}
    return await client.post(
        f"/api/identity/attempts/{attempt['attempt_id']}/frames", json=body, headers=kiosk(token)
    )


async def test_a_grant_verifies_its_resident_once_and_is_then_spent(
    aiohttp_client: Any,
    db_url: str,
    tmp_path: Path,
    clock: FixedClock,
    engine: FaceEngine,  # noqa: F811
) -> None:
    client, db = await node(aiohttp_client, db_url, tmp_path, clock, engine)
    assert (await enrol(client, RESIDENT)).status == 201
    opened = await open_grant(client, booking_reference="BK-42")
    assert opened.status == 201, await opened.text()
    grant = await opened.json()
    token = grant["token"]
    assert grant["page"] == f"/kiosk/verify#grant={token}"  # a fragment: never sent to a server

    view = await (await client.get(f"{GRANTS}/current", headers=kiosk(token))).json()
    assert view["resident"] == "E1••••67" and view["state"] == "open"
    assert view["hub_act_url"].endswith("/notarization/acts/act0123456789")
    started = await client.post("/api/identity/attempts", headers=kiosk(token))
    assert started.status == 201, await started.text()
    attempt = await started.json()
    again = await client.post("/api/identity/attempts", headers=kiosk(token, "it"))
    used = await problem(again, 403, "kiosk.grant_used")
    assert "già stata usata" in used["title"]

    clock.advance(timedelta(seconds=5))
    decided = await frames(client, token, attempt, seed=3)
    assert decided.status == 200, await decided.text()
    decision = SignedDecision.from_dict(await decided.json()).decision
    assert decision.accepted and decision.resident_id == RESIDENT
    after = await client.get(f"{GRANTS}/current", headers=kiosk(token, "zh"))
    assert "已使用过" in (await problem(after, 403, "kiosk.grant_used"))["title"]
    await problem(
        await client.post("/api/identity/attempts", headers=kiosk(token)), 403, "kiosk.grant_used"
    )

    async with db.sessions() as session:
        row = (await session.execute(select(kiosk_grants))).one()
    assert row.token_sha256 == hashlib.sha256(token.encode()).hexdigest()  # only the hash
    assert token not in repr(tuple(row))
    assert (row.state, row.attempt_id, row.booking_reference) == (
        "used",
        attempt["attempt_id"],
        "BK-42",
    )
    actions = await audit_actions(db)
    assert actions[:5] == [
        "identity.enrolled",
        "identity.kiosk_opened",
        "identity.kiosk_started",
        "identity.kiosk_used",
        "identity.verified",
    ]
    assert actions.count("access.denied") == 2  # a spent grant refused at the door is on record
    await db.close()


async def test_expired_unknown_and_foreign_grants_are_refused_clearly(
    aiohttp_client: Any,
    db_url: str,
    tmp_path: Path,
    clock: FixedClock,
    engine: FaceEngine,  # noqa: F811
) -> None:
    client, db = await node(aiohttp_client, db_url, tmp_path, clock, engine)
    assert (await enrol(client, RESIDENT)).status == 201
    other_face = fd.jpeg(fd.passport_photo(fd.face("hanks")))
    assert (await enrol(client, "resident:X9", other_face)).status == 201

    # the clerk can only open grants for residents enrolled at this branch
    await problem(await open_grant(client, "resident:NOPE"), 404, "identity.not_enrolled")
    elsewhere = {**CLERK, "X-Test-Branch": "PAR"}
    body = {"resident_id": RESIDENT, "act_id": "act1"}
    await problem(
        await client.post(GRANTS, json=body, headers=elsewhere), 403, "identity.other_branch"
    )
    bad = await client.post(GRANTS, json={"resident_id": RESIDENT, "act_id": "../x"}, headers=CLERK)
    assert bad.status == 422
    assert await count(db, kiosk_grants) == 0  # refused: nothing stored

    await problem(
        await client.get(f"{GRANTS}/current", headers=kiosk("not-a-grant")),
        401,
        "kiosk.grant_unknown",
    )
    mine = (await (await open_grant(client)).json())["token"]
    theirs = (await (await open_grant(client, "resident:X9")).json())["token"]
    # a grant acts as its resident only: not as the clerk, not on another resident's attempt
    refused = await client.post(GRANTS, json=body, headers=kiosk(mine))
    assert refused.status == 403
    their_attempt = await (
        await client.post("/api/identity/attempts", headers=kiosk(theirs))
    ).json()
    await client.post("/api/identity/attempts", headers=kiosk(mine))
    stolen = await frames(client, mine, their_attempt)
    await problem(stolen, 404, "identity.no_attempt")
    peek = await client.get(
        f"/api/identity/attempts/{their_attempt['attempt_id']}", headers=kiosk(mine)
    )
    await problem(peek, 404, "identity.no_attempt")

    late = (await (await open_grant(client)).json())["token"]
    clock.advance(timedelta(minutes=10))
    expired = await client.post("/api/identity/attempts", headers=kiosk(late, "it"))
    assert "scaduta" in (await problem(expired, 403, "kiosk.grant_expired"))["title"]
    await db.close()


@pytest.mark.parametrize(
    ("lang", "clerk_text", "kiosk_text"),
    [
        ("zh", "开启自助核验", "刷脸认证"),
        ("en", "Open the kiosk verification", "Face verification"),
        ("it", "Apra la verifica al chiosco", "Verifica del volto"),
    ],
)
async def test_the_clerk_and_kiosk_pages_speak_the_residents_language(
    aiohttp_client: Any,
    tmp_path: Path,
    clock: FixedClock,
    engine: FaceEngine,  # noqa: F811
    lang: str,
    clerk_text: str,
    kiosk_text: str,
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'node.sqlite3'}"
    client, db = await node(aiohttp_client, url, tmp_path, clock, engine)
    page = await client.get(f"/kiosk?lang={lang}", headers=CLERK)
    assert page.status == 200 and clerk_text in await page.text()
    anonymous = await client.get(f"/kiosk?lang={lang}", headers={"Accept": "application/json"})
    assert anonymous.status == 401  # only a signed-in clerk opens grants
    public = await client.get(f"/kiosk/verify?lang={lang}")
    text = await public.text()
    assert public.status == 200 and kiosk_text in text and 'id="k-camera"' in text
    script = await client.get("/kiosk/static/kiosk.js")
    assert script.status == 200 and "getUserMedia" in await script.text()
    assert photo()  # the sample faces are there
    await db.close()
