"""A consultation from the slot search to the rated answer, and the answer found in the
knowledge base by a search in Chinese and in Italian."""

from __future__ import annotations

import asyncio
from datetime import timedelta

import pytest
from markupsafe import escape

from tests.integration.consultation.conftest import START, Hub
from tests.integration.media.loopback import join_over, until

ANSWER = {
    "zh": "可委托国内亲属或律师办理继承公证，需要死亡证明、亲属关系公证和房产证。",
    "it": "Per l'eredità dell'immobile serve un atto notarile di successione: "
    "certificato di morte, prova della parentela e titolo di proprietà.",
}
PUBLIC_QUESTION = {
    "zh": "父母在国内留下房产，身在海外如何办理继承？",
    "it": "I genitori hanno lasciato una casa in Cina: come si gestisce l'eredità dall'estero?",
}


@pytest.mark.usefixtures("loopback_only")
async def test_book_hold_answer_rate_and_publish(hub: Hub) -> None:
    slots = await hub.slots()
    assert {s["staff"] for s in slots} == {"lawyer.chen", "lawyer.milan"}  # the inheritance roster
    first = next(s for s in slots if s["staff"] == "lawyer.chen")
    assert first["start"] == START.isoformat() and first["consultant"] == "Chen Jie 陈杰"
    assert first["viewer_local"].startswith("2026-02-11T09:00:00+01:00")

    booked = await hub.book()
    number, code = booked["number"], booked["query_code"]
    assert booked["state"] == "booked" and booked["booking"]["service"] == "consultation"
    assert all(
        s["start"] != first["start"] or s["staff"] != "lawyer.chen" for s in await hub.slots()
    )
    early = await hub.client.get(
        f"/api/self-service/consultations/{number}/session", headers={"X-Query-Code": code}
    )
    assert early.status == 409 and (await early.json())["code"] == "consultation.session_not_open"

    await hub.at(START - timedelta(minutes=5))
    opened = await hub.post(f"/api/consultations/{number}/session", "lawyer.chen")
    assert opened.status == 201, await opened.text()
    consultant = await opened.json()
    resp = await hub.client.get(
        f"/api/self-service/consultations/{number}/session", headers={"X-Query-Code": code}
    )
    resident = await resp.json()
    assert (
        resident["participant"] == "resident" and resident["session_id"] == consultant["session_id"]
    )
    assert (await (await hub.progress(number, code)).json())["session_open"] is True

    lawyer = await join_over(hub.client, consultant["signal"], "lawyer-chen")
    await until(lambda: lawyer.sent("answer"), within=20)
    person = await join_over(hub.client, resident["signal"], "resident", shade=90)
    try:
        await until(
            lambda: lawyer.frames_from("resident") > 15 and person.frames_from("lawyer-chen") > 15,
            within=30,
        )
        await asyncio.sleep(0.3)
        ended = await hub.post(f"/api/consultations/{number}/session/end", "lawyer.chen")
    finally:
        await lawyer.leave()
        await person.leave()
    view = await ended.json()
    assert ended.status == 200, view
    assert view["state"] == "held" and view["steps_done"] == 1 and view["steps_on_time"] == 1
    path = f"/api/sessions/{consultant['session_id']}"
    stranger = await hub.client.get(path, headers=hub.headers["officer.wz"])  # not on the case
    assert stranger.status == 404
    session = await hub.client.get(path, headers=hub.headers["auditor.wz"])
    recorded = await session.json()
    assert recorded["kind"] == "consultation" and recorded["case_id"] == number
    assert any("resident/video" in s["tracks"] for s in recorded["segments"])

    await hub.at(START + timedelta(days=1))
    answered = await hub.post(
        f"/api/consultations/{number}/answer", "lawyer.chen", {"answer": ANSWER}
    )
    assert answered.status == 200, await answered.text()
    mine = await (await hub.progress(number, code)).json()  # the resident chose Italian
    assert mine["state"] == "answered" and mine["can_rate"]
    assert mine["answer"] == {"lang": "it", "text": ANSWER["it"], "fallback": False}
    english = await (await hub.progress(number, code, lang="en")).json()
    assert english["answer"] == {"lang": "zh", "text": ANSWER["zh"], "fallback": True}
    page = await hub.client.get(
        "/consultations/status", params={"number": number, "code": code, "lang": "en"}
    )
    html = await page.text()
    assert "it is shown in the original" in html and ANSWER["zh"] in html

    rated = await hub.client.post(
        f"/api/self-service/consultations/{number}/rating",
        json={"level": 5, "comment": "Chiaro e rapido."},
        headers={"X-Query-Code": code},
    )
    assert rated.status == 200, await rated.text()
    assert (await rated.json())["state"] == "rated"
    staff = await (
        await hub.client.get(f"/api/consultations/{number}", headers=hub.headers["lawyer.chen"])
    ).json()
    assert staff["rating"] == 5 and staff["steps_done"] == 2 and staff["steps_on_time"] == 2
    assert staff["resident"]["name"] == "Hu Xiaoming 胡小明"

    published = await hub.post(
        f"/api/consultations/{number}/publish", "lawyer.chen", {"question": PUBLIC_QUESTION}
    )
    assert published.status == 201, await published.text()
    entry_id = (await published.json())["id"]
    assert await hub.actions(f"consultation:{number}") == [
        "consultation.booked",
        "consultation.session_opened",
        "consultation.held",
        "consultation.answered",
        "consultation.rated",
        "kb.published",
    ]
    await _found_in_chinese_and_italian(hub, entry_id)


async def _found_in_chinese_and_italian(hub: Hub, entry_id: int) -> None:
    for query, lang, question in [
        ("房产继承", "zh", PUBLIC_QUESTION["zh"]),
        ("EREDITÀ casa", "it", PUBLIC_QUESTION["it"]),
        ("eredita", "it", PUBLIC_QUESTION["it"]),
    ]:
        resp = await hub.client.get("/api/kb", params={"q": query, "lang": lang})
        found = (await resp.json())["entries"]
        assert [e["id"] for e in found] == [entry_id], query
        assert found[0]["question"]["text"] == question
        assert found[0]["consultant"] == "Chen Jie 陈杰"
        assert found[0]["answered_on"] == "2026-02-12"  # Beijing date of the answer
    for query in ("户口迁移", "cittadinanza"):
        resp = await hub.client.get("/api/kb", params={"q": query})
        assert (await resp.json())["entries"] == [], query
    page = await hub.client.get("/kb", params={"q": "继承", "lang": "it"})
    html = await page.text()
    assert (
        page.status == 200
        and str(escape(PUBLIC_QUESTION["it"])) in html
        and "Chen Jie 陈杰" in html
    )
    assert "Hu Xiaoming" not in html and "E1234567" not in html
    entry = await hub.client.get(f"/kb/{entry_id}", params={"lang": "en"})
    html = await entry.text()  # no English text: the Chinese original, with a note
    assert PUBLIC_QUESTION["zh"] in html and "exists in Chinese only" in html
    guide = await (await hub.client.get("/api/catalogue/RE-002")).json()  # real estate
    assert guide["knowledge_base"] == "/kb?category=real_estate"
    linked = await hub.client.get(guide["knowledge_base"], params={"lang": "zh"})
    assert linked.status == 200 and '<option value="property" selected>' in await linked.text()
