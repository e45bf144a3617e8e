"""A hub with seeded staff and desks, a node whose decision key the hub registered, and a
resident with a power-of-attorney application, an authenticator and a booking with the
notary; helpers that take each step of the act over HTTP."""

from __future__ import annotations

from dataclasses import dataclass
from datetime import timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from tests.integration.signatures.world import World
from tests.integration.signatures.world import make_world as make_signing_world

POA = {
    "agent_name": "Hu Xiaoli 胡小丽",
    "agent_document": "330328198001010022",
    "property": "浙江省温州市文成县大峃镇建设路 8 号 3 幢 501 室",
}
ACTS = "/api/notarizations"


@dataclass
class NotaryWorld:
    base: World
    booking: str = ""

    @property
    def hub(self) -> Any:
        return self.base.hub

    async def as_(self, username: str) -> dict[str, str]:
        return await self.base.as_(username)

    async def book(self) -> str:
        day = self.base.clock.now().date()
        query = {
            "branch": "MIL",
            "service": "notarization",
            "from": str(day + timedelta(days=1)),
            "to": str(day + timedelta(days=20)),
        }
        found = await (await self.hub.get("/api/schedules/slots", params=query)).json()
        slot = next(s for s in found["slots"] if s["staff"] == "notary.wz")
        form = {
            "branch": "MIL",
            "service": "notarization",
            "staff": slot["staff"],
            "room": slot["room"],
            "start": slot["start"],
            "resident_name": "Hu Xiaoming 胡小明",
            "resident_zone": "Europe/Rome",
        }
        resp = await self.hub.post(
            "/api/schedules/bookings", json=form, headers=await self.as_("clerk.milan")
        )
        assert resp.status == 201, await resp.text()
        return str((await resp.json())["reference"])

    async def open_act(self, **changes: Any) -> Any:
        body = {
            "act_type": "power_of_attorney_home",
            "application_number": self.base.number,
            "booking_reference": self.booking,
            "particulars": POA,
            **changes,
        }
        return await self.hub.post(ACTS, json=body, headers=await self.as_("clerk.milan"))

    async def identify(self, act_id: str, decision: dict[str, Any] | None = None) -> Any:
        return await self.hub.post(
            f"{ACTS}/{act_id}/identity",
            json={"face_decision": decision or self.base.decision()},
            headers=self.base.resident,
        )

    async def video_session(self, case_id: str, kind: str = "notarization") -> str:
        body = {
            "case_id": case_id,
            "kind": kind,
            "participants": [
                {"participant": "notary-hu", "role": "notary"},
                {"participant": "milan-node", "role": "node"},
            ],
        }
        resp = await self.hub.post("/api/sessions", json=body, headers=await self.as_("notary.wz"))
        assert resp.status == 201, await resp.text()
        return str((await resp.json())["session_id"])

    async def notary(self, act_id: str, step: str, body: Any = None, who: str = "notary.wz") -> Any:
        return await self.hub.post(
            f"{ACTS}/{act_id}/{step}", json=body, headers=await self.as_(who)
        )

    async def witness(self, act_id: str) -> Any:
        return await self.hub.post(
            f"{ACTS}/{act_id}/witness", headers=await self.as_("clerk.milan")
        )

    async def to_session(self, act_id: str, number: str) -> None:
        assert (await self.identify(act_id)).status == 200
        sid = await self.video_session(number)
        resp = await self.notary(act_id, "session", {"video_session_id": sid})
        assert resp.status == 200, await resp.text()

    async def read_all(self, act_id: str, codes: list[str]) -> None:
        for code in codes:
            resp = await self.notary(act_id, "advisements", {"code": code})
            assert resp.status == 200, await resp.text()

    async def resident_signs(self, request_id: str, sha256: str) -> None:
        opened = await self.base.challenge(request_id)
        assert opened.status == 200, await opened.text()
        signed = await self.base.sign(request_id, sha256)
        assert signed.status == 200, await signed.text()


async def make_world(aiohttp_client: Any, db_url: str, tmp_path: Path) -> NotaryWorld:
    base = await make_signing_world(aiohttp_client, db_url, tmp_path, enrol=False)
    opened = await base.hub.post(
        "/api/applications",
        json={
            "item_code": "NO-004",
            "resident": {"name": "Hu Xiaoming 胡小明", "document": "E1234567", "country": "IT"},
        },
        headers=await base.as_("clerk.milan"),
    )
    assert opened.status == 201, await opened.text()
    doc = await opened.json()
    base.number, base.query_code = doc["number"], doc["query_code"]
    resp = await base.hub.post(
        "/api/signatures/enrolment", json={"number": base.number, "query_code": base.query_code}
    )
    assert resp.status == 201, await resp.text()
    base.secret = parse_qs(urlparse((await resp.json())["otpauth_uri"]).query)["secret"][0]
    world = NotaryWorld(base)
    world.booking = await world.book()
    return world


ADVISEMENTS = ["truthfulness", "recording", "agent_powers", "revocation"]


async def issued_act(world: NotaryWorld) -> dict[str, Any]:
    """A power of attorney taken through every step to its sealed certificate."""
    act = await (await world.open_act()).json()
    await world.to_session(act["id"], act["number"])
    await world.read_all(act["id"], ADVISEMENTS)
    assert (await world.notary(act["id"], "present")).status == 200
    status = await (
        await world.hub.get(f"{ACTS}/{act['id']}/status", headers=world.base.resident)
    ).json()
    await world.resident_signs(status["signing_request_id"], status["document_sha256"])
    assert (await world.witness(act["id"])).status == 200
    issued = await world.notary(act["id"], "issue")
    assert issued.status == 200, await issued.text()
    return dict(await issued.json())
