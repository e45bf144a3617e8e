"""A power of attorney notarized end to end over HTTP: booking, identity, session,
advisements, resident, witness, notary and seal; then the certificate verifies everywhere
and the journal and archive hold the act."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

from signing.cli_verify import main as verify_main
from signing.cli_verify import verify_audit_proof
from tests.integration.notarization.world import ACTS, make_world

ADVISEMENTS = ["truthfulness", "recording", "agent_powers", "revocation"]


async def test_power_of_attorney_from_booking_to_verified_certificate(
    aiohttp_client: Any, db_url: str, tmp_path: Path, capsys: Any
) -> None:
    world = await make_world(aiohttp_client, db_url, tmp_path)
    hub = world.hub
    opened = await world.open_act()
    assert opened.status == 201, await opened.text()
    act = await opened.json()
    assert act["state"] == "booked" and act["notary"] == "notary.wz"
    assert act["fee_cents"] == 30000 and act["bilingual"] is False

    await world.to_session(act["id"], act["number"])
    await world.read_all(act["id"], ADVISEMENTS)
    presented = await world.notary(act["id"], "present")
    assert presented.status == 200, await presented.text()
    act = await presented.json()
    assert act["state"] == "presented" and all(a["read"] for a in act["advisements"])

    status = await (await hub.get(f"{ACTS}/{act['id']}/status", headers=world.base.resident)).json()
    await world.resident_signs(status["signing_request_id"], status["document_sha256"])
    witnessed = await world.witness(act["id"])
    assert witnessed.status == 200, await witnessed.text()
    issued = await world.notary(act["id"], "issue")
    assert issued.status == 200, await issued.text()
    act = await issued.json()
    assert act["state"] == "issued" and act["witness"] == "clerk.milan"

    pdf = await (
        await hub.get(f"{ACTS}/{act['id']}/certificate.pdf", headers=world.base.resident)
    ).read()
    seen = await hub.get(f"{ACTS}/{act['id']}", headers=await world.as_("notary.wz"))
    assert (await seen.json())["current_sha256"] == act["certificate_sha256"]
    typed = act["verification_code"].lower().replace("-", " ")  # as someone might type it
    public = await (await hub.get(f"/api/verify/{typed}")).json()
    assert (
        public["number"] == act["number"]
        and public["certificate_sha256"] == act["certificate_sha256"]
    )
    checked = await (
        await hub.post(
            f"/api/verify/{public['verification_code']}",
            data=pdf,
            headers={"Content-Type": "application/pdf"},
        )
    ).json()
    assert checked["document"]["verdict"] == "valid", checked
    assert checked["document"]["roles"] == ["resident", "clerk", "notary", "seal"]

    (tmp_path / "cert.pdf").write_bytes(pdf)
    (tmp_path / "ca.pem").write_bytes(await (await hub.get("/api/pki/ca.pem")).read())
    args = ["pdf", str(tmp_path / "cert.pdf"), "--trust", str(tmp_path / "ca.pem")]
    assert await asyncio.to_thread(verify_main, args) == 0
    assert "VERDICT: VALID" in capsys.readouterr().out
    pdfsig = shutil.which("pdfsig")
    assert pdfsig is not None, "poppler-utils: scripts/system-deps.sh installs it"
    run = await asyncio.create_subprocess_exec(
        pdfsig, str(tmp_path / "cert.pdf"), stdout=asyncio.subprocess.PIPE
    )
    out = (await asyncio.wait_for(run.communicate(), 60))[0].decode()
    assert out.count("Signature Validation: Signature is Valid.") == 4, out
    assert "OU=clerk" in out and "OU=notary" in out and "OU=seal" in out

    journal = await (
        await hub.get("/api/notary/journal", headers=await world.as_("notary.wz"))
    ).json()
    [entry] = journal["entries"]
    assert entry["outcome"] == "issued" and entry["fee_cny"] == "300.00"
    assert entry["identity_attempt"] == "att-1" and entry["witness"] == "clerk.milan"
    assert entry["certificate_sha256"] == act["certificate_sha256"]

    archive = await (
        await hub.get(f"{ACTS}/{act['id']}/archive", headers=await world.as_("auditor.wz"))
    ).json()
    assert archive["identity_decision"]["decision"]["attempt_id"] == "att-1"
    assert archive["recording"]["kind"] == "notarization"
    assert [c["action"] for c in archive["consents"]] == [
        "signature.consent_requested",
        "signature.resident_signed",
    ]
    proofs = archive["audit_proofs"]
    actions = [p["action"] for p in proofs]
    assert "notarization.issued" in actions and "signature.witnessed" in actions
    key = bytes.fromhex(archive["log_key"])
    assert all(verify_audit_proof(p, key)[0] for p in proofs)
