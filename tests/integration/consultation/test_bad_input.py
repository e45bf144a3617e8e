"""Bad input gets a clear error in the asker's language and leaves nothing half-stored."""

from __future__ import annotations

from datetime import timedelta
from typing import Any

from sqlalchemy import update

from hub.consultation.tables import Consultation
from tests.integration.consultation.conftest import START, Hub

TITLES = {
    "consultation.bad_rating": {
        "zh": "评价须为 1（差）到 5（非常满意）之间的整数。",
        "en": "A rating is a whole number from 1 (poor) to 5 (excellent).",
        "it": "La valutazione è un numero intero da 1 (scarsa) a 5 (ottima).",
    },
    "consultation.not_answered": {
        "zh": "收到书面答复后才能评价咨询。",
        "en": "A consultation can be rated once its written answer is there.",
        "it": "Una consulenza si può valutare quando c'è la risposta scritta.",
    },
    "consultation.not_found": {  # to a consultant it is not booked with, it does not exist
        "zh": "没有编号为 {number} 的咨询。",
        "en": "No consultation {number}.",
        "it": "Nessuna consulenza {number}.",
    },
    "kb.empty_query": {
        "zh": "请输入一个词或几个汉字来搜索知识库。",
        "en": "Type a word, or a few Chinese characters, to search the knowledge base.",
        "it": "Scriva una parola, o qualche carattere cinese, per cercare nella banca delle "
        "conoscenze.",
    },
}


async def refused(resp: Any, status: int, code: str) -> dict[str, Any]:
    problem = await resp.json()
    assert resp.status == status and problem["code"] == code, problem
    return problem  # type: ignore[no-any-return]


async def in_three_languages(status: int, code: str, send: Any, **params: str) -> None:
    """The same refusal, titled in Chinese, English and Italian (``send(lang)`` asks)."""
    for lang, title in TITLES[code].items():
        problem = await refused(await send(lang), status, code)
        assert problem["title"] == title.format(**params), (lang, problem)


async def plant_held(hub: Hub, number: str) -> None:
    """The session took place (as the lifecycle test shows with real peers)."""
    async with hub.db.transaction() as session:
        await session.execute(
            update(Consultation)
            .where(Consultation.number == number)
            .values(state="held", opened_at=START, held_at=START + timedelta(minutes=30))
        )


async def test_a_booking_is_whole_or_not_at_all(hub: Hub) -> None:
    before = await hub.counts()
    officer = next(s for s in await hub.slots("household") if s["staff"] == "officer.wz")
    wrong_topic = hub.booking(officer, topic="inheritance")  # the officer is not on that roster
    resp = await hub.client.post(
        "/api/self-service/consultations", json=wrong_topic, headers={"Accept-Language": "it"}
    )
    problem = await refused(resp, 422, "consultation.not_on_roster")
    assert problem["title"] == (
        "officer.wz non dà consulenze su questo argomento; scelga un altro orario."
    )
    assert await hub.counts() == before  # neither the booking nor the consultation
    for field, value in (("question", "房产?"), ("topic", "astrology"), ("lang", "fr")):
        resp = await hub.client.post(
            "/api/self-service/consultations", json=hub.booking(officer, **{field: value})
        )
        problem = await refused(resp, 422, "request.invalid")
        assert problem["errors"][0]["field"] == field
    assert await hub.counts() == before

    await hub.book("lawyer.chen")
    taken = hub.booking(next(s for s in await hub.slots() if s["staff"] == "lawyer.chen"))
    taken["start"] = START.isoformat()  # the slot just booked
    again = await hub.client.post("/api/self-service/consultations", json=taken)
    await refused(again, 409, "schedules.taken")
    consultations, bookings, *_ = await hub.counts()
    assert (consultations, bookings) == (before[0] + 1, before[1] + 1)


async def test_ratings_out_of_range_early_or_twice_are_refused(hub: Hub) -> None:
    booked = await hub.book()
    number, code = booked["number"], booked["query_code"]
    path = f"/api/self-service/consultations/{number}/rating"

    async def rate(level: Any, lang: str = "en", query_code: str = code) -> Any:
        headers = {"X-Query-Code": query_code, "Accept-Language": lang}
        return await hub.client.post(path, json={"level": level}, headers=headers)

    before = await hub.counts()
    await in_three_languages(409, "consultation.not_answered", lambda lang: rate(5, lang))
    await refused(await rate(5, query_code="WRONGCODE"), 404, "consultation.not_found_by_code")
    await plant_held(hub, number)
    await hub.at(START + timedelta(hours=2))
    body = {"answer": {"zh": "需要办理继承公证。"}}
    answered = await hub.post(f"/api/consultations/{number}/answer", "lawyer.chen", body)
    assert answered.status == 200, await answered.text()
    before = await hub.counts()
    for level in (0, 6, -1, 100):
        await in_three_languages(
            422, "consultation.bad_rating", lambda lang, n=level: rate(n, lang)
        )
    await refused(await rate("five"), 422, "request.invalid")
    progress = await (await hub.progress(number, code)).json()
    assert progress["state"] == "answered" and progress["rating"] is None
    assert await hub.counts() == before
    assert (await rate(4)).status == 200
    await refused(await rate(5), 409, "consultation.already_rated")
    assert (await (await hub.progress(number, code)).json())["rating"] == 4


async def test_only_the_booked_consultant_holds_and_answers(hub: Hub) -> None:
    number = (await hub.book("lawyer.chen"))["number"]
    before = await hub.counts()
    await hub.at(START - timedelta(minutes=20))
    early = await hub.post(f"/api/consultations/{number}/session", "lawyer.chen")
    await refused(early, 409, "consultation.too_early")
    for user in ("lawyer.milan", "officer.wz"):
        resp = await hub.post(f"/api/consultations/{number}/session", user)
        await refused(resp, 404, "consultation.not_found")
    answer = {"answer": {"zh": "可以办理。"}}

    async def answer_as_other(lang: str) -> Any:
        return await hub.client.post(
            f"/api/consultations/{number}/answer",
            json=answer,
            headers={**hub.headers["lawyer.milan"], "Accept-Language": lang},
        )

    await in_three_languages(404, "consultation.not_found", answer_as_other, number=number)
    not_held = await hub.post(f"/api/consultations/{number}/answer", "lawyer.chen", answer)
    await refused(not_held, 409, "consultation.bad_transition")
    await plant_held(hub, number)
    italian_only = {"answer": {"it": "Si può fare."}}
    resp = await hub.post(f"/api/consultations/{number}/answer", "lawyer.chen", italian_only)
    await refused(resp, 422, "consultation.chinese_required")
    resp = await hub.post(
        f"/api/consultations/{number}/answer", "lawyer.chen", {"answer": {"fr": "Oui"}}
    )
    await refused(resp, 422, "request.invalid")
    assert await hub.counts() == before  # no answer, no audit entry
    other = await hub.client.get(
        f"/api/consultations/{number}", headers=hub.headers["lawyer.milan"]
    )
    await refused(other, 404, "consultation.not_found")
    audited = await (
        await hub.client.get(f"/api/consultations/{number}", headers=hub.headers["auditor.wz"])
    ).json()
    assert audited["resident"]["name"] == "***" and audited["answer"] is None


async def test_publishing_needs_an_answer_and_no_trace_of_the_resident(hub: Hub) -> None:
    number = (await hub.book("lawyer.chen"))["number"]
    question = {"question": {"zh": "海外华侨如何办理国内房产继承？"}}
    resp = await hub.post(f"/api/consultations/{number}/publish", "lawyer.chen", question)
    await refused(resp, 409, "kb.not_answered")
    await plant_held(hub, number)
    await hub.at(START + timedelta(hours=1))
    body = {"answer": {"zh": "需要办理继承公证。"}}
    assert (await hub.post(f"/api/consultations/{number}/answer", "lawyer.chen", body)).ok
    before = await hub.counts()
    naming = {"question": {"zh": "胡小明先生如何继承房产？", "it": "Come eredita il sig. Hu?"}}
    resp = await hub.post(f"/api/consultations/{number}/publish", "lawyer.chen", naming)
    problem = await refused(resp, 422, "kb.not_anonymous")
    assert "胡小明" in problem["title"]
    document = {"question": {"zh": "护照E1234567的持有人如何继承？"}}
    resp = await hub.post(f"/api/consultations/{number}/publish", "lawyer.chen", document)
    await refused(resp, 422, "kb.not_anonymous")
    resp = await hub.post(f"/api/consultations/{number}/publish", "lawyer.milan", question)
    await refused(resp, 404, "consultation.not_found")
    assert await hub.counts() == before
    by_supervisor = await hub.post(
        f"/api/consultations/{number}/publish", "supervisor.wz", question
    )
    assert by_supervisor.status == 201, await by_supervisor.text()
    twice = await hub.post(f"/api/consultations/{number}/publish", "lawyer.chen", question)
    await refused(twice, 409, "kb.already_published")


async def test_a_search_with_nothing_to_look_for_says_so(hub: Hub) -> None:
    async def empty(lang: str) -> Any:
        return await hub.client.get("/api/kb?q=%20%20", headers={"Accept-Language": lang})

    await in_three_languages(422, "kb.empty_query", empty)
    page = await hub.client.get("/kb", params={"q": "", "lang": "it"})
    assert page.status == 422 and TITLES["kb.empty_query"]["it"] in await page.text()
    await refused(
        await hub.client.get("/api/kb", params={"q": "房" * 201}), 422, "kb.query_too_long"
    )
    await refused(
        await hub.client.get("/api/kb", params={"topic": "astrology"}),
        422,
        "consultation.bad_topic",
    )
    await refused(await hub.client.get("/api/kb/987654321"), 404, "kb.not_found")
    listed = await hub.client.get("/api/kb")  # no query: the newest entries (none yet)
    assert listed.status == 200 and (await listed.json())["entries"] == []


async def test_consultations_are_not_booked_through_the_generic_booking(hub: Hub) -> None:
    slot = next(s for s in await hub.slots() if s["staff"] == "lawyer.chen")
    clerk = await _clerk(hub)
    body = {
        "branch": "MIL",
        "service": "consultation",
        "staff": slot["staff"],
        "room": slot["room"],
        "start": slot["start"],
        "resident_name": "Hu",
        "resident_zone": "Europe/Rome",
    }
    before = await hub.counts()
    resp = await hub.client.post("/api/schedules/bookings", json=body, headers=clerk)
    await refused(resp, 422, "schedules.consultation_elsewhere")
    assert await hub.counts() == before


async def _clerk(hub: Hub) -> dict[str, str]:
    from tests.helpers import signed_in

    return await signed_in(hub.client, "clerk.milan", hub.passwords["clerk.milan"])
