"""Steps out of order, people not on the case, signing twice, a redrafted agreement, and the
statistics per office — each refused or counted exactly, nothing half-stored."""

from __future__ import annotations

from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from sqlalchemy import func, select

from common.service import DB
from hub.db import audit_events
from hub.mediation.tables import CaseDocument, MediationCase
from signing.totp import code_at
from tests.integration.mediation.world import PEOPLE, World, make_world, tick


async def _code(resp: Any, status: int) -> str:
    assert resp.status == status, await resp.text()
    return str((await resp.json())["code"])


async def _signatures(world: World) -> int:
    async with world.hub.app[DB].sessions() as session:
        return int(
            await session.scalar(
                select(func.count())
                .where(audit_events.c.action == "mediation.signed")
                .select_from(audit_events)
            )
            or 0
        )


async def test_steps_in_the_wrong_order_are_refused(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    world = await make_world(aiohttp_client, db_url, tmp_path)
    await world.open_case(PEOPLE[:2])
    terms = {"terms": ["Refund 5000 yuan."]}
    assert (
        await _code(await world.mediator("POST", "/agreement", terms), 409)
        == "mediation.wrong_order"
    )
    assert (
        await _code(await world.mediator("POST", "/sessions", {}), 409)
        == "mediation.consent_missing"
    )
    await world.consent_all()
    assert (
        await _code(await world.mediator("POST", "/agreement", terms), 409)
        == "mediation.wrong_order"
    )
    assert await _code(await world.mediator("POST", "/package"), 409) == "mediation.wrong_order"
    await world.hold_empty_session()
    assert (
        await _code(await world.mediator("POST", "/agreement", {"terms": ["  "]}), 422)
        == "mediation.terms_required"
    )
    drafted = await world.mediator("POST", "/agreement", terms)
    doc = (await drafted.json())["documents"][-1]
    early = await world.mediator("POST", f"/documents/{doc['id']}/sign")
    assert await _code(early, 409) == "mediation.signers_missing"  # the mediator signs last
    nochallenge = await world.hub.post(
        world.my(f"/documents/{doc['id']}/sign"),
        json={"code": "123456", "document_sha256": doc["current_sha256"]},
        headers=world.party(world.ids[0]),
    )
    assert await _code(nochallenge, 409) == "mediation.face_required"
    closed = await world.mediator("POST", "/close", {"reason": "The respondent withdrew."})
    assert (await closed.json())["state"] == "closed"
    assert (
        await _code(await world.mediator("POST", "/notes", {"text": "late"}), 409)
        == "mediation.case_finished"
    )
    assert (
        await _code(await world.mediator("POST", "/sessions", {}), 409) == "mediation.case_finished"
    )


async def test_people_not_on_the_case_learn_nothing_and_change_nothing(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    world = await make_world(aiohttp_client, db_url, tmp_path)
    await world.open_case(PEOPLE[:2])
    stranger = {"X-Access-Code": "ZZZZ2222"}
    for method, tail in (("GET", ""), ("POST", "/consent"), ("POST", "/enrolment")):
        resp = await world.hub.request(method, world.my(tail), headers=stranger)
        assert await _code(resp, 404) == "mediation.not_on_case"
    other = await world.hub.get(world.path(), headers=await world.as_("mediator.wz"))
    assert await _code(other, 404) == "mediation.not_found"  # another mediator's case stays hidden
    note = await world.mediator("POST", "/notes", {"text": "mine"}, who="mediator.wz")
    assert await _code(note, 404) == "mediation.not_found"  # nor can they write to it
    listed = await (
        await world.hub.get("/api/mediation/cases", headers=await world.as_("mediator.wz"))
    ).json()
    assert listed["cases"] == []
    clerk = await world.hub.post(
        "/api/mediation/cases",
        json={
            "office": "MAD",
            "subject": "x",
            "summary": "y",
            "mediator": "mediator.wz",
            "people": PEOPLE[:2],
        },
        headers=await world.as_("clerk.milan"),
    )
    assert await _code(clerk, 403) == "mediation.other_branch"
    one = await world.hub.post(
        "/api/mediation/cases",
        json={
            "office": "MIL",
            "subject": "x",
            "summary": "y",
            "mediator": "mediator.wz",
            "people": PEOPLE[:1],
        },
        headers=await world.as_("officer.wz"),
    )
    assert await _code(one, 422) == "request.invalid"
    notmediator = await world.hub.post(
        "/api/mediation/cases",
        json={
            "office": "MIL",
            "subject": "x",
            "summary": "y",
            "mediator": "notary.wz",
            "people": PEOPLE[:2],
        },
        headers=await world.as_("officer.wz"),
    )
    assert await _code(notmediator, 422) == "mediation.unknown_mediator"
    async with world.hub.app[DB].sessions() as session:
        assert await session.scalar(select(func.count()).select_from(MediationCase)) == 1


async def test_signing_twice_and_a_redraft_that_voids_earlier_signatures(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    world = await make_world(aiohttp_client, db_url, tmp_path)
    await world.open_case(PEOPLE[:2])
    await world.consent_all()
    for pid in world.ids[:2]:
        await world.enrol(pid)
    await world.hold_empty_session()
    first = (
        await (await world.mediator("POST", "/agreement", {"terms": ["Refund 5000 yuan."]})).json()
    )["documents"][-1]
    signed = await world.sign_as_party(world.ids[0], first["id"], PEOPLE[0])
    assert signed.status == 200, await signed.text()
    tick(world)
    again = await world.hub.post(
        world.my(f"/documents/{first['id']}/challenge"),
        json={"face_decision": world.decision(PEOPLE[0])},
        headers=world.party(world.ids[0]),
    )
    assert await _code(again, 409) == "mediation.already_signed"
    wrong_branch = await world.hub.post(
        world.my(f"/documents/{first['id']}/challenge"),
        json={"face_decision": world.decision(PEOPLE[1], branch="MIL")},
        headers=world.party(world.ids[1]),
    )
    assert await _code(wrong_branch, 409) == "mediation.face_elsewhere"

    # party 2 has a code bound to the first draft when the mediator changes the text
    opened = await world.hub.post(
        world.my(f"/documents/{first['id']}/challenge"),
        json={"face_decision": world.decision(PEOPLE[1])},
        headers=world.party(world.ids[1]),
    )
    assert opened.status == 200
    second = await (
        await world.mediator("POST", "/agreement", {"terms": ["Refund 6000 yuan."]})
    ).json()
    current = second["documents"][-1]
    assert current["version"] == 2 and second["documents"][0]["state"] == "void"
    assert current["signed"] == [] and {m["signer"] for m in current["missing"]} == {
        f"p:{world.ids[0]}",
        f"p:{world.ids[1]}",
        "mediator",
        "seal",
    }
    before = await _signatures(world)

    stale = await world.hub.post(
        world.my(f"/documents/{first['id']}/sign"),
        json={
            "code": code_at(world.secrets[world.ids[1]], world.clock.now()),
            "document_sha256": first["current_sha256"],
        },
        headers=world.party(world.ids[1]),
    )
    assert await _code(stale, 409) == "mediation.document_void"
    assert await _signatures(world) == before  # nothing signed on the replaced text
    mine = await (await world.hub.get(world.my(), headers=world.party(world.ids[0]))).json()
    assert [d["version"] for d in mine["documents"]] == [2]
    assert mine["documents"][0]["signed"] == []  # the earlier signature does not cover this text
    for pid, person in zip(world.ids[:2], PEOPLE, strict=False):
        tick(world)
        resp = await world.sign_as_party(pid, current["id"], person)
        assert resp.status == 200, await resp.text()
    tick(world)
    twice = await world.hub.post(
        world.my(f"/documents/{current['id']}/sign"),
        json={
            "code": code_at(world.secrets[world.ids[0]], world.clock.now()),
            "document_sha256": current["current_sha256"],
        },
        headers=world.party(world.ids[0]),
    )
    assert await _code(twice, 409) == "mediation.already_signed"
    done = await world.mediator("POST", f"/documents/{current['id']}/sign")
    assert (await done.json())["state"] == "sealed"
    late = await world.mediator("POST", "/agreement", {"terms": ["Refund 7000 yuan."]})
    assert await _code(late, 409) == "mediation.case_finished"
    async with world.hub.app[DB].sessions() as session:
        states = (await session.scalars(select(CaseDocument.state).order_by(CaseDocument.id))).all()
    assert states == ["void", "sealed"]


def _at(day: str) -> datetime:
    return datetime.fromisoformat(f"{day}T04:00:00+00:00").astimezone(UTC)  # noon in Beijing


async def test_statistics_per_office_count_planted_cases_exactly(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    world = await make_world(aiohttp_client, db_url, tmp_path)
    planted = [  # office, opened, settled, closed
        ("MIL", "2026-01-05", "2026-01-15", None),
        ("MIL", "2026-01-10", "2026-02-09", None),
        ("MIL", "2026-01-20", None, "2026-01-25"),
        ("MIL", "2025-12-20", "2026-01-03", None),  # opened before the period, settled in it
        ("MAD", "2026-01-08", None, None),
        ("WZ", "2026-01-31", "2026-02-02", None),  # settled after the period
        ("WZ", "2026-02-03", "2026-02-04", None),  # wholly after the period
    ]
    async with world.hub.app[DB].transaction() as session:
        for i, (office, opened, settled, closed) in enumerate(planted):
            session.add(
                MediationCase(
                    number=f"TJ-T-{i}",
                    office=office,
                    subject="s",
                    summary="s",
                    mediator="mediator.wz",
                    mediator_name="Zhu Hong",
                    mediator_office="WZ",
                    state="settled" if settled else ("closed" if closed else "mediating"),
                    opened_by="t",
                    opened_at=_at(opened),
                    settled_at=_at(settled) if settled else None,
                    closed_at=_at(closed) if closed else None,
                )
            )
    resp = await world.hub.get(
        "/api/mediation/statistics?start=2026-01-01&end=2026-01-31",
        headers=await world.as_("supervisor.wz"),
    )
    assert resp.status == 200, await resp.text()
    figures = await resp.json()
    by = {o["office"]: o for o in figures["offices"]}
    assert by["MIL"] == {
        "office": "MIL",
        "opened": 3,
        "settled": 2,
        "closed": 1,
        "pending": 1,
        "mean_days": 12.0,
        "median_days": 12.0,
        "longest_days": 14,
    }
    assert by["MAD"] == {
        "office": "MAD",
        "opened": 1,
        "settled": 0,
        "closed": 0,
        "pending": 1,
        "mean_days": None,
        "median_days": None,
        "longest_days": None,
    }
    assert by["WZ"] == {
        "office": "WZ",
        "opened": 1,
        "settled": 0,
        "closed": 0,
        "pending": 1,
        "mean_days": None,
        "median_days": None,
        "longest_days": None,
    }
    assert figures["total"]["opened"] == 5 and figures["total"]["settled"] == 2
    bad = await world.hub.get(
        "/api/mediation/statistics?start=2026-13-01", headers=await world.as_("supervisor.wz")
    )
    assert await _code(bad, 422) == "mediation.bad_date"
    denied = await world.hub.get(
        "/api/mediation/statistics", headers=await world.as_("mediator.wz")
    )
    assert denied.status == 403
