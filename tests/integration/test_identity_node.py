"""Identity at the node over HTTP: enrolment, verification, replay, lock-out, retention."""

from __future__ import annotations

import base64
import io
from collections.abc import Iterator
from datetime import timedelta
from pathlib import Path
from typing import Any

import aiohttp
import pytest
from aiohttp import web
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PublicKey
from PIL import ImageFilter
from sqlalchemy import func, select

from common.access import Principal, Role
from common.clock import FixedClock
from common.settings import NodeSettings
from media.face import FaceEngine, SignedDecision, analyse_enrolment, verify_decision
from overseas_node.app import MIGRATIONS, create_app
from overseas_node.db import audit_events
from overseas_node.identity.ledger import pack_encoding
from overseas_node.identity.tables import frames, templates
from tests import facedata as fd
from tests.helpers import migrated_database

CLERK = {"X-Test-Subject": "clerk-1", "X-Test-Role": "clerk", "X-Test-Branch": "MIL"}
ADMIN = {"X-Test-Subject": "admin-1", "X-Test-Role": "admin", "X-Test-Branch": "MIL"}


def resident(rid: str) -> dict[str, str]:
    return {"X-Test-Subject": rid, "X-Test-Role": "resident", "X-Test-Branch": "MIL"}


class HeaderAuthenticator:
    """Test only: the caller is who the X-Test-* headers say."""

    async def authenticate(self, request: web.Request) -> Principal | None:
        subject = request.headers.get("X-Test-Subject")
        if not subject:
            return None
        role = Role(request.headers["X-Test-Role"])
        return Principal(subject, role, request.headers.get("X-Test-Branch"))


@pytest.fixture(scope="module")
def engine() -> Iterator[FaceEngine]:
    try:
        fd.sample_faces()
    except fd.FaceDataUnavailable as exc:
        pytest.skip(str(exc))
    face_engine = FaceEngine(workers=1)
    yield face_engine
    face_engine.close()


def b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def photo(name: str = "astronaut", **kw: Any) -> bytes:
    image = fd.passport_photo(fd.face(name))
    if kw.get("blur"):
        image = image.filter(ImageFilter.GaussianBlur(kw["blur"]))
    return fd.jpeg(image)


async def node(aiohttp_client, url: str, tmp_path: Path, clock: FixedClock, engine: FaceEngine):  # type: ignore[no-untyped-def]
    db = await migrated_database(url, MIGRATIONS)
    settings = NodeSettings(data_dir=tmp_path, database_url=url, branch_code="MIL")
    app = create_app(
        settings, clock=clock, database=db, authenticator=HeaderAuthenticator(), face_engine=engine
    )
    return await aiohttp_client(app), db


async def enrol(client, rid: str = "res-1", image: bytes | None = None) -> Any:  # type: ignore[no-untyped-def]
    body = {"resident_id": rid, "photo": b64(image or photo())}
    return await client.post("/api/identity/enrolments", json=body, headers=CLERK)


async def attempt(client, rid: str = "res-1") -> dict[str, Any]:  # type: ignore[no-untyped-def]
    response = await client.post("/api/identity/attempts", headers=resident(rid))
    assert response.status == 201, await response.text()
    return dict(await response.json())


async def send(client, rid: str, attempt_id: str, frames_: list[bytes], times: list[int]):  # type: ignore[no-untyped-def]
    body = {"frames": [{"image": b64(f), "t_ms": t} for f, t in zip(frames_, times, strict=True)]}
    return await client.post(
        f"/api/identity/attempts/{attempt_id}/frames", json=body, headers=resident(rid)
    )


async def count(db, table) -> int:  # type: ignore[no-untyped-def]
    async with db.sessions() as session:
        return int((await session.execute(select(func.count()).select_from(table))).scalar_one())


async def audit_actions(db) -> list[str]:  # type: ignore[no-untyped-def]
    async with db.sessions() as session:
        rows = await session.execute(select(audit_events.c.action).order_by(audit_events.c.id))
        return [r for (r,) in rows]


async def test_genuine_resident_verified_with_a_signed_decision(
    aiohttp_client, db_url: str, tmp_path: Path, clock: FixedClock, engine: FaceEngine
) -> None:
    client, db = await node(aiohttp_client, db_url, tmp_path, clock, engine)
    enrolled = await enrol(client)
    assert enrolled.status == 201, await enrolled.text()
    assert (await enrolled.json())["review"] is False

    started = await attempt(client)
    assert sorted(started["challenge"]) == ["blink", "turn_left", "turn_right"]
    series, times = fd.live_series(fd.face("astronaut"), started["challenge"], seed=11)
    clock.advance(timedelta(seconds=5))
    response = await send(client, "res-1", started["attempt_id"], series, times)
    assert response.status == 200, await response.text()
    signed = SignedDecision.from_dict(await response.json())
    decision = signed.decision
    assert decision.accepted and decision.reason == "accepted"
    assert decision.distance is not None and decision.distance < decision.threshold == 0.55
    assert list(decision.challenge) == started["challenge"]
    assert [s["action"] for s in decision.steps] == started["challenge"]
    assert len(decision.frame_hashes) == len(series) and decision.frames_span_ms == times[-1]

    key = await (await client.get("/api/identity/decision-key")).json()
    public = Ed25519PublicKey.from_public_bytes(base64.b64decode(key["public_key"]))
    assert verify_decision(signed, public).trusted and key["key_id"] == signed.key_id

    again = await client.get(f"/api/identity/attempts/{decision.attempt_id}", headers=CLERK)
    assert SignedDecision.from_dict(await again.json()) == signed
    other = await client.get(
        f"/api/identity/attempts/{decision.attempt_id}", headers=resident("res-2")
    )
    assert other.status == 404
    twice = await send(client, "res-1", started["attempt_id"], series, times)
    assert twice.status == 409 and (await twice.json())["code"] == "identity.attempt_used"

    async with db.sessions() as session:
        sealed = (await session.execute(select(templates.c.sealed))).scalar_one()
        stored = list(await session.execute(select(frames.c.sealed, frames.c.sha256)))
    plain = analyse_enrolment(photo()).encoding
    assert plain is not None and len(sealed) == 1 + 12 + 1024 + 16  # version, nonce, tag
    assert pack_encoding(plain)[:16] not in sealed  # encrypted at rest
    assert len(stored) == len(series) and all(row.sealed != series[0] for row in stored)
    assert await audit_actions(db) == ["identity.enrolled", "identity.verified"]
    await db.close()


@pytest.fixture
def sqlite_url(tmp_path: Path) -> str:
    return f"sqlite+aiosqlite:///{tmp_path / 'node.sqlite3'}"


async def test_enrolment_refusals_leave_nothing_stored_and_duplicates_are_flagged(
    aiohttp_client, sqlite_url: str, tmp_path: Path, clock: FixedClock, engine: FaceEngine
) -> None:
    client, db = await node(aiohttp_client, sqlite_url, tmp_path, clock, engine)
    blurry = await enrol(client, image=photo(blur=2))
    problem = await blurry.json()
    assert blurry.status == 422 and problem["code"] == "identity.photo_quality"
    assert {"field": "photo", "reason": "blurry"} in problem["errors"]
    group = await (await enrol(client, image=fd.jpeg(fd.group_photo()))).json()
    assert group["errors"] == [{"field": "photo", "reason": "several_faces"}]
    not_image = await client.post(
        "/api/identity/enrolments",
        json={"resident_id": "res-1", "photo": b64(b"GIF89a" + b"\0" * 100)},
        headers={**CLERK, "Accept-Language": "it"},
    )
    assert (await not_image.json())["title"] == "Caricare un'immagine JPEG o PNG."
    elsewhere = await client.post(
        "/api/identity/enrolments",
        json={"resident_id": "res-1", "photo": b64(photo())},
        headers={**CLERK, "X-Test-Branch": "PRA"},
    )
    assert elsewhere.status == 403
    as_resident = await client.post("/api/identity/enrolments", json={}, headers=resident("res-1"))
    assert as_resident.status == 403
    assert await count(db, templates) == 0
    assert await audit_actions(db) == ["access.denied"]  # the resident's refused call only

    assert (await enrol(client, "res-1")).status == 201
    assert (await enrol(client, "res-1")).status == 409
    # the same face again, from another photo, under another identity: flagged for review
    variant = fd.jpeg(
        fd.degrade(fd.camera_frame(fd.face("astronaut")), __import__("numpy").random.default_rng(3))
    )
    flagged = await (await enrol(client, "res-9", image=variant)).json()
    assert flagged["review"] is True
    other_person = await (await enrol(client, "res-2", image=photo("t1_0"))).json()
    assert other_person["review"] is False
    assert await count(db, templates) == 3
    await db.close()


async def test_impostor_still_photo_replay_and_expiry_are_refused(
    aiohttp_client, sqlite_url: str, tmp_path: Path, clock: FixedClock, engine: FaceEngine
) -> None:
    client, db = await node(aiohttp_client, sqlite_url, tmp_path, clock, engine)
    assert (await enrol(client)).status == 201

    seeds: list[int] = []

    async def decide(
        name: str, still: bool = False, reuse: list[bytes] | None = None, rid: str = "res-1"
    ) -> Any:
        started = await attempt(client, rid)
        seed = 100 + len(seeds)  # a camera never gives the same bytes twice
        seeds.append(seed)
        series, times = fd.live_series(fd.face(name), started["challenge"], seed=seed, still=still)
        response = await send(client, rid, started["attempt_id"], reuse or series, times)
        assert response.status == 200, await response.text()
        return (await response.json())["decision"]

    first = await attempt(client)
    genuine, times = fd.live_series(fd.face("astronaut"), first["challenge"], seed=21)
    ok = await send(client, "res-1", first["attempt_id"], genuine, times)
    assert (await ok.json())["decision"]["accepted"] is True

    # someone else in front of the camera, performing the challenge well
    assert (await enrol(client, "res-2", image=fd.png(fd.tom_hanks()))).status == 201
    refused = await decide("astronaut", rid="res-2")
    assert refused["reason"] == "identity_no_match" and refused["distance"] > 0.55
    assert (await decide("astronaut", still=True))["reason"] == "liveness_incomplete"
    replay = await decide("astronaut", reuse=genuine)
    assert replay["reason"] == "replay" and not replay["accepted"]

    started = await attempt(client)
    clock.advance(timedelta(seconds=61))
    fresh, _ = fd.live_series(fd.face("astronaut"), started["challenge"], seed=999)
    late = await send(client, "res-1", started["attempt_id"], fresh, times)
    assert (await late.json())["decision"]["reason"] == "expired"
    actions = await audit_actions(db)
    assert (
        actions
        == ["identity.enrolled", "identity.verified", "identity.enrolled"]
        + ["identity.refused"] * 4
    )
    await db.close()


async def test_bad_uploads_are_422_and_leave_the_attempt_open(
    aiohttp_client, sqlite_url: str, tmp_path: Path, clock: FixedClock, engine: FaceEngine
) -> None:
    client, db = await node(aiohttp_client, sqlite_url, tmp_path, clock, engine)
    assert (await enrol(client)).status == 201
    started = await attempt(client)
    frame = fd.jpeg(fd.camera_frame(fd.face("astronaut")))
    cases = [
        ([], [], "identity.frame_count"),
        ([frame, frame], [0, -5], "identity.frame_times"),
        ([frame, b"plain text, not an image"], [0, 100], "identity.image_type"),
        ([fd.png_bomb()], [0], "identity.image_pixels"),
    ]
    for images, times, code in cases:
        response = await send(client, "res-1", started["attempt_id"], images, times)
        assert response.status == 422 and (await response.json())["code"] == code
    multipart = aiohttp.FormData()
    for i in range(3):
        multipart.add_field("frame", frame, filename=f"{i}.jpg", content_type="image/jpeg")
    multipart.add_field("t_ms", "0,125,250")
    response = await client.post(
        f"/api/identity/attempts/{started['attempt_id']}/frames",
        data=multipart,
        headers=resident("res-1"),
    )
    assert (await response.json())["decision"]["reason"] == "liveness_too_few_frames"
    await db.close()


BAD_IMAGE_TITLES = {
    "identity.image_pixels": {
        "zh": "图像像素过多或过少。",
        "it": "Un'immagine ha troppi o troppo pochi pixel.",
    },
    "identity.image_damaged": {
        "zh": "图像已损坏或不完整，请重新拍摄或扫描。",
        "it": "Un'immagine è danneggiata o incompleta; la scatti o la scansioni di nuovo.",
    },
    "identity.image_mismatch": {
        "zh": "图像的文件名或声明的类型与文件内容不符。",
        "it": "Il nome o il tipo dichiarato di un'immagine non corrisponde al contenuto del file.",
    },
}


def bad_images() -> list[tuple[str, bytes, str, str]]:
    """(code, bytes, file name, stated type) of each kind of bad image."""
    good = photo()
    out = io.BytesIO()
    fd.passport_photo(fd.face("astronaut")).save(out, format="WEBP")
    webp = out.getvalue()
    return [
        ("identity.image_pixels", fd.png_bomb(), "photo.png", "image/png"),
        ("identity.image_damaged", good[: len(good) // 3], "photo.jpg", "image/jpeg"),
        ("identity.image_mismatch", good, "photo.png", "image/png"),
        ("identity.image_mismatch", good, "photo.jpg", "image/png"),
        ("identity.image_mismatch", good, "photo.gif", "application/octet-stream"),
        ("identity.image_mismatch", webp, "photo.jpg", "image/jpeg"),  # WebP is read, if named so
    ]


async def test_bad_images_are_422_in_the_viewers_language_and_store_nothing(
    aiohttp_client, db_url: str, tmp_path: Path, clock: FixedClock, engine: FaceEngine
) -> None:
    client, db = await node(aiohttp_client, db_url, tmp_path, clock, engine)
    for (code, data, name, stated), lang in zip(
        bad_images(), ["zh", "it", "zh", "it", "zh", "it"], strict=True
    ):
        form = aiohttp.FormData()
        form.add_field("resident_id", "res-1")
        form.add_field("photo", data, filename=name, content_type=stated)
        headers = {**CLERK, "Accept-Language": lang}
        refused = await client.post("/api/identity/enrolments", data=form, headers=headers)
        problem = await refused.json()
        assert refused.status == 422 and problem["code"] == code, (name, problem)
        assert problem["title"] == BAD_IMAGE_TITLES[code][lang]
    assert await count(db, templates) == 0
    # a photo far larger than a camera frame is scaled down, not refused
    large = fd.jpeg(fd.passport_photo(fd.face("astronaut")).resize((2280, 2280)))
    assert (await enrol(client, image=large)).status == 201

    started = await attempt(client)
    series, times = fd.live_series(fd.face("astronaut"), started["challenge"], seed=12)
    for code, data, name, stated in bad_images():
        form = aiohttp.FormData()
        for i, frame in enumerate([*series[:5], data, *series[6:]]):
            kind = (stated, name) if i == 5 else ("image/jpeg", f"{i}.jpg")
            form.add_field("frame", frame, filename=kind[1], content_type=kind[0])
        form.add_field("t_ms", ",".join(map(str, times)))
        refused = await client.post(
            f"/api/identity/attempts/{started['attempt_id']}/frames",
            data=form,
            headers={**resident("res-1"), "Accept-Language": "it"},
        )
        problem = await refused.json()
        assert refused.status == 422 and problem["code"] == code, (name, problem)
        assert problem["title"] == BAD_IMAGE_TITLES[code]["it"]
    assert await count(db, frames) == 0
    assert await audit_actions(db) == ["identity.enrolled"]  # no decision was made
    response = await send(client, "res-1", started["attempt_id"], series, times)
    assert (await response.json())["decision"]["attempt_id"] == started["attempt_id"]
    await db.close()


async def test_lockout_after_five_failures_then_growing_delay(
    aiohttp_client, sqlite_url: str, tmp_path: Path, clock: FixedClock, engine: FaceEngine
) -> None:
    client, db = await node(aiohttp_client, sqlite_url, tmp_path, clock, engine)
    assert (await enrol(client)).status == 201
    frame = fd.jpeg(fd.camera_frame(fd.face("astronaut")))

    async def fail() -> None:
        started = await attempt(client)
        decision = await (await send(client, "res-1", started["attempt_id"], [frame], [0])).json()
        assert decision["decision"]["accepted"] is False

    for _ in range(5):
        await fail()
    locked = await client.post(
        "/api/identity/attempts", headers={**resident("res-1"), "Accept-Language": "en"}
    )
    problem = await locked.json()
    assert locked.status == 429 and problem["code"] == "identity.locked"
    assert "2026-01-05T09:01:00" in problem["title"]
    clock.advance(timedelta(seconds=61))
    await fail()  # the sixth failure doubles the wait
    clock.advance(timedelta(seconds=61))
    assert (await client.post("/api/identity/attempts", headers=resident("res-1"))).status == 429
    clock.advance(timedelta(seconds=60))
    assert (await client.post("/api/identity/attempts", headers=resident("res-1"))).status == 201
    await db.close()


async def test_retention_deletes_frames_then_templates_and_audits_it(
    aiohttp_client, sqlite_url: str, tmp_path: Path, clock: FixedClock, engine: FaceEngine
) -> None:
    client, db = await node(aiohttp_client, sqlite_url, tmp_path, clock, engine)
    assert (await enrol(client)).status == 201
    started = await attempt(client)
    frame = fd.jpeg(fd.camera_frame(fd.face("astronaut")))
    await send(client, "res-1", started["attempt_id"], [frame, frame], [0, 100])
    assert await count(db, frames) == 2

    assert (await client.post("/api/identity/retention", headers=CLERK)).status == 403
    clock.advance(timedelta(days=29))
    nothing = await client.post("/api/identity/retention", headers=ADMIN)
    assert await nothing.json() == {"templates": 0, "frames": 0}
    clock.advance(timedelta(days=2))
    assert await (await client.post("/api/identity/retention", headers=ADMIN)).json() == {
        "templates": 0,
        "frames": 2,
    }
    assert await count(db, frames) == 0
    clock.advance(timedelta(days=340))
    done = await (await client.post("/api/identity/retention", headers=ADMIN)).json()
    assert done == {"templates": 1, "frames": 0}
    async with db.sessions() as session:
        sealed = (await session.execute(select(templates.c.sealed))).scalar_one()
    assert sealed is None
    gone = await client.post("/api/identity/attempts", headers=resident("res-1"))
    assert gone.status == 404 and (await gone.json())["code"] == "identity.not_enrolled"
    actions = await audit_actions(db)
    assert actions[-2:] == ["identity.frames_deleted", "identity.template_deleted"]
    await db.close()
