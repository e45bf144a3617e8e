"""Each step of a notarial act refused when out of order, refusal and adjournment with a
reason, a wrong one-time code, and bad input that leaves nothing stored."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from common.service import DB
from hub.db import audit_events
from hub.notarization.tables import journal, notarial_acts
from hub.signatures.tables import signing_requests
from tests.integration.notarization.world import ACTS, POA, NotaryWorld, make_world

ADVISEMENTS = ["truthfulness", "recording", "agent_powers", "revocation"]


async def _count(world: NotaryWorld, table: Any) -> int:
    async with world.hub.app[DB].transaction() as session:
        return int(await session.scalar(select(func.count()).select_from(table)) or 0)


async def _problem(resp: Any, status: int, code: str) -> dict[str, Any]:
    body = await resp.json()
    assert resp.status == status, body
    assert body["code"] == code, body
    return dict(body)


async def test_every_step_out_of_order_is_refused_and_changes_nothing(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    world = await make_world(aiohttp_client, db_url, tmp_path)
    act = await (await world.open_act()).json()
    aid = act["id"]
    wrong = "notarization.wrong_step"
    # booked: no session, no advisement, no presentation, no witness, no issue yet
    sid = await world.video_session(act["number"])
    await _problem(await world.notary(aid, "session", {"video_session_id": sid}), 409, wrong)
    await _problem(await world.notary(aid, "advisements", {"code": "recording"}), 409, wrong)
    await _problem(await world.notary(aid, "present"), 409, wrong)
    await _problem(await world.witness(aid), 409, wrong)
    await _problem(await world.notary(aid, "issue"), 409, wrong)

    assert (await world.identify(aid)).status == 200
    # a session of another of this notary's acts is not this act's session
    second = await world.open_act(booking_reference=await world.book())
    assert second.status == 201, await second.text()
    other = await world.video_session((await second.json())["number"])
    await _problem(
        await world.notary(aid, "session", {"video_session_id": other}),
        422,
        "notarization.session_mismatch",
    )
    assert (await world.notary(aid, "session", {"video_session_id": sid})).status == 200
    await _problem(
        await world.notary(aid, "advisements", {"code": "nope"}),
        422,
        "notarization.unknown_advisement",
    )
    await world.read_all(aid, ADVISEMENTS[:2])
    await _problem(
        await world.notary(aid, "advisements", {"code": "recording"}),
        409,
        "notarization.already_read",
    )
    unread = await _problem(
        await world.notary(aid, "present"), 409, "notarization.advisements_unread"
    )
    assert "agent_powers, revocation" in unread["title"]
    await world.read_all(aid, ADVISEMENTS[2:])
    # another notary may not act on it; a clerk may not present it
    await _problem(await world.notary(aid, "present", who="mediator.wz"), 403, "access.denied")
    assert (await world.notary(aid, "present")).status == 200

    # the witness and the notary wait for the resident's signature
    await _problem(await world.witness(aid), 409, "notarization.signature_order")
    await _problem(await world.notary(aid, "issue"), 409, wrong)
    status = await (await world.hub.get(f"{ACTS}/{aid}/status", headers=world.base.resident)).json()
    rid, sha = status["signing_request_id"], status["document_sha256"]
    assert (await world.base.challenge(rid)).status == 200
    bad = await world.base.sign(
        rid, sha, code="000000" if world.base.code() != "000000" else "111111"
    )
    assert bad.status in (401, 403, 422), await bad.text()
    await _problem(await world.witness(aid), 409, "notarization.signature_order")
    await world.resident_signs(rid, sha)
    assert (await world.witness(aid)).status == 200
    await _problem(await world.witness(aid), 409, wrong)
    assert (await world.notary(aid, "issue")).status == 200
    await _problem(await world.notary(aid, "refuse", {"reason": "too late for this"}), 409, wrong)
    assert await _count(world, journal) == 1


async def test_refusal_and_adjournment_need_a_reason_and_are_journaled(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    world = await make_world(aiohttp_client, db_url, tmp_path)
    act = await (await world.open_act()).json()
    await _problem(
        await world.notary(act["id"], "adjourn", {"reason": "  "}),
        422,
        "notarization.reason_required",
    )
    await _problem(await world.notary(act["id"], "refuse", {}), 422, "request.invalid")
    assert await _count(world, journal) == 0
    adjourned = await world.notary(
        act["id"], "adjourn", {"reason": "The resident's passport photo page is unreadable."}
    )
    assert adjourned.status == 200
    assert (await adjourned.json())["reason"].startswith("The resident's passport")
    # the booking is free again for a new act only once this one is not open
    resumed = await world.notary(act["id"], "resume")
    assert (await resumed.json())["state"] == "booked"
    await world.to_session(act["id"], act["number"])
    refused = await world.notary(
        act["id"], "refuse", {"reason": "The agent named is a minor; the act is refused."}
    )
    assert (await refused.json())["state"] == "refused"
    csv = await world.hub.get(
        "/api/notary/journal", params={"format": "csv"}, headers=await world.as_("notary.wz")
    )
    text = await csv.text()
    assert csv.status == 200 and csv.content_type == "text/csv"
    lines = text.strip().splitlines()
    assert lines[0].startswith("seq,recorded_at,act_number,act_type,outcome")
    assert len(lines) == 3 and ",adjourned," in lines[1] and ",refused," in lines[2]
    assert ",0.00," in lines[2]  # no fee for a refused act
    others = await world.hub.get("/api/notary/journal", headers=await world.as_("clerk.milan"))
    assert others.status == 403
    async with world.hub.app[DB].transaction() as session:
        actions = list(await session.scalars(select(audit_events.c.action)))
    assert {"notarization.adjourned", "notarization.resumed", "notarization.refused"} <= set(
        actions
    )


async def test_bad_input_leaves_nothing_stored(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    world = await make_world(aiohttp_client, db_url, tmp_path)
    await _problem(await world.open_act(act_type="divorce"), 422, "notarization.unknown_type")
    bad = await _problem(
        await world.open_act(particulars={**POA, "agent_name": "", "colour": "red"}),
        422,
        "notarization.bad_particulars",
    )
    assert {"field": "agent_name", "reason": "missing"} in bad["errors"]
    assert {"field": "colour", "reason": "unknown"} in bad["errors"]
    birth = {"born_on": "1990-05-01", "born_in": "文成县", "parents": "Hu Da, Li Mei"}
    await _problem(
        await world.open_act(act_type="birth", particulars=birth), 422, "notarization.wrong_item"
    )
    await _problem(await world.open_act(booking_reference="NOPE1234"), 404, "schedules.no_booking")
    await _problem(await world.open_act(copies=11), 422, "notarization.bad_copies")
    await _problem(await world.open_act(application_number="X-1"), 404, "application.not_found")
    assert await _count(world, notarial_acts) == 0

    act = await (await world.open_act()).json()
    await _problem(await world.open_act(), 409, "notarization.booking_taken")
    refused = await world.identify(
        act["id"], world.base.decision(accepted=False, reason="mismatch")
    )
    await _problem(refused, 403, "signing.face_refused")
    someone = await world.identify(act["id"], world.base.decision(resident_id="resident:X9"))
    await _problem(someone, 403, "signing.face_refused")
    await _problem(await world.identify(act["id"], {"nonsense": 1}), 422, "signing.bad_decision")
    stranger = await world.hub.post(
        f"{ACTS}/{act['id']}/identity",
        json={"face_decision": world.base.decision()},
        headers={"X-Query-Code": "WRONG"},
    )
    await _problem(stranger, 404, "notarization.no_act")
    async with world.hub.app[DB].transaction() as session:
        row = (await session.execute(select(notarial_acts))).one()
    assert row.state == "booked" and row.identity_decision is None
    assert await _count(world, signing_requests) == 0


async def test_the_generic_notary_signature_waits_for_the_branch_witness(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    world = await make_world(aiohttp_client, db_url, tmp_path)
    act = await (await world.open_act()).json()
    aid = act["id"]
    assert (await world.identify(aid)).status == 200
    await world.to_session(aid, act["number"])
    await world.read_all(aid, ADVISEMENTS)
    assert (await world.notary(aid, "present")).status == 200
    status = await (await world.hub.get(f"{ACTS}/{aid}/status", headers=world.base.resident)).json()
    rid, sha = status["signing_request_id"], status["document_sha256"]
    await world.resident_signs(rid, sha)

    notary = await world.as_("notary.wz")
    path = f"/api/signatures/requests/{rid}/notary"
    headers = {**notary, "Accept-Language": "it"}
    skipped = await _problem(
        await world.hub.post(path, headers=headers), 409, "signing.witness_required"
    )
    assert "testimone" in skipped["title"]  # translated for the notary
    async with world.hub.app[DB].transaction() as session:
        state = await session.scalar(
            select(signing_requests.c.state).where(signing_requests.c.id == rid)
        )
    assert state == "resident_signed"  # nothing signed, nothing moved

    assert (await world.witness(aid)).status == 200
    signed = await world.hub.post(path, headers=notary)
    assert signed.status == 200, await signed.text()
    assert (await signed.json())["state"] == "sealed"
    after = await (await world.hub.get(f"{ACTS}/{aid}/status", headers=world.base.resident)).json()
    assert after["state"] == "issued"  # the act and its signing request stay in step
    assert await _count(world, journal) == 1
