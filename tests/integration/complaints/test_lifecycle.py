"""A complaint from lodging to the answered review; one that misses its deadline; one refused."""

from __future__ import annotations

from typing import Any

from sqlalchemy import select

from hub.db import audit_events
from hub.seal import HUB_SEAL
from signing.verify import validate_pdf_async
from tests.integration.complaints.conftest import Hub
from tests.signing_support.pdfs import make_pdf


async def _actions(hub: Hub, number: str) -> list[str]:
    async with hub.db.sessions() as session:
        rows = await session.execute(
            select(audit_events.c.action)
            .where(audit_events.c.subject == f"complaint:{number}")
            .order_by(audit_events.c.id)
        )
        return [r[0] for r in rows]


async def _progress(hub: Hub, number: str, code: str) -> dict[str, Any]:
    resp = await hub.client.get(
        f"/api/self-service/complaints/{number}", headers={"X-Query-Code": code}
    )
    assert resp.status == 200, await resp.text()
    return await resp.json()  # type: ignore[no-any-return]


async def test_accept_extend_signed_reply_review_and_answer(hub: Hub) -> None:
    lodged = await hub.lodge()
    number, code = lodged["number"], lodged["query_code"]
    assert number.startswith("TS-MIL-20260210-") and len(code) == 8
    progress = await _progress(hub, number, code)
    assert progress["state"] == "lodged" and progress["rules"]["days"] == "calendar"
    assert progress["decide_by"] == "2026-02-25"  # 15 calendar days, Spring Festival or not

    view = await hub.accept(number)
    assert view["answer_by"] == "2026-04-11"  # 60 calendar days after 10 Feb
    assert view["complainant"]["name"] == "Hu Xiaoming 胡小明"  # the handling officer sees who

    resp = await hub.client.get(f"/api/complaints/{number}", headers=hub.headers["supervisor.wz"])
    other = await resp.json()
    assert other["complainant"]["name"] == "***" and other["complainant"]["document"] == "***"
    assert other["identity_visible"] is False and other["facts"]

    resp = await hub.post(number, "extend", {"days": 20, "reason": "需调取档案"}, "supervisor.wz")
    assert resp.status == 403  # only the handler acts on it
    resp = await hub.post(number, "extend", {"days": 20, "reason": "需调取档案"}, "officer.wz")
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["answer_by"] == "2026-05-01"
    again = await hub.post(number, "extend", {"days": 5, "reason": "再延"}, "officer.wz")
    assert again.status == 409 and (await again.json())["code"] == "complaint.already_extended"

    await hub.advance(40)
    resp = await hub.reply(number, make_pdf(1, "Reply to complaint"), seal=True)
    assert resp.status == 201, await resp.text()
    replied = await resp.json()
    assert replied["state"] == "replied"
    reply_doc = next(d for d in replied["documents"] if d["kind"] == "reply")
    assert reply_doc["signers"] == ["Wencheng Overseas Service Centre"]

    progress = await _progress(hub, number, code)
    assert progress["review_request_by"] == "2026-04-21"
    resp = await hub.client.get(
        f"/api/self-service/complaints/{number}/documents/{reply_doc['id']}?code={code}"
    )
    assert resp.status == 200 and resp.content_type == "application/pdf"
    pdf = await resp.read()
    ca = hub.client.app[HUB_SEAL].ca.certificate
    status = await validate_pdf_async(pdf, trust_roots=[ca], at=hub.clock.now())
    assert status.ok and status.signer_roles() == ["seal"]
    assert status.signatures[0].timestamped_at is not None

    await hub.advance(29)  # the 29th calendar day after the reply: still in time
    resp = await hub.client.post(
        f"/api/self-service/complaints/{number}/review",
        json={"reason": "答复未回应退件理由"},
        headers={"X-Query-Code": code},
    )
    assert resp.status == 200, await resp.text()
    assert (await resp.json())["review_answer_by"] == "2026-05-20"

    resp = await hub.reply(number, make_pdf(1, "Review answer"), seal=True)
    assert resp.status == 201, await resp.text()
    final = await resp.json()
    assert final["state"] == "reviewed" and final["deadline"] is None
    assert [d["kind"] for d in final["documents"]] == ["attachment", "reply", "review_answer"]
    assert await _actions(hub, number) == [
        "complaint.lodged",
        "complaint.accepted",
        "complaint.extended",
        "complaint.replied",
        "complaint.review_requested",
        "complaint.reviewed",
    ]


async def test_missed_deadline_shows_on_the_overdue_list(hub: Hub) -> None:
    late = (await hub.lodge())["number"]
    await hub.accept(late)
    await hub.advance(48)
    soon = (await hub.lodge(name="Wang Li 王丽", document="YA998877"))["number"]
    await hub.advance(13)  # late: 61 days since acceptance; soon: 2 days left for the decision

    resp = await hub.client.get("/api/complaints/deadlines", headers=hub.headers["supervisor.wz"])
    rows = {r["number"]: r for r in (await resp.json())["complaints"]}
    assert rows[late]["urgency"] == "overdue" and rows[late]["step"] == "answer"
    assert rows[late]["days_left"] == -1
    assert rows[soon]["urgency"] == "due_soon" and rows[soon]["days_left"] == 2
    resp = await hub.client.get(
        "/api/complaints/deadlines?overdue=1", headers=hub.headers["supervisor.wz"]
    )
    assert [r["number"] for r in (await resp.json())["complaints"]] == [late]

    for lang, overdue, calendar in [
        ("zh", "已逾期", "日历日"),
        ("en", "Overdue", "calendar days"),
        ("it", "Scaduti", "giorni di calendario"),
    ]:
        resp = await hub.client.get(
            f"/complaints/deadlines?lang={lang}", headers=hub.headers["supervisor.wz"]
        )
        html = await resp.text()
        assert resp.status == 200 and calendar in html
        section = html.split(f"<h2>{overdue} (1)</h2>")[1].split("<h2>")[0]
        assert late in section and soon not in section
    resp = await hub.client.get("/complaints/deadlines", headers=hub.headers["clerk.milan"])
    assert resp.status == 403


async def test_refused_with_a_reason(hub: Hub) -> None:
    lodged = await hub.lodge(kind="petition")
    number, code = lodged["number"], lodged["query_code"]
    resp = await hub.post(number, "refuse", {"reason": "   "}, "officer.wz")
    assert resp.status == 422
    reason = "已由法院受理，属诉讼程序，不属信访受理范围"
    resp = await hub.post(number, "refuse", {"reason": reason}, "officer.wz")
    assert resp.status == 200, await resp.text()
    progress = await _progress(hub, number, code)
    assert progress["state"] == "refused" and progress["refusal_reason"] == reason
    assert progress["deadline"] is None
    resp = await hub.post(
        number, "accept", {"department": "real_estate", "handler": "officer.wz"}, "officer.wz"
    )
    assert resp.status == 409
    resp = await hub.client.get(f"/complaints/status?number={number}&code={code}&lang=it")
    html = await resp.text()
    assert "Non accolto" in html and reason in html
    assert await _actions(hub, number) == ["complaint.lodged", "complaint.refused"]


async def test_lodging_page_in_three_languages(hub: Hub) -> None:
    for lang, calendar in [
        ("zh", "日历日"),
        ("en", "calendar days"),
        ("it", "giorni di calendario"),
    ]:
        resp = await hub.client.get(f"/complaints?lang={lang}")
        assert resp.status == 200 and calendar in await resp.text()
    resp = await hub.client.post("/complaints?lang=it", data=hub.form())
    html = await resp.text()
    assert resp.status == 201 and "Il reclamo è stato presentato" in html
    number = html.split('id="number">')[1].split("<")[0]
    code = html.split('id="code">')[1].split("<")[0]
    resp = await hub.client.get(f"/complaints/status?number={number}&code={code}&lang=zh")
    assert "已提交，待决定是否受理" in await resp.text()
    bad = await hub.client.post("/complaints?lang=en", data=hub.form([(b"MZ" * 50, "x.pdf")]))
    assert bad.status == 422 and "Only PDF, PNG and JPEG" in await bad.text()
