"""Test harness: a hub on 127.0.0.1 with a header authenticator (test-only; the product signs
staff in for real), seeded staff and desks, a registered node key, and one power-of-attorney
act taken up to the resident's signature. Prints what the browser test needs as one JSON line.
"""

from __future__ import annotations

import argparse
import asyncio
import base64
import json
import sys
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from aiohttp import ClientSession, web
from cryptography.hazmat.primitives.serialization import Encoding, PublicFormat

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from common.access import Principal, Role  # noqa: E402
from common.db import Database, migrate  # noqa: E402
from common.settings import HubSettings  # noqa: E402

POA = {
    "agent_name": "Hu Xiaoli 胡小丽",
    "agent_document": "330328198001010022",
    "property": "浙江省温州市文成县大峃镇建设路 8 号 3 幢 501 室",
}


class HeaderAuth:
    async def authenticate(self, request: web.Request) -> Principal | None:
        subject = request.headers.get("X-Test-Subject")
        if not subject:
            return None
        return Principal(
            subject,
            Role(request.headers["X-Test-Role"]),
            request.headers.get("X-Test-Branch"),
            display_name=request.headers.get("X-Test-Name", subject),
        )


def as_(subject: str, role: str, branch: str) -> dict[str, str]:
    return {"X-Test-Subject": subject, "X-Test-Role": role, "X-Test-Branch": branch}


NOTARY = as_("notary.wz", "notary", "WZ")
CLERK = as_("clerk.milan", "clerk", "MIL")
ADMIN = as_("admin.wz", "admin", "WZ")


def decision(signer: Any, at: datetime) -> dict[str, Any]:
    from media.face import VerificationDecision, sign_decision

    stamp = at.isoformat()
    return sign_decision(
        VerificationDecision(
            attempt_id="att-kiosk-1",
            resident_id="resident:E1234567",
            branch="MIL",
            accepted=True,
            reason="accepted",
            distance=0.31,
            threshold=0.55,
            challenge=("blink", "turn_left", "turn_right"),
            steps=(),
            issued_at=stamp,
            received_at=stamp,
            decided_at=stamp,
            frames_span_ms=2400,
            processing_ms=800,
            frame_hashes=("ab" * 32,),
            encoded_frames=(0,),
            model="dlib_face_recognition_resnet_model_v1",
        ),
        signer,
    ).to_dict()


async def _ok(resp: Any) -> Any:
    body = await resp.json()
    assert resp.status < 300, body
    return body


async def prepare(base: str, data: Path) -> dict[str, Any]:
    from overseas_node.identity.keys import load_signer

    signer = load_signer(data / "node")
    public = signer.private_key.public_key().public_bytes(Encoding.Raw, PublicFormat.Raw)
    async with ClientSession(base) as http:
        await _ok(
            await http.post(
                "/api/signatures/node-keys",
                json={"branch": "MIL", "public_key": base64.b64encode(public).decode()},
                headers=ADMIN,
            )
        )
        app = await _ok(
            await http.post(
                "/api/applications",
                json={
                    "item_code": "NO-004",
                    "resident": {
                        "name": "Hu Xiaoming 胡小明",
                        "document": "E1234567",
                        "country": "IT",
                    },
                },
                headers=CLERK,
            )
        )
        enrolled = await _ok(
            await http.post(
                "/api/signatures/enrolment",
                json={"number": app["number"], "query_code": app["query_code"]},
            )
        )
        day = datetime.now(UTC).date()
        query = {
            "branch": "MIL",
            "service": "notarization",
            "from": str(day + timedelta(days=1)),
            "to": str(day + timedelta(days=20)),
        }
        slots = (await _ok(await http.get("/api/schedules/slots", params=query)))["slots"]
        slot = next(s for s in slots if s["staff"] == "notary.wz")
        booking = await _ok(
            await http.post(
                "/api/schedules/bookings",
                json={
                    "branch": "MIL",
                    "service": "notarization",
                    "staff": slot["staff"],
                    "room": slot["room"],
                    "start": slot["start"],
                    "resident_name": "Hu Xiaoming 胡小明",
                    "resident_zone": "Europe/Rome",
                },
                headers=CLERK,
            )
        )
        act = await _ok(
            await http.post(
                "/api/notarizations",
                json={
                    "act_type": "power_of_attorney_home",
                    "application_number": app["number"],
                    "booking_reference": booking["reference"],
                    "particulars": POA,
                },
                headers=CLERK,
            )
        )
    secret = parse_qs(urlparse(enrolled["otpauth_uri"]).query)["secret"][0]
    face = decision(signer, datetime.now(UTC))
    return {
        "act": act,
        "query_code": app["query_code"],
        "secret": secret,
        "decision": base64.urlsafe_b64encode(json.dumps(face).encode()).decode(),
    }


async def main(args: argparse.Namespace) -> None:
    import hub.app
    from hub.seed import seed_database

    data = Path(args.data)
    db = Database(f"sqlite+aiosqlite:///{data / 'hub.sqlite3'}")
    await migrate(db.engine, hub.app.MIGRATIONS)
    await seed_database(db, datetime.now(UTC))
    base = f"http://{args.host}:{args.port}"
    app = hub.app.create_app(
        HubSettings(data_dir=data / "hub", public_url=base, outbox_relay_enabled=False),
        database=db,
        authenticator=HeaderAuth(),
    )
    runner = web.AppRunner(app, access_log=None)
    await runner.setup()
    await web.TCPSite(runner, args.host, args.port).start()
    try:
        print(json.dumps({"base": base, **await prepare(base, data)}), flush=True)
        await asyncio.Event().wait()  # until the test stops us
    finally:
        await runner.cleanup()


if __name__ == "__main__":
    parser = argparse.ArgumentParser()
    parser.add_argument("--data", required=True)
    parser.add_argument("--host", default="127.0.0.1")
    parser.add_argument("--port", type=int, required=True)
    try:
        asyncio.run(main(parser.parse_args()))
    except KeyboardInterrupt:
        pass
