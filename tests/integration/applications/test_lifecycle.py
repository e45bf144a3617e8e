"""One application through every state, a correction round with one notice, and a rejection."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from hub.applications.deadlines import add_working_days
from tests.helpers import pdf_bytes, png_bytes

from .conftest import Hub


async def test_an_application_walks_through_every_state(hub: Hub) -> None:
    opened = await hub.open("RE-002")
    number, code = opened["number"], opened["query_code"]
    assert opened["state"] == "draft" and number.startswith("MIL-20260210-")

    # Planted deficiencies: passport only uploaded (original required), property certificate
    # checked but wrong, purchase contract missing altogether.
    assert (await hub.attach(number, "passport", "C", png_bytes())).status == 201
    assert (
        await hub.attach(number, "property_certificate", "B", png_bytes(color="grey"))
    ).status == 201
    assert (
        await hub.attach(number, "power_of_attorney", "B", pdf_bytes(), "poa.pdf")
    ).status == 201
    assert (await hub.attach(number, "tax_receipt", "C", pdf_bytes(), "tax.pdf")).status == 201
    assert (await hub.act(number, "submit", headers=hub.clerk)).status == 200

    returned = await hub.act(
        number, "return", {"invalid": {"property_certificate": "owner name differs"}}
    )
    assert returned.status == 200, await returned.text()
    notice = (await returned.json())["result"]["notice"]
    assert notice == [
        {"material": "passport", "problem": "not_checked", "detail": ""},
        {"material": "property_certificate", "problem": "invalid", "detail": "owner name differs"},
        {"material": "purchase_contract", "problem": "missing", "detail": ""},
    ]

    early = await hub.act(number, "submit", headers={**hub.clerk, "Accept-Language": "en"})
    assert early.status == 409
    assert (await early.json())["title"] == (
        "Still missing or invalid: passport, property_certificate, purchase_contract."
    )

    for material in ("passport", "property_certificate"):
        assert (await hub.attach(number, material, "B", png_bytes(color="white"))).status == 201
    assert (await hub.attach(number, "purchase_contract", "B", pdf_bytes(3), "c.pdf")).status == 201
    resubmitted = await hub.act(number, "submit", headers=hub.clerk)
    assert resubmitted.status == 200
    view = await resubmitted.json()
    assert view["state"] == "submitted"
    assert view["deficiency_notices"][0]["resolved_at"] is not None

    accepted = await (await hub.act(number, "accept")).json()
    assert accepted["state"] == "forwarded"  # accepting queues it for the platform at once
    # RE-002 promises 10 working days; accepted Tue 10 Feb 2026, Spring Festival in between.
    assert accepted["deadline"] == add_working_days(date(2026, 2, 10), 10).isoformat()
    assert accepted["deadline"] == "2026-03-02"

    for target in ("in_process", "completed"):
        resp = await hub.act(number, "advance", {"target": target})
        assert resp.status == 200 and (await resp.json())["state"] == target

    progress = await hub.client.get(f"/api/progress/{number}", headers={"X-Query-Code": code})
    body = await progress.json()
    assert [h["state"] for h in body["history"]] == [
        "draft",
        "submitted",
        "correction",
        "submitted",
        "accepted",
        "forwarded",
        "in_process",
        "completed",
    ]
    assert "resident" not in body and "materials" not in body  # nothing else exposed
    wrong = await hub.client.get(f"/api/progress/{number}", headers={"X-Query-Code": "WRONG123"})
    assert wrong.status == 404

    rated = await hub.client.post(
        f"/api/progress/{number}/rating",
        json={"level": 2, "comment": "troppo lento"},
        headers={"X-Query-Code": code},
    )
    assert (await rated.json()) == {"level": 2, "follow_up": "open"}
    again = await hub.client.post(
        f"/api/progress/{number}/rating", json={"level": 5}, headers={"X-Query-Code": code}
    )
    assert again.status == 409

    summary = await (await hub.client.get("/api/statistics/ratings", headers=hub.supervisor)).json()
    assert summary["items"]["RE-002"] == {"ratings": 1, "average": 2.0, "poor": 1, "overdue": 0}
    assert summary["offices"]["MIL"]["poor"] == 1


async def test_rejection_is_final_and_illegal_moves_are_explained(hub: Hub) -> None:
    number = (await hub.open("HR-005"))["number"]
    await hub.attach(number, "passport", "B", png_bytes())
    await hub.attach(number, "hukou", "B", png_bytes())
    no_reason = await hub.act(number, "reject", {"reasons": ["  "]})
    assert no_reason.status == 422  # submitted? no: still a draft, and no reason either
    assert (await hub.act(number, "submit", headers=hub.clerk)).status == 200
    rejected = await hub.act(number, "reject", {"reasons": ["不属于本县管辖 / not this county"]})
    assert (await rejected.json())["state"] == "rejected"
    late = await hub.act(number, "accept", headers={**hub.officer, "Accept-Language": "it"})
    assert late.status == 409
    assert (await late.json())["title"] == (
        "Una pratica nello stato «respinta» non può passare a «accolta»."
    )


async def test_accepted_with_a_material_to_come_and_completed_only_once_it_arrives(
    hub: Hub,
) -> None:
    number = (await hub.open("RE-002"))["number"]
    for material in ("passport", "property_certificate", "purchase_contract", "power_of_attorney"):
        await hub.attach(number, material, "B", png_bytes())
    await hub.act(number, "submit", headers=hub.clerk)
    essential = await hub.act(number, "accept", {"pending": ["passport"]})
    assert essential.status == 422
    accepted = await hub.act(number, "accept", {"pending": ["tax_receipt"]})
    view = await accepted.json()
    pending = [m for m in view["materials"] if m["status"] == "pending"]
    assert [m["material"] for m in pending] == ["tax_receipt"]
    assert pending[0]["pending_due"] <= view["deadline"]
    await hub.act(number, "advance", {"target": "in_process"})
    blocked = await hub.act(number, "advance", {"target": "completed"})
    assert blocked.status == 409
    assert (await hub.attach(number, "tax_receipt", "C", pdf_bytes(), "tax.pdf")).status == 201
    done = await hub.act(number, "advance", {"target": "completed"})
    assert (await done.json())["state"] == "completed"


async def test_overdue_applications_are_flagged_in_the_queue(hub: Hub) -> None:
    number = (await hub.open("HR-005"))["number"]
    await hub.attach(number, "passport", "B", png_bytes())
    await hub.attach(number, "hukou", "B", png_bytes())
    await hub.act(number, "submit", headers=hub.clerk)
    await hub.act(number, "accept")
    queue = await (await hub.client.get("/api/queue", headers=hub.officer)).json()
    assert queue[0]["number"] == number and queue[0]["urgency"] == "on_time"
    hub.clock.advance(timedelta(days=30))
    await hub.sign_in_again()
    queue = await (await hub.client.get("/api/queue", headers=hub.officer)).json()
    assert queue[0]["urgency"] == "overdue"
    summary = await (await hub.client.get("/api/statistics/ratings", headers=hub.supervisor)).json()
    assert summary["items"]["HR-005"]["overdue"] == 1


async def test_a_random_number_already_taken_is_drawn_again(
    hub: Hub, monkeypatch: pytest.MonkeyPatch
) -> None:
    first = (await hub.open("HR-005"))["number"]
    drawn = iter([first, first, "MIL-20260210-00000000AA"])
    monkeypatch.setattr("hub.applications.service.new_number", lambda branch, now: next(drawn))
    second = await hub.open("HR-005")
    assert second["number"] == "MIL-20260210-00000000AA"
    assert (await hub.view(first))["state"] == "draft"  # the first one is untouched
