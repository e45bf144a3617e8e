"""Three parties — in Milan, in Madrid and at home in Wencheng — and an interpreter meet the
invited overseas mediator in one recorded session, sign the agreement, and the court gets a
package whose manifest and every proof verify offline; a changed file fails, named."""

from __future__ import annotations

import asyncio
from pathlib import Path
from typing import Any

from cryptography import x509

from signing.cli_verify import main as verify_main
from signing.package import verify_package
from tests.integration.media.loopback import join_over, until
from tests.integration.mediation.world import PEOPLE, World, make_world, replace_member


async def _meet(world: World) -> str:
    """A multi-party session with real WebRTC peers for a few seconds; returns its id."""
    opened = await world.mediator("POST", "/sessions", {"kind": "mediation"})
    assert opened.status == 201, await opened.text()
    doc = await opened.json()
    invited = doc["invitations"]
    assert {i["role"] for i in invited} == {"mediator", "resident"} and len(invited) == 5
    peers = []
    for shade, invitation in enumerate(invited[:4]):  # the mediator and the three parties
        peers.append(
            await join_over(
                world.hub, invitation["signal"], invitation["participant"], shade=40 * shade
            )
        )
    try:
        mediator = peers[0]
        await until(
            lambda: (
                all(mediator.frames_from(p.name) > 10 for p in peers[1:])
                and peers[1].frames_from(mediator.name) > 10
            ),
            within=40,
        )
        await asyncio.sleep(1.0)
        ended = await world.mediator("POST", f"/sessions/{doc['session_id']}/end")
        assert ended.status == 200, await ended.text()
    finally:
        for peer in peers:
            await asyncio.wait_for(peer.leave(), 10)
    return str(doc["session_id"])


async def test_three_parties_settle_and_the_package_verifies_offline(
    aiohttp_client: Any, db_url: str, tmp_path: Path, capsys: Any
) -> None:
    world = await make_world(aiohttp_client, db_url, tmp_path)
    case = await world.open_case()
    assert case["state"] == "open" and case["mediator_office"] == "MIL"
    await world.consent_all()
    for pid in world.ids[:3]:
        await world.enrol(pid)
    session_id = await _meet(world)
    note = await world.mediator(
        "POST", "/notes", {"text": "Both sides accept a partial refund.", "session": session_id}
    )
    assert note.status == 201, await note.text()

    drafted = await world.mediator(
        "POST",
        "/agreement",
        {"terms": ["房东于2026年3月31日前退还押金15000元。", "Each party bears its own costs."]},
    )
    assert drafted.status == 201, await drafted.text()
    agreement = (await drafted.json())["documents"][-1]
    assert agreement["kind"] == "agreement" and "Sofia Rossi" in agreement["text"]
    for pid, person in zip(world.ids[:3], PEOPLE, strict=False):
        signed = await world.sign_as_party(pid, agreement["id"], person)
        assert signed.status == 200, await signed.text()
        assert (await signed.json())["state"] == "signing"
    sealed = await world.mediator("POST", f"/documents/{agreement['id']}/sign")
    assert sealed.status == 200, await sealed.text()
    assert (await sealed.json())["state"] == "sealed"
    shown = await (await world.mediator("GET", "")).json()
    assert shown["state"] == "settled" and shown["documents"][-1]["complete"] is True

    built = await world.mediator("POST", "/package")
    assert built.status == 201, await built.text()
    package = await (
        await world.hub.get(world.path("/package"), headers=await world.as_("auditor.wz"))
    ).read()
    ca_pem = await (await world.hub.get("/api/pki/ca.pem")).read()
    roots = [x509.load_pem_x509_certificate(ca_pem)]
    verdict = await asyncio.to_thread(verify_package, package, trust_roots=roots)
    assert verdict.ok, verdict.failures
    subjects = {c.subject for c in verdict.checks}
    assert {"manifest.json", "agreement/agreement.pdf", "audit/proofs.json"} <= subjects
    assert sum(s.startswith("identity/") for s in subjects) == 3
    assert sum(s.startswith("consents/") for s in subjects) == 3
    assert any(
        s.startswith(f"recordings/{session_id}/") and s.endswith(".manifest.json") for s in subjects
    )

    (tmp_path / "package.zip").write_bytes(package)
    (tmp_path / "ca.pem").write_bytes(ca_pem)
    args = ["package", str(tmp_path / "package.zip"), "--trust", str(tmp_path / "ca.pem")]
    assert await asyncio.to_thread(verify_main, args) == 0
    assert "VERDICT: VALID" in capsys.readouterr().out

    changed = replace_member(
        package, "agreement/agreement.txt", lambda b: b.replace(b"15000", b"25000")
    )
    (tmp_path / "changed.zip").write_bytes(changed)
    args[1] = str(tmp_path / "changed.zip")
    assert await asyncio.to_thread(verify_main, args) == 1
    out = capsys.readouterr().out
    assert "agreement/agreement.txt: its SHA-256 differs from the manifest" in out
    assert "VERDICT: INVALID" in out
    recording = next(s for s in subjects if s.endswith(".qlenv"))
    flipped = replace_member(package, recording, lambda b: b[:-1] + bytes([b[-1] ^ 1]))
    failures = (await asyncio.to_thread(verify_package, flipped, trust_roots=roots)).failures
    assert any(f.startswith(recording) for f in failures), failures
    auditor = await world.as_("auditor.wz")
    for lang, word in (("zh", "有效"), ("en", "Valid: the manifest"), ("it", "Valido")):
        page = await world.hub.get(f"/mediation/audit/{world.number}?lang={lang}", headers=auditor)
        assert page.status == 200 and word in await page.text()
    code = world.codes[world.ids[2]]
    mine = await world.hub.get(f"/mediation/my?number={world.number}&code={code}&lang=it")
    text = await mine.text()
    assert mine.status == 200 and "Conciliato con accordo" in text and "Li Qiang 李强" in text
    stranger = await world.hub.get(f"/mediation/my?number={world.number}&code=WRONG234&lang=en")
    assert stranger.status == 404 and "No such case with this access code." in await stranger.text()
