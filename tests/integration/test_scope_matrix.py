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
- a party reaches their own case with their own access code, never the other case;
- a notarial act is its notary's and its branch's: another notary, or the Paris clerk, is told
  it does not exist (404); the supervisor and auditors read; the resident follows it with the
  application's query code, never with another application's;
- a notarial act's video session is the act's: only its notary opens one, invites, looks at a
  participant or ends it; hosts not on the act are told it does not exist (404); the supervisor
  of the notary's office and auditors read it; on its live channel the notary and the act's
  branch clerk take part, the Paris clerk finds nothing;
- a consultation is its consultant's: another consultant (or an officer) is told it does not
  exist; the supervisor and auditors read; the resident follows it with its own code only;
- a complaint is the hub's complaint desk's (officers and the supervisor read and decide, the
  auditor reads); once handed to an officer, only that officer answers it (another officer,
  who reads the file, is refused with 403); branch clerks lodge but do not read it (403).
"""

from __future__ import annotations

import secrets
from collections.abc import Iterable
from datetime import UTC, datetime, timedelta
from pathlib import Path
from typing import Any

from aiohttp import FormData, WSServerHandshakeError

from common.access import Role
from common.factors import enrol_demo
from common.passwords import hash_password
from common.secretbox import service_box
from hub.accounts.tables import Office, Staff
from hub.db import signin_tables
from hub.seed import seed_database
from signing.totp import code_at
from tests.helpers import png_bytes, service_app
from tests.integration.mediation.world import PEOPLE
from tests.integration.notarization.world import POA

PARIS_STAFF = [
    ("clerk.paris", "Marie Lin 林玛丽", Role.CLERK, "PAR"),
    ("mediator.paris", "Paul Wu 吴保罗", Role.MEDIATOR, "PAR"),
    ("notary.li", "Li Na 李娜", Role.NOTARY, "WZ"),  # the centre's second notary
    ("officer.li", "Li Qiang 李强", Role.OFFICER, "WZ"),  # the centre's second officer
]
REASON = {"reason": "Die Vollmacht ist unvollständig."}
CALLERS = [
    "clerk.milan",
    "clerk.paris",
    "officer.wz",
    "officer.li",
    "notary.wz",
    "notary.li",
    "mediator.milan",  # assigned to the Milan case below
    "mediator.wz",  # the centre's, not assigned
    "mediator.paris",
    "supervisor.wz",
    "auditor.wz",
    "lawyer.chen",
    "lawyer.milan",
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
        for username, name, role, office in PARIS_STAFF:
            passwords[username] = secrets.token_urlsafe(12)
            session.add(
                Staff(
                    username=username,
                    display_name=name,
                    role=role.value,
                    office_code=office,
                    password_hash=hash_password(passwords[username]),
                    created_at=now,
                )
            )
    factors = await enrol_demo(db, signin_tables, list(passwords), now, service_box(tmp_path))
    client = await aiohttp_client(app)
    tokens: dict[str, str] = {}
    without_code = await client.post(
        "/api/session", json={"username": "notary.li", "password": passwords["notary.li"]}
    )
    assert without_code.status == 401  # enrolled: the password alone is not enough
    for username in (c for c in CALLERS if c is not None):
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


async def _live_answers(client: Any, tokens: dict[str, str], path: str) -> dict[str | None, int]:
    """Each caller's answer on a live socket: 101 when it is welcomed, else the refusal."""
    seen = {}
    for who in CALLERS:
        try:
            ws = await client.ws_connect(path, headers=_as(tokens, who))
        except WSServerHandshakeError as refused:
            seen[who] = refused.status
            continue
        assert (await ws.receive_json())["type"] == "welcome"
        await ws.close()
        seen[who] = 101
    return seen


def _expect(default: int, **special: int) -> dict[str | None, int]:
    out: dict[str | None, int] = {c: default for c in CALLERS}
    for key, status in special.items():
        out[None if key == "nobody" else key.replace("_", ".")] = status
    return out


def _known(statuses: dict[str, int]) -> dict[str | None, int]:
    return {who: status for who, status in statuses.items() if who in CALLERS}


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
        officer_li=200,
        supervisor_wz=200,
        auditor_wz=200,
        nobody=401,
    )
    seen = await _answers(client, tokens, "GET", f"/api/applications/{number}")
    assert not _mismatch(seen, application), _mismatch(seen, application)
    # the officers' actions: the Paris clerk and the mediators cannot accept it
    accept = _expect(
        403, officer_wz=409, officer_li=409, supervisor_wz=409, nobody=401, clerk_paris=403
    )
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
        officer_li=200,
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
    await _notarial_act(client, tokens, other_code=(await opened.json())["query_code"])
    await _consultation(client, tokens)
    await _complaint(client, tokens)


async def _check(
    client: Any,
    tokens: dict[str, str],
    method: str,
    path: str,
    wanted: dict[str | None, int],
    body: Any = None,
) -> None:
    seen = await _answers(client, tokens, method, path, body)
    assert not _mismatch(seen, wanted), (method, path, _mismatch(seen, wanted))


async def _slot(client: Any, service: str, staff: str, **query: str) -> dict[str, Any]:
    day = datetime.now(UTC).date()
    # three weeks ahead: tomorrow may be a weekend or a holiday, with nobody on duty
    params = {"branch": "MIL", "from": str(day + timedelta(days=1)), **query}
    params["to"] = str(day + timedelta(days=21))
    if service == "notarization":
        params["service"] = service
        found = (await (await client.get("/api/schedules/slots", params=params)).json())["slots"]
    else:
        found = (await (await client.get("/api/consultations/slots", params=params)).json())[
            "slots"
        ]
    return next(s for s in found if s["staff"] == staff)


async def _notarial_act(client: Any, tokens: dict[str, str], other_code: str) -> None:
    clerk = _as(tokens, "clerk.milan")
    resident = {"name": "Hu Xiaoming 胡小明", "document": "E1234567", "country": "IT"}
    app = await client.post(
        "/api/applications", json={"item_code": "NO-004", "resident": resident}, headers=clerk
    )
    assert app.status == 201, await app.text()
    application = await app.json()
    slot = await _slot(client, "notarization", "notary.wz")
    booking = {
        **{k: slot[k] for k in ("staff", "room", "start")},
        "branch": "MIL",
        "service": "notarization",
        "resident_name": resident["name"],
        "resident_zone": "Europe/Rome",
    }
    booked = await client.post("/api/schedules/bookings", json=booking, headers=clerk)
    assert booked.status == 201, await booked.text()
    made = await client.post(
        "/api/notarizations",
        json={
            "act_type": "power_of_attorney_home",
            "application_number": application["number"],
            "booking_reference": (await booked.json())["reference"],
            "particulars": POA,
        },
        headers=clerk,
    )
    assert made.status == 201, await made.text()
    act = await made.json()
    path = f"/api/notarizations/{act['id']}"
    reading = _expect(
        403,
        clerk_milan=200,
        clerk_paris=404,
        notary_wz=200,
        notary_li=404,
        supervisor_wz=200,
        auditor_wz=200,
        nobody=401,
    )
    await _check(client, tokens, "GET", path, reading)
    # the act's steps: its notary is told the step does not fit yet, another notary nothing
    step = _expect(403, notary_wz=409, notary_li=404, nobody=401)
    await _check(client, tokens, "POST", f"{path}/advisements", step, {"code": "truthfulness"})
    witness = _expect(403, clerk_milan=409, clerk_paris=404, nobody=401)
    await _check(client, tokens, "POST", f"{path}/witness", witness)
    archive = _expect(
        403, notary_wz=200, notary_li=404, supervisor_wz=200, auditor_wz=200, nobody=401
    )
    await _check(client, tokens, "GET", f"{path}/archive", archive)
    # the act's video session inherits the act's scope: only its notary opens one, hosts not
    # on the act find nothing, the supervisor of the notary's office and auditors watch
    hosts = {f"{role}.{n}": 404 for role in ("officer", "mediator") for n in ("wz", "li")}
    hosts |= {"mediator.milan": 404, "mediator.paris": 404, "notary.li": 404}
    hosting = _expect(403, nobody=401) | _known(hosts)
    opening = {
        "case_id": act["number"],
        "kind": "notarization",
        "participants": [{"participant": "notary-hu", "role": "notary"}],
    }
    await _check(client, tokens, "POST", "/api/sessions", hosting | {"notary.wz": 201}, opening)
    opened = await client.post("/api/sessions", json=opening, headers=_as(tokens, "notary.wz"))
    assert opened.status == 201, await opened.text()
    video = f"/api/sessions/{(await opened.json())['session_id']}"
    watching = _expect(403, notary_wz=200, supervisor_wz=200, auditor_wz=200, nobody=401)
    await _check(client, tokens, "GET", video, watching | _known(hosts))
    invitee = {"participant": "intruder", "role": "notary"}
    await _check(
        client, tokens, "POST", f"{video}/invitations", hosting | {"notary.wz": 201}, invitee
    )
    # the live channel: the act's notary and its branch's clerk, nobody else
    live = _expect(403, notary_wz=101, clerk_milan=101, clerk_paris=404, nobody=401)
    seen = await _live_answers(client, tokens, f"/api/v1/live/{video.split('/')[-1]}/socket")
    assert not _mismatch(seen, live | _known(hosts)), _mismatch(seen, live | _known(hosts))
    picture = f"{video}/participants/notary-hu/snapshot"  # nobody has joined: no picture yet
    await _check(client, tokens, "GET", picture, hosting | {"notary.wz": 409})
    await _check(client, tokens, "POST", f"{video}/end", hosting | {"notary.wz": 200})
    # refused by its notary at last: no other notary could have
    await _check(client, tokens, "POST", f"{path}/refuse", step | {"notary.wz": 200}, REASON)
    own = await client.get(f"{path}/status", headers={"X-Query-Code": application["query_code"]})
    assert own.status == 200, await own.text()
    crossed = await client.get(f"{path}/status", headers={"X-Query-Code": other_code})
    assert crossed.status == 404  # another application's code reaches nothing here


async def _consultation(client: Any, tokens: dict[str, str]) -> None:
    slot = await _slot(client, "consultation", "lawyer.chen", topic="inheritance")
    asked = {
        **{k: slot[k] for k in ("staff", "room", "start")},
        "branch": "MIL",
        "topic": "inheritance",
        "name": "Hu Xiaoming 胡小明",
        "document": "E1234567",
        "contact": "hu@example.it",
        "country": "IT",
        "lang": "it",
        "zone": "Europe/Rome",
        "question": "我父亲在文成县留下一套房产，我在意大利如何办理继承？",
    }
    first = await client.post("/api/self-service/consultations", json=asked)
    assert first.status == 201, await first.text()
    mine = await first.json()
    path = f"/api/consultations/{mine['number']}"
    reading = _expect(
        403, lawyer_chen=200, lawyer_milan=404, officer_wz=404, officer_li=404, nobody=401
    )
    reading |= {"supervisor.wz": 200, "auditor.wz": 200}
    await _check(client, tokens, "GET", path, reading)
    answering = _expect(403, lawyer_chen=409, lawyer_milan=404, officer_wz=404, officer_li=404)
    answering[None] = 401
    await _check(client, tokens, "POST", f"{path}/answer", answering, {"answer": {"zh": "可以。"}})
    progress = "/api/self-service/consultations/{}"
    own = await client.get(
        progress.format(mine["number"]), headers={"X-Query-Code": mine["query_code"]}
    )
    assert own.status == 200, await own.text()
    slot = await _slot(client, "consultation", "lawyer.milan", topic="inheritance")
    theirs = await client.post(
        "/api/self-service/consultations",
        json={**asked, **{k: slot[k] for k in ("staff", "room", "start")}, "document": "YA998877"},
    )
    assert theirs.status == 201, await theirs.text()
    crossed = await client.get(
        progress.format(mine["number"]),
        headers={"X-Query-Code": (await theirs.json())["query_code"]},
    )
    assert crossed.status == 404  # another resident's code reaches nothing here


async def _complaint(client: Any, tokens: dict[str, str]) -> None:
    form = FormData()
    for key, value in {
        "name": "Hu Xiaoming 胡小明",
        "document": "E1234567",
        "contact": "hu@example.it",
        "country": "IT",
        "lang": "it",
        "facts": "材料已交齐，窗口仍要求补正第三次，超过承诺时限。",
        "request": "请求一次性告知并尽快办结。",
    }.items():
        form.add_field(key, value)
    form.add_field("attachment", png_bytes(), filename="receipt.png", content_type="image/png")
    lodged = await client.post("/api/complaints", data=form, headers=_as(tokens, "clerk.milan"))
    assert lodged.status == 201, await lodged.text()
    complaint = await lodged.json()
    path = f"/api/complaints/{complaint['number']}"
    desk = _expect(403, officer_wz=200, officer_li=200, supervisor_wz=200, auditor_wz=200)
    desk[None] = 401
    await _check(client, tokens, "GET", path, desk)
    handed = await client.post(
        f"{path}/accept",
        json={"department": "real_estate", "handler": "officer.wz"},
        headers=_as(tokens, "supervisor.wz"),
    )
    assert handed.status == 200, await handed.text()
    # the desk knows the complaint exists: being told who may act on it reveals nothing
    extending = _expect(403, officer_wz=422, nobody=401)
    await _check(client, tokens, "POST", f"{path}/extend", extending, {"days": 99, "reason": "x"})
    await _check(client, tokens, "GET", path, desk)  # the desk still reads it
    own = await client.get(
        f"/api/self-service/complaints/{complaint['number']}",
        headers={"X-Query-Code": complaint["query_code"]},
    )
    assert own.status == 200, await own.text()
