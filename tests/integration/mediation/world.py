"""A hub with its staff, a second branch (Madrid), identity-decision keys of the Milan and Madrid
nodes and of the hub's own desk, and helpers that play mediator and parties over HTTP."""

from __future__ import annotations

import base64
import io
import zipfile
from dataclasses import dataclass, field
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from common.clock import FixedClock
from hub.accounts.tables import Office
from hub.seed import seed_database
from media.face import VerificationDecision, sign_decision
from media.face.decision import Ed25519Signer
from signing.primitives import ed25519_public_bytes
from signing.totp import code_at
from tests.helpers import service_app, signed_in

MADRID = Office(
    code="MAD",
    kind="branch",
    name_zh="马德里海外分中心",
    name_en="Madrid Overseas Branch",
    country="ES",
    timezone="Europe/Madrid",
)
PEOPLE = [
    {
        "name": "Chen Jie 陈杰",
        "document": "YA1234567",
        "country": "IT",
        "location": "MIL",
        "lang": "it",
    },
    {
        "name": "Wang Fang 王芳",
        "document": "EB7654321",
        "country": "ES",
        "location": "MAD",
        "lang": "zh",
    },
    {"name": "Li Qiang 李强", "document": "330328198001011234", "country": "CN", "location": "WZ"},
    {
        "role": "interpreter",
        "name": "Sofia Rossi",
        "document": "CA00112233",
        "country": "ES",
        "location": "MAD",
        "lang": "it",
        "represents": 1,
    },
]


@dataclass
class World:
    hub: Any
    clock: FixedClock
    passwords: dict[str, str]
    nodes: dict[str, Ed25519Signer]
    staff: dict[str, dict[str, str]] = field(default_factory=dict)
    number: str = ""
    codes: dict[int, str] = field(default_factory=dict)  # participant id → access code
    secrets: dict[int, str] = field(default_factory=dict)
    ids: list[int] = field(default_factory=list)
    attempts: int = 0

    async def as_(self, username: str) -> dict[str, str]:
        if username not in self.staff:
            self.staff[username] = await signed_in(self.hub, username, self.passwords[username])
        return self.staff[username]

    def party(self, pid: int) -> dict[str, str]:
        return {"X-Access-Code": self.codes[pid]}

    async def open_case(
        self, people: list[dict[str, Any]] | None = None, mediator: str = "mediator.milan"
    ) -> dict[str, Any]:
        body = {
            "office": "MIL",
            "subject": "房屋租赁押金纠纷 Deposit of a rented flat in Wencheng",
            "summary": "The tenant left the flat; the landlord keeps the deposit of 20,000 yuan.",
            "mediator": mediator,
            "people": people or PEOPLE,
        }
        resp = await self.hub.post(
            "/api/mediation/cases", json=body, headers=await self.as_("officer.wz")
        )
        assert resp.status == 201, await resp.text()
        view = await resp.json()
        self.number = view["number"]
        self.codes = {p["id"]: p["access_code"] for p in view["participants"]}
        self.ids = [p["id"] for p in view["participants"]]
        return dict(view)

    def path(self, tail: str = "") -> str:
        return f"/api/mediation/cases/{self.number}{tail}"

    def my(self, tail: str = "") -> str:
        return f"/api/mediation/my/{self.number}{tail}"

    async def mediator(
        self, method: str, tail: str, json: Any = None, who: str = "mediator.milan"
    ) -> Any:
        return await self.hub.request(
            method, self.path(tail), json=json, headers=await self.as_(who)
        )

    async def consent_all(self) -> None:
        for pid in self.ids[:3]:
            resp = await self.hub.post(self.my("/consent"), headers=self.party(pid))
            assert resp.status == 200, await resp.text()

    async def enrol(self, pid: int) -> None:
        resp = await self.hub.post(self.my("/enrolment"), headers=self.party(pid))
        assert resp.status == 201, await resp.text()
        uri = (await resp.json())["otpauth_uri"]
        self.secrets[pid] = parse_qs(urlparse(uri).query)["secret"][0]

    def decision(self, person: dict[str, Any], **changes: Any) -> dict[str, Any]:
        self.attempts += 1
        at = self.clock.now().isoformat()
        fields: dict[str, Any] = {
            "attempt_id": f"att-{self.attempts}",
            "resident_id": f"resident:{person['document']}",
            "branch": person["location"],
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
            "frame_hashes": (f"{self.attempts:02x}" * 32,),
            "encoded_frames": (0,),
            "model": "dlib_face_recognition_resnet_model_v1",
        }
        fields.update(changes)
        return sign_decision(VerificationDecision(**fields), self.nodes[fields["branch"]]).to_dict()

    async def sign_as_party(self, pid: int, doc_id: int, person: dict[str, Any]) -> Any:
        """Face decision, then the one-time code for the exact file: the party's signature."""
        opened = await self.hub.post(
            self.my(f"/documents/{doc_id}/challenge"),
            json={"face_decision": self.decision(person)},
            headers=self.party(pid),
        )
        assert opened.status == 200, await opened.text()
        sha = (await opened.json())["document_sha256"]
        return await self.hub.post(
            self.my(f"/documents/{doc_id}/sign"),
            json={"code": code_at(self.secrets[pid], self.clock.now()), "document_sha256": sha},
            headers=self.party(pid),
        )

    async def hold_empty_session(self, kind: str = "mediation", witness: int | None = None) -> str:
        opened = await self.mediator("POST", "/sessions", {"kind": kind, "witness": witness})
        assert opened.status == 201, await opened.text()
        session_id = str((await opened.json())["session_id"])
        ended = await self.mediator("POST", f"/sessions/{session_id}/end")
        assert ended.status == 200, await ended.text()
        return session_id


async def add_madrid(db: Any, now: datetime) -> None:
    async with db.transaction() as session:
        session.add(
            Office(
                **{
                    c: getattr(MADRID, c)
                    for c in ("code", "kind", "name_zh", "name_en", "country", "timezone")
                }
            )
        )


async def make_world(aiohttp_client: Any, db_url: str, tmp_path: Path) -> World:
    clock = FixedClock(datetime.now(UTC).replace(microsecond=0))  # certificates check real time
    app, db = await service_app(
        "hub", db_url, tmp_path / "hub", clock=clock, audit_head_interval_s=3600
    )
    passwords = await seed_database(db, clock.now())
    await add_madrid(db, clock.now())
    hub = await aiohttp_client(app)
    nodes = {code: Ed25519Signer(Ed25519PrivateKey.generate()) for code in ("MIL", "MAD", "WZ")}
    world = World(hub, clock, passwords, nodes)
    for code, signer in nodes.items():
        raw = ed25519_public_bytes(signer.private_key)
        resp = await hub.post(
            "/api/signatures/node-keys",
            json={"branch": code, "public_key": base64.b64encode(raw).decode()},
            headers=await world.as_("admin.wz"),
        )
        assert resp.status == 201, await resp.text()
    return world


def replace_member(archive: bytes, name: str, change: Any) -> bytes:
    """The same ZIP with one member's bytes changed."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(archive)) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            data = src.read(info)
            dst.writestr(info, change(data) if info.filename == name else data)
    return out.getvalue()


def tick(world: World) -> None:
    world.clock.advance(timedelta(seconds=31))  # the next one-time code step
