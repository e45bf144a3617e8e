"""A hub with a seeded catalogue and staff, a node whose decision key the hub registered, and a
resident with an application, an enrolled authenticator and a signing request."""

from __future__ import annotations

import base64
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from common.clock import FixedClock
from hub.seed import seed_database
from media.face import SignedDecision, VerificationDecision, sign_decision
from media.face.decision import Ed25519Signer
from overseas_node.identity.keys import load_signer
from signing.totp import code_at
from tests.helpers import service_app, signed_in
from tests.signing_support.pdfs import make_pdf

RESIDENT = "resident:E1234567"


@dataclass
class World:
    hub: Any
    clock: FixedClock
    node_signer: Ed25519Signer
    passwords: dict[str, str]
    number: str = ""
    query_code: str = ""
    secret: str = ""
    staff: dict[str, dict[str, str]] = field(default_factory=dict)

    async def as_(self, username: str) -> dict[str, str]:
        if username not in self.staff:
            self.staff[username] = await signed_in(self.hub, username, self.passwords[username])
        return self.staff[username]

    @property
    def resident(self) -> dict[str, str]:
        return {"X-Query-Code": self.query_code}

    def code(self) -> str:
        return code_at(self.secret, self.clock.now())

    def decision(self, *, signer: Ed25519Signer | None = None, **changes: Any) -> dict[str, Any]:
        at = self.clock.now().isoformat()
        fields: dict[str, Any] = {
            "attempt_id": "att-1",
            "resident_id": RESIDENT,
            "branch": "MIL",
            "accepted": True,
            "reason": "accepted",
            "distance": 0.31,
            "threshold": 0.55,
            "challenge": ("blink", "turn_left"),
            "steps": (),
            "issued_at": at,
            "received_at": at,
            "decided_at": at,
            "frames_span_ms": 2400,
            "processing_ms": 800,
            "frame_hashes": ("ab" * 32,),
            "encoded_frames": (0,),
            "model": "dlib_face_recognition_resnet_model_v1",
        }
        fields.update(changes)
        signed: SignedDecision = sign_decision(
            VerificationDecision(**fields), signer or self.node_signer
        )
        return signed.to_dict()

    async def request(
        self, title: str = "Power of attorney", notary: str = "notary.wz"
    ) -> dict[str, Any]:
        body = {
            "application_number": self.number,
            "notary": notary,
            "title": title,
            "document": base64.b64encode(make_pdf(1, title)).decode(),
        }
        resp = await self.hub.post(
            "/api/signatures/requests", json=body, headers=await self.as_("officer.wz")
        )
        assert resp.status == 201, await resp.text()
        return dict(await resp.json())

    async def challenge(self, request_id: str, decision: dict[str, Any] | None = None) -> Any:
        return await self.hub.post(
            f"/api/signatures/requests/{request_id}/challenge",
            json={"face_decision": decision or self.decision()},
            headers=self.resident,
        )

    async def sign(self, request_id: str, sha256: str, code: str | None = None) -> Any:
        return await self.hub.post(
            f"/api/signatures/requests/{request_id}/resident",
            json={"code": code or self.code(), "document_sha256": sha256},
            headers=self.resident,
        )


async def make_world(
    aiohttp_client: Any, db_url: str, tmp_path: Path, *, enrol: bool = True
) -> World:
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))  # pdfsig checks real time
    app, db = await service_app(
        "hub", db_url, tmp_path / "hub", clock=clock, audit_head_interval_s=3600
    )
    passwords = await seed_database(db, clock.now())
    hub = await aiohttp_client(app)
    node_app, _ = await service_app(
        "node", f"sqlite+aiosqlite:///{tmp_path / 'node.sqlite3'}", tmp_path / "node", clock=clock
    )
    node = await aiohttp_client(node_app)
    node_key = await (await node.get("/api/identity/decision-key")).json()
    world = World(hub, clock, load_signer(tmp_path / "node"), passwords)
    resp = await hub.post(
        "/api/signatures/node-keys",
        json={"branch": "MIL", "public_key": node_key["public_key"]},
        headers=await world.as_("admin.wz"),
    )
    assert resp.status == 201, await resp.text()
    opened = await hub.post(
        "/api/applications",
        json={
            "item_code": "RE-002",
            "resident": {"name": "Hu Xiaoming 胡小明", "document": "E1234567", "country": "IT"},
        },
        headers=await world.as_("clerk.milan"),
    )
    assert opened.status == 201, await opened.text()
    doc = await opened.json()
    world.number, world.query_code = doc["number"], doc["query_code"]
    if enrol:
        resp = await hub.post(
            "/api/signatures/enrolment",
            json={"number": world.number, "query_code": world.query_code},
        )
        assert resp.status == 201, await resp.text()
        uri = (await resp.json())["otpauth_uri"]
        world.secret = parse_qs(urlparse(uri).query)["secret"][0]
    return world
