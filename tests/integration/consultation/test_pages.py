"""The pages: a resident books, follows and rates; a consultant holds, answers and publishes."""

from __future__ import annotations

import re
from datetime import timedelta
from typing import Any

from tests.integration.consultation.conftest import DAY, QUESTION, START, Hub
from tests.integration.consultation.test_bad_input import plant_held


def _form(slot: str, **fields: str) -> dict[str, str]:
    return {
        "topic": "inheritance",
        "branch": "MIL",
        "zone": "Europe/Rome",
        "slot": slot,
        "name": "Hu Xiaoming 胡小明",
        "document": "E1234567",
        "contact": "hu@example.it",
        "country": "IT",
        "lang": "it",
        "question": QUESTION,
        **fields,
    }


async def _book_on_page(hub: Hub, staff: str) -> tuple[str, str]:
    query = {"topic": "inheritance", "branch": "MIL", "from": DAY, "to": DAY, "lang": "it"}
    page = await hub.client.get("/consultations", params={**query, "tz": "Europe/Rome"})
    html = await page.text()
    assert page.status == 200 and "Chen Jie 陈杰" in html and "Wang Li 王莉" in html
    slots = re.findall(r'name="slot" value="([^"]+)"', html)
    slot = next(s for s in slots if s.split("|")[1] == staff)
    before = await hub.counts()
    bad = await hub.client.post("/consultations?lang=it", data=_form(slot, question="breve"))
    assert bad.status == 422 and "Alcuni campi mancano o non sono validi." in await bad.text()
    assert await hub.counts() == before
    sent = await hub.client.post("/consultations?lang=it", data=_form(slot))
    html = await sent.text()
    assert sent.status == 201, html
    number = re.search(r'id="number">([^<]+)<', html)
    code = re.search(r'id="code">([^<]+)<', html)
    assert number and code
    return number[1], code[1]


async def test_index_and_guides_lead_to_consultations_and_the_knowledge_base(hub: Hub) -> None:
    html = await (await hub.client.get("/?lang=it")).text()
    assert 'href="/consultations"' in html and 'href="/kb"' in html
    assert "Domande frequenti" in html and "Consulenza legale" in html


async def test_a_resident_who_never_joins_is_recorded_as_missed(hub: Hub) -> None:
    number, code = await _book_on_page(hub, "lawyer.chen")
    status = {"number": number, "code": code, "lang": "it"}
    early = await hub.client.get("/consultations/join", params=status, allow_redirects=False)
    assert early.status == 409 and "non è ancora aperta" in await early.text()
    await hub.at(START - timedelta(minutes=5))
    opened = await hub.client.post(
        f"/consultations/desk/{number}/session",
        headers=hub.headers["lawyer.chen"],
        allow_redirects=False,
    )
    assert opened.status == 303 and opened.headers["Location"].startswith("/media/session?")
    page = await (await hub.client.get("/consultations/status", params=status)).text()
    assert 'id="join"' in page
    join = await hub.client.get("/consultations/join", params=status, allow_redirects=False)
    assert join.status == 303 and "token=" in join.headers["Location"]
    ended = await hub.client.post(
        f"/consultations/desk/{number}/end",
        headers=hub.headers["lawyer.chen"],
        allow_redirects=False,
    )
    assert ended.status == 303
    page = await (await hub.client.get("/consultations/status", params=status)).text()
    assert "Mancata" in page and 'id="join"' not in page


async def test_answer_rating_and_publishing_through_the_pages(hub: Hub) -> None:
    number, code = await _book_on_page(hub, "lawyer.milan")
    await plant_held(hub, number)
    await hub.at(START + timedelta(hours=3))
    desk = await hub.client.get("/consultations/desk?lang=zh", headers=hub.headers["lawyer.milan"])
    html = await desk.text()
    assert number in html and "胡小明" in html and 'name="answer_zh"' in html
    other = await hub.client.get("/consultations/desk", headers=hub.headers["lawyer.chen"])
    assert number not in await other.text()  # another consultant's desk does not list it

    async def desk_post(verb: str, user: str, data: dict[str, str]) -> Any:
        return await hub.client.post(
            f"/consultations/desk/{number}/{verb}?lang=it",
            data=data,
            headers=hub.headers[user],
            allow_redirects=False,
        )

    refused = await desk_post("answer", "lawyer.milan", {"answer_it": "Solo italiano"})
    assert refused.status == 422 and "Il testo in cinese è obbligatorio" in await refused.text()
    answer = {"answer_zh": "需办理继承公证。", "answer_it": "Serve un atto di successione."}
    assert (await desk_post("answer", "lawyer.milan", answer)).status == 303

    status = {"number": number, "code": code, "lang": "it"}
    page = await (await hub.client.get("/consultations/status", params=status)).text()
    assert "Serve un atto di successione." in page and "Wang Li 王莉" in page
    rate = {"number": number, "code": code, "level": "6"}
    bad = await hub.client.post("/consultations/rate?lang=it", data=rate, allow_redirects=False)
    assert bad.status == 422 and "da 1 (scarsa) a 5 (ottima)" in await bad.text()
    rate["level"] = "4"
    done = await hub.client.post("/consultations/rate?lang=it", data=rate, allow_redirects=False)
    assert done.status == 303
    page = await (await hub.client.get("/consultations/status", params=status)).text()
    assert "La Sua valutazione: 4 su 5." in page and 'name="level"' not in page

    question = {"question_zh": "在意大利如何办理国内房产的继承？"}
    published = await desk_post("publish", "lawyer.milan", question)
    assert published.status == 303 and published.headers["Location"].startswith("/kb/")
    entry = await (await hub.client.get(published.headers["Location"])).text()
    assert "在意大利如何办理国内房产的继承？" in entry and "Wang Li 王莉" in entry
    assert "Serve un atto di successione." in entry  # the Italian answer, for an Italian reader
