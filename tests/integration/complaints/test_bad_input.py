"""Bad input gets a clear error and leaves nothing half-stored."""

from __future__ import annotations

from datetime import UTC, datetime

from signing.ca import CertificateAuthority, Role
from signing.keystore import FileKeyStore
from signing.pades import sign_pdf_async, signer_from_store
from signing.tsa import TimestampAuthority, in_process
from tests.helpers import png_bytes
from tests.integration.complaints.conftest import Hub
from tests.signing_support.pdfs import make_pdf


async def test_hostile_attachment_refuses_the_whole_lodging(hub: Hub) -> None:
    before = await hub.counts()
    good = (png_bytes(), "photo.png")
    cases = [
        ([good, (b"MZ\x90\x00" + b"\x00" * 200, "reply.pdf")], "upload.unsupported_type"),
        ([good, (png_bytes()[:60], "cut.png")], "upload.malformed_image"),
        ([(b"%PDF-1.7\n1 0 obj<<>>endobj\n%%EOF", "broken.pdf")], "upload.malformed_pdf"),
    ]
    for attachments, code in cases:
        resp = await hub.client.post(
            "/api/self-service/complaints",
            data=hub.form(attachments),
            headers={"Accept-Language": "it"},
        )
        problem = await resp.json()
        assert resp.status == 422 and problem["code"] == code, problem
        assert problem["title"]  # a sentence, in the asker's language
        assert await hub.counts() == before
    resp = await hub.client.post("/api/self-service/complaints", data=hub.form(facts="short"))
    assert resp.status == 422 and (await resp.json())["errors"][0]["field"] == "facts"
    assert await hub.counts() == before


async def test_reply_without_a_valid_signature_is_refused(hub: Hub, tmp_path) -> None:  # type: ignore[no-untyped-def]
    number = (await hub.lodge())["number"]
    await hub.accept(number)
    before = await hub.counts()

    resp = await hub.reply(number, make_pdf(1, "Unsigned reply"), seal=False)
    problem = await resp.json()
    assert resp.status == 422 and problem["code"] == "complaint.reply_unsigned"

    # signed, but by a CA the hub does not trust
    at = datetime.now(UTC)
    store = FileKeyStore(tmp_path / "rogue", b"a rogue passphrase, long enough")
    ca = CertificateAuthority.open(store, name="Rogue CA", at=at)
    for key, role in (("tsa", Role.TSA), ("seal", Role.SEAL)):
        ca.enrol(store, role=role, key_name=key, common_name=f"Rogue {key}", ident="X", at=at)
    tsa = TimestampAuthority(
        key=store.get_key("tsa"), certificate=store.get_certificate("tsa"), clock=hub.clock
    )  # type: ignore[arg-type]
    forged = await sign_pdf_async(
        make_pdf(1, "Forged reply"),
        signer=signer_from_store(store, "seal", chain=(ca.certificate,)),
        field="Seal",
        timestamper=in_process(tsa),
        reason="forged",
    )
    resp = await hub.reply(number, forged, seal=False)
    problem = await resp.json()
    assert resp.status == 422 and problem["code"] == "complaint.reply_signature_invalid"
    assert "not trusted" in problem["title"]

    resp = await hub.reply(number, png_bytes(), seal=True)
    assert resp.status == 422 and (await resp.json())["code"] == "complaint.reply_not_pdf"
    assert await hub.counts() == before
    view = await (
        await hub.client.get(f"/api/complaints/{number}", headers=hub.headers["officer.wz"])
    ).json()
    assert view["state"] == "accepted"


async def test_review_asked_after_30_days_is_refused(hub: Hub) -> None:
    lodged = await hub.lodge()
    number, code = lodged["number"], lodged["query_code"]
    early = await hub.client.post(
        f"/api/self-service/complaints/{number}/review",
        json={"reason": "不满意"},
        headers={"X-Query-Code": code},
    )
    assert early.status == 409 and (await early.json())["code"] == "complaint.review_not_open"
    await hub.accept(number)
    resp = await hub.reply(number, make_pdf(1, "Reply"), seal=True)
    assert resp.status == 201
    await hub.advance(31)
    resp = await hub.client.post(
        f"/api/self-service/complaints/{number}/review",
        json={"reason": "不满意"},
        headers={"X-Query-Code": code, "Accept-Language": "zh"},
    )
    problem = await resp.json()
    assert resp.status == 409 and problem["code"] == "complaint.review_too_late"
    assert "2026-03-12" in problem["title"] and "30" in problem["title"]
    wrong_code = await hub.client.post(
        f"/api/self-service/complaints/{number}/review",
        json={"reason": "不满意"},
        headers={"X-Query-Code": "AAAAAAAA"},
    )
    assert wrong_code.status == 404
    progress = await (
        await hub.client.get(
            f"/api/self-service/complaints/{number}", headers={"X-Query-Code": code}
        )
    ).json()
    assert progress["state"] == "replied" and progress["review_answer_by"] is None
