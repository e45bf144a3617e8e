"""Remote evidence-taking (远程视频取证): a recorded session with the witness, then a statement the
witness signs and the hub seals; the recording is sealed by the hub seal and encrypted at rest."""

from __future__ import annotations

import asyncio
import hashlib
from pathlib import Path
from typing import Any

from cryptography import x509

from signing.verify import validate_pdf_async
from tests.helpers import open_sealed_recording
from tests.integration.media.loopback import join_over, until
from tests.integration.mediation.world import PEOPLE, make_world


async def test_an_evidence_session_gives_a_sealed_recording_and_a_signed_statement(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    world = await make_world(aiohttp_client, db_url, tmp_path)
    await world.open_case(PEOPLE[:2])
    witness = world.ids[0]
    refused = await world.mediator("POST", "/sessions", {"kind": "evidence", "witness": witness})
    assert refused.status == 409 and (await refused.json())["code"] == "mediation.consent_missing"
    await world.consent_all()
    await world.enrol(witness)
    opened = await world.mediator("POST", "/sessions", {"kind": "evidence", "witness": witness})
    assert opened.status == 201, await opened.text()
    doc = await opened.json()
    invited = {i["participant"]: i for i in doc["invitations"]}
    assert set(invited) == {"mediator-mediator-milan", f"p{witness}"}  # the other party stays out
    peers = [
        await join_over(world.hub, i["signal"], name, shade=60 * n)
        for n, (name, i) in enumerate(invited.items())
    ]
    try:
        await until(
            lambda: (
                peers[0].frames_from(peers[1].name) > 10
                and peers[1].frames_from(peers[0].name) > 10
            ),
            within=30,
        )
        ended = await world.mediator("POST", f"/sessions/{doc['session_id']}/end")
        assert ended.status == 200, await ended.text()
    finally:
        for peer in peers:
            await asyncio.wait_for(peer.leave(), 10)

    statement = await world.mediator(
        "POST",
        "/statements",
        {
            "session": doc["session_id"],
            "statement": "I paid the deposit of 20,000 yuan in cash on 1 March 2024.",
        },
    )
    assert statement.status == 201, await statement.text()
    written = (await statement.json())["documents"][-1]
    assert written["kind"] == "statement" and "20,000 yuan" in written["text"]
    other = await world.hub.get(
        world.my(f"/documents/{written['id']}"), headers=world.party(world.ids[1])
    )
    assert other.status == 404  # the other party does not see the witness's statement
    signed = await world.sign_as_party(witness, written["id"], PEOPLE[0])
    assert signed.status == 200, await signed.text()
    assert (await signed.json())["state"] == "sealed"  # the witness, then at once the hub seal

    pdf = await (
        await world.hub.get(world.my(f"/documents/{written['id']}"), headers=world.party(witness))
    ).read()
    ca = x509.load_pem_x509_certificate(await (await world.hub.get("/api/pki/ca.pem")).read())
    status = await validate_pdf_async(pdf, trust_roots=[ca], at=world.clock.now())
    assert status.ok, status
    assert status.signer_roles() == ["resident", "seal"]
    assert status.signatures[0].signer == PEOPLE[0]["name"]

    session = await (
        await world.hub.get(
            f"/api/sessions/{doc['session_id']}", headers=await world.as_("auditor.wz")
        )
    ).json()
    assert session["kind"] == "evidence" and session["segments"]
    last = session["segments"][-1]
    plain, failures = open_sealed_recording(tmp_path / "hub", doc["session_id"], last["file"])
    assert failures == [] and hashlib.sha256(plain).hexdigest() == last["sha256"]
