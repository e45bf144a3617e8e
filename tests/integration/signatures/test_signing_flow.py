"""A resident signs (face decision from the node + one-time code), the assigned notary signs,
the hub seals; our validator, ``qiaolink verify pdf`` and poppler's ``pdfsig`` accept it."""

from __future__ import annotations

import asyncio
import shutil
from pathlib import Path
from typing import Any

from cryptography import x509
from sqlalchemy import select

from common.service import DB
from hub.db import audit_events
from signing.cli_verify import main as verify_main
from signing.verify import validate_pdf_async
from tests.integration.signatures.world import make_world


async def test_resident_notary_seal_and_every_verifier_agrees(
    aiohttp_client: Any, db_url: str, tmp_path: Path, capsys: Any
) -> None:
    world = await make_world(aiohttp_client, db_url, tmp_path)
    hub = world.hub
    req = await world.request()
    opened = await world.challenge(req["id"])
    assert opened.status == 200, await opened.text()
    assert (await opened.json())["document_sha256"] == req["document_sha256"]
    signed = await world.sign(req["id"], req["document_sha256"])
    assert signed.status == 200, await signed.text()
    assert (await signed.json())["state"] == "resident_signed"

    notary = await hub.post(
        f"/api/signatures/requests/{req['id']}/notary", headers=await world.as_("notary.wz")
    )
    assert notary.status == 200, await notary.text()
    sealed = await hub.post(
        f"/api/signatures/requests/{req['id']}/seal", headers=await world.as_("officer.wz")
    )
    assert sealed.status == 200, await sealed.text()
    assert (await sealed.json())["state"] == "sealed"

    pdf = await (
        await hub.get(f"/api/signatures/requests/{req['id']}/document", headers=world.resident)
    ).read()
    ca_pem = await (await hub.get("/api/pki/ca.pem")).read()
    status = await validate_pdf_async(
        pdf, trust_roots=[x509.load_pem_x509_certificate(ca_pem)], at=world.clock.now()
    )
    assert status.ok, status
    assert status.signer_roles() == ["resident", "notary", "seal"]
    assert status.signatures[0].signer == "Hu Xiaoming 胡小明"

    (tmp_path / "doc.pdf").write_bytes(pdf)
    (tmp_path / "ca.pem").write_bytes(ca_pem)
    args = ["pdf", str(tmp_path / "doc.pdf"), "--trust", str(tmp_path / "ca.pem")]
    assert await asyncio.to_thread(verify_main, args) == 0  # a command: it runs its own loop
    assert "VERDICT: VALID" in capsys.readouterr().out

    pdfsig = shutil.which("pdfsig")
    assert pdfsig is not None, "poppler-utils: scripts/system-deps.sh installs it"
    run = await asyncio.create_subprocess_exec(
        pdfsig, str(tmp_path / "doc.pdf"), stdout=asyncio.subprocess.PIPE
    )
    out = (await asyncio.wait_for(run.communicate(), 60))[0].decode()
    assert out.count("Signature Validation: Signature is Valid.") == 3, out
    assert "serialNumber=resident:E1234567" in out and "OU=notary" in out and "OU=seal" in out

    async with hub.app[DB].transaction() as session:
        actions = (await session.scalars(select(audit_events.c.action))).all()
    for action in (
        "signature.requested",
        "signature.consent_requested",
        "signature.resident_signed",
        "signature.notarized",
        "signature.sealed",
    ):
        assert action in actions
