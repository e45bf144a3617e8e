"""Who reaches which record, by scope and not only by role: two branches (Milan, Paris), staff
of every role assigned to a record and not, the parties of two mediation cases, each signed in
for real (password and authenticator code), records made by the test through the API, and the
answer each caller gets written down here, not read from the route declarations.

Rules, as the people who use the hub expect them:
- an application belongs to its branch: the Milan clerk sees Milan's, the Paris clerk does not
  learn it exists (404); the centre's officers and supervisor handle every branch's; an auditor
  reads; a notary, mediator or consultant has no business with it (403);
- a mediation case is its mediator's: another mediator, of the centre or of Paris, is told it
  does not exist (404) and can change nothing; officers, the supervisor and auditors read;
- a party reaches their own case with their own access code, never the other case.
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from common.access import Role
from common.factors import enrol_demo
from common.passwords import hash_password
from common.secretbox import service_box
from hub.accounts.tables import Office, Staff
from hub.db import signin_tables
from hub.seed import seed_database
from signing.totp import code_at
from tests.helpers import service_app
from tests.integration.mediation.world import PEOPLE

PARIS_STAFF = [
    ("clerk.paris", "Marie Lin 林玛丽", Role.CLERK),
    ("mediator.paris", "Paul Wu 吴保罗", Role.MEDIATOR),
]
CALLERS = [
    "clerk.milan",
    "clerk.paris",
    "officer.wz",
    "notary.wz",
    "mediator.milan",  # assigned to the Milan case below
    "mediator.wz",  # the centre's, not assigned
    "mediator.paris",
    "supervisor.wz",
    "auditor.wz",
    "lawyer.chen",
    None,  # nobody signed in
]


async def _world(aiohttp_client: Any, db_url: str, tmp_path: Path) -> tuple[Any, dict[str, str]]:
    """The hub with Paris added; returns its client and a bearer header per caller, each from
    a real sign-in with password and the authenticator's code."""
    app, db = await service_app("hub", db_url, tmp_path)
    now = datetime.now(UTC)
    passwords = await seed_database(db, now)
    async with db.transaction() as session:
        session.add(
            Office(
                code="PAR",
                kind="branch",
                name_zh="巴黎海外分中心",
                name_en="Paris Overseas Branch",
                country="FR",
                timezone="Europe/Paris",
            )
        )
        await session.flush()
        for username, name, role in PARIS_STAFF:
            passwords[username] = secrets.token_urlsafe(12)
            session.add(
                Staff(
                    username=username,
                    display_name=name,
                    role=role.value,
                    office_code="PAR",
                    password_hash=hash_password(passwords[username]),
                    created_at=now,
                )
            )
    factors = await enrol_demo(db, signin_tables, list(passwords), now, service_box(tmp_path))
    client = await aiohttp_client(app)
    tokens: dict[str, str] = {}
    for username in (c for c in CALLERS if c is not None):
        without_code = await client.post(
            "/api/session", json={"username": username, "password": passwords[username]}
        )
        assert without_code.status == 401  # enrolled: the password alone is not enough
        signed = await client.post(
            "/api/session",
            json={
                "username": username,
                "password": passwords[username],
                "code": code_at(factors[username], datetime.now(UTC)),
            },
        )
        assert signed.status == 200, (username, await signed.text())
        tokens[username] = (await signed.json())["token"]
    client.session.cookie_jar.clear()  # each call below carries only its caller's token
    return client, tokens


def _as(tokens: dict[str, str], who: str | None) -> dict[str, str]:
    return {} if who is None else {"Authorization": f"Bearer {tokens[who]}"}


async def _answers(
    client: Any, tokens: dict[str, str], method: str, path: str, body: Any = None
) -> dict[str | None, int]:
    seen = {}
    for who in CALLERS:
        resp = await client.request(method, path, json=body, headers=_as(tokens, who))
        seen[who] = resp.status
    return seen


def _expect(default: int, **special: int) -> dict[str | None, int]:
    out: dict[str | None, int] = {c: default for c in CALLERS}
    for key, status in special.items():
        out[None if key == "nobody" else key.replace("_", ".")] = status
    return out


def _mismatch(seen: dict[str | None, int], wanted: dict[str | None, int]) -> Iterable[str]:
    return [
        f"{who}: got {seen[who]}, wanted {wanted[who]}"
        for who in CALLERS
        if seen[who] != wanted[who]
    ]


async def test_each_record_is_reached_by_its_people_only(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    client, tokens = await _world(aiohttp_client, db_url, tmp_path)

    opened = await client.post(
        "/api/applications",
        json={
            "item_code": "HR-005",
            "resident": {"name": "Hu Li", "document": "E7654321", "country": "IT"},
        },
        headers=_as(tokens, "clerk.milan"),
    )
    assert opened.status == 201
    number = (await opened.json())["number"]
    application = _expect(
        403,
        clerk_milan=200,
        clerk_paris=404,
        officer_wz=200,
        supervisor_wz=200,
        auditor_wz=200,
        nobody=401,
    )
    seen = await _answers(client, tokens, "GET", f"/api/applications/{number}")
    assert not _mismatch(seen, application), _mismatch(seen, application)
    # the officers' actions: the Paris clerk and the mediators cannot accept it
    accept = _expect(403, officer_wz=409, supervisor_wz=409, nobody=401, clerk_paris=403)
    seen = await _answers(client, tokens, "POST", f"/api/applications/{number}/accept", {})
    assert not _mismatch(seen, accept), _mismatch(seen, accept)  # 409: still a draft

    # parties in Milan, in Paris (where the mediation world has Madrid) and in Wencheng
    people = [{**p, "location": "PAR" if p["location"] == "MAD" else p["location"]} for p in PEOPLE]
    cases = []
    for on_case in (people[:2], people[2:3] + people[:1]):
        made = await client.post(
            "/api/mediation/cases",
            json={
                "office": "MIL",
                "subject": "房屋租赁押金纠纷 Deposit of a rented flat",
                "summary": "The tenant left the flat; the landlord keeps the deposit.",
                "mediator": "mediator.milan",
                "people": on_case,
            },
            headers=_as(tokens, "officer.wz"),
        )
        assert made.status == 201, await made.text()
        cases.append(await made.json())
    case, other = cases
    reading = _expect(
        403,
        officer_wz=200,
        mediator_milan=200,
        mediator_wz=404,
        mediator_paris=404,
        supervisor_wz=200,
        auditor_wz=200,
        nobody=401,
    )
    seen = await _answers(client, tokens, "GET", f"/api/mediation/cases/{case['number']}")
    assert not _mismatch(seen, reading), _mismatch(seen, reading)
    # a note only the case's mediator may add; nobody else learns more than before
    noting = _expect(403, mediator_milan=201, mediator_wz=404, mediator_paris=404, nobody=401)
    path = f"/api/mediation/cases/{case['number']}/notes"
    seen = await _answers(client, tokens, "POST", path, {"text": "Parties reachable by phone."})
    assert not _mismatch(seen, noting), _mismatch(seen, noting)

    mine = case["participants"][0]["access_code"]
    theirs = other["participants"][0]["access_code"]
    own = await client.get(f"/api/mediation/my/{case['number']}", headers={"X-Access-Code": mine})
    assert own.status == 200
    crossed = await client.get(
        f"/api/mediation/my/{case['number']}", headers={"X-Access-Code": theirs}
    )
    assert crossed.status == 404  # a party of the other case reaches nothing here
