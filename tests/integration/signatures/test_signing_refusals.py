"""What the resident cannot do: sign without the node's face decision or without the code, with
someone else's decision, a forged one, a stale one, a wrong code or a code used before; and what
staff cannot do out of turn. Each refusal leaves the request as it was."""

from __future__ import annotations

from datetime import timedelta
from pathlib import Path
from typing import Any

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from media.face.decision import Ed25519Signer
from tests.integration.signatures.world import World, make_world


async def _code(resp: Any, status: int) -> str:
    assert resp.status == status, await resp.text()
    return str((await resp.json())["code"])


async def _state(world: World, request_id: str) -> dict[str, Any]:
    resp = await world.hub.get(
        f"/api/signatures/requests/{request_id}", headers=await world.as_("officer.wz")
    )
    return dict(await resp.json())


async def test_no_signature_without_face_decision_and_code(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    world = await make_world(aiohttp_client, db_url, tmp_path)
    req = await world.request()
    rid, sha = req["id"], req["document_sha256"]
    # code but no face decision
    assert await _code(await world.sign(rid, sha), 403) == "signing.face_required"
    # face decisions that do not count
    forged = world.decision(signer=Ed25519Signer(Ed25519PrivateKey.generate()))
    assert await _code(await world.challenge(rid, forged), 403) == "signing.face_refused"
    refused = world.decision(accepted=False, reason="liveness_failed")
    assert await _code(await world.challenge(rid, refused), 403) == "signing.face_refused"
    other = world.decision(resident_id="resident:X999")
    assert await _code(await world.challenge(rid, other), 403) == "signing.face_refused"
    stale = world.decision(decided_at=(world.clock.now() - timedelta(minutes=11)).isoformat())
    assert await _code(await world.challenge(rid, stale), 403) == "signing.face_refused"
    assert await _code(await world.challenge(rid, {"decision": {}}), 422) == "signing.bad_decision"
    # no query code: the request is not found for this caller
    resp = await world.hub.post(
        f"/api/signatures/requests/{rid}/challenge", json={"face_decision": world.decision()}
    )
    assert resp.status == 404
    # a good face decision, then codes that do not count
    assert (await world.challenge(rid)).status == 200
    wrong = "000000" if world.code() != "000000" else "111111"
    assert await _code(await world.sign(rid, sha, wrong), 403) == "totp.wrong_code"
    assert await _code(await world.sign(rid, sha, "١٢٣٤٥٦"), 422) == "totp.malformed"
    assert await _code(await world.sign(rid, "0" * 64), 409) == "totp.document_changed"
    assert (await _state(world, rid))["state"] == "awaiting_resident"
    # the challenge expires
    world.clock.advance(timedelta(minutes=6))
    assert await _code(await world.sign(rid, sha), 409) == "totp.challenge_expired"
    assert (await _state(world, rid))["current_sha256"] == sha


async def test_a_code_is_used_once(aiohttp_client: Any, db_url: str, tmp_path: Path) -> None:
    world = await make_world(aiohttp_client, db_url, tmp_path)
    first, second = (
        await world.request("Power of attorney"),
        await world.request("Kinship declaration"),
    )
    for req in (first, second):
        assert (await world.challenge(req["id"])).status == 200
    code = world.code()
    assert (await world.sign(first["id"], first["document_sha256"], code)).status == 200
    resp = await world.sign(second["id"], second["document_sha256"], code)
    assert await _code(resp, 409) == "totp.reused"
    assert (await _state(world, second["id"]))["state"] == "awaiting_resident"
    # the same request cannot be signed twice either
    again = await world.sign(first["id"], first["document_sha256"], code)
    assert await _code(again, 409) == "signing.wrong_state"


async def test_not_enrolled_resident_cannot_sign(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    world = await make_world(aiohttp_client, db_url, tmp_path, enrol=False)
    req = await world.request()
    assert (await world.challenge(req["id"])).status == 200
    resp = await world.sign(req["id"], req["document_sha256"], "123456")
    assert await _code(resp, 403) == "signing.not_enrolled"
    body = {"number": world.number, "query_code": "WRONG"}
    assert (await world.hub.post("/api/signatures/enrolment", json=body)).status == 404
    body["query_code"] = world.query_code
    assert (await world.hub.post("/api/signatures/enrolment", json=body)).status == 201
    assert await _code(await world.hub.post("/api/signatures/enrolment", json=body), 409) == (
        "signing.already_enrolled"
    )


async def test_staff_steps_keep_their_order_and_assignment(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    world = await make_world(aiohttp_client, db_url, tmp_path)
    hub = world.hub
    req = await world.request(notary="notary.wz")
    rid = req["id"]
    early = await hub.post(
        f"/api/signatures/requests/{rid}/notary", headers=await world.as_("notary.wz")
    )
    assert await _code(early, 409) == "signing.wrong_state"
    seal = await hub.post(
        f"/api/signatures/requests/{rid}/seal", headers=await world.as_("officer.wz")
    )
    assert await _code(seal, 409) == "signing.wrong_state"
    other = await hub.post(
        f"/api/signatures/requests/{rid}/notary", headers=await world.as_("notary.night")
    )
    assert other.status == 404  # not assigned to them
    clerk = await hub.post(
        f"/api/signatures/requests/{rid}/seal", headers=await world.as_("clerk.milan")
    )
    assert clerk.status == 403
    bad = await hub.post(
        "/api/signatures/requests",
        json={
            "application_number": world.number,
            "notary": "notary.wz",
            "title": "x",
            "document": "JVBERi0xLjcK",
        },
        headers=await world.as_("officer.wz"),
    )
    assert await _code(bad, 422) == "signing.not_a_pdf"
    stored = [p for p in (tmp_path / "hub" / "signed").rglob("*") if p.is_file()]
    assert len(stored) == 1  # the refused upload left no file behind


async def test_a_passport_number_alone_never_claims_someones_signing_app(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    """Issue 17: anyone could start a self-service application with another person's passport
    number and enrol an authenticator as them first, locking the real person out. Now an
    enrolment needs the branch clerk's document check or a face decision for that person, and
    replacing one always needs a face decision."""
    world = await make_world(aiohttp_client, db_url, tmp_path, enrol=False)
    hub = world.hub
    squatter = await hub.post(
        "/api/self-service/applications",
        json={
            "branch": "MIL",
            "item_code": "RE-002",
            "resident": {"name": "Someone Else", "document": "E1234567", "country": "IT"},
        },
    )
    assert squatter.status == 201, await squatter.text()
    theirs = await squatter.json()
    claim = {"number": theirs["number"], "query_code": theirs["query_code"]}
    refused = await hub.post("/api/signatures/enrolment", json=claim)
    assert await _code(refused, 403) == "signing.identity_unproven"
    # a face decision made for the real resident does not help the squatter either way: it is
    # about E1234567, but a decision the hub cannot verify is refused
    forged = world.decision(signer=Ed25519Signer(Ed25519PrivateKey.generate()))
    assert (
        await hub.post("/api/signatures/enrolment", json={**claim, "face_decision": forged})
    ).status == 403
    # the resident whose application a clerk opened at the counter enrols as before
    own = {"number": world.number, "query_code": world.query_code}
    assert (await hub.post("/api/signatures/enrolment", json=own)).status == 201
    # a second phone: not with the query code alone...
    again = await hub.post("/api/signatures/enrolment", json=own)
    assert await _code(again, 409) == "signing.already_enrolled"
    # ...but after verifying their face at the kiosk
    moved = await hub.post(
        "/api/signatures/enrolment", json={**own, "face_decision": world.decision()}
    )
    assert moved.status == 201, await moved.text()
