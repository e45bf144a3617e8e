"""The hub's RFC 3161 endpoint, called by pyHanko's own HTTP client, chains to the hub CA."""

from __future__ import annotations

import hashlib
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import pytest
from asn1crypto import core, tsp
from cryptography import x509
from pyhanko.sign.timestamps import HTTPTimeStamper
from pyhanko.sign.validation.generic_cms import validate_tst_signed_data
from pyhanko_certvalidator import ValidationContext

from common.clock import FixedClock
from hub.pki import PKI
from signing.ca import to_asn1
from signing.pades import sign_pdf_async
from signing.verify import validate_pdf_async
from tests.helpers import service_app
from tests.signing_support.pdfs import make_pdf

NOW = datetime.now(UTC).replace(microsecond=0)


@pytest.fixture
async def hub(aiohttp_client: Any, tmp_path: Path) -> Any:
    app, _db = await service_app(
        "hub", f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite3'}", tmp_path, clock=FixedClock(NOW)
    )
    return await aiohttp_client(app)


async def test_pyhanko_http_client_gets_a_trusted_token(hub: Any) -> None:
    ca = x509.load_pem_x509_certificate(await (await hub.get("/api/pki/ca.pem")).read())
    digest = hashlib.sha256(b"power of attorney").digest()
    stamper = HTTPTimeStamper(str(hub.make_url("/api/tsa")))
    token = await stamper.async_timestamp(digest, "sha256")
    signed_data = token["content"]
    tst = signed_data["encap_content_info"]["content"].parsed
    assert tst["gen_time"].native == NOW  # the hub's clock
    context = ValidationContext(trust_roots=[to_asn1(ca)], allow_fetching=False, moment=NOW)
    status = await validate_tst_signed_data(signed_data, context, lambda _algo: digest)
    assert status["intact"] and status["valid"] and status["trust_problem_indic"] is None
    signer = status["signing_cert"].subject.native
    assert signer["common_name"] == "Qiaolink Hub TSA"


async def test_a_pdf_timestamped_over_http_validates(hub: Any) -> None:
    pki = hub.app[PKI]
    signed = await sign_pdf_async(
        make_pdf(),
        signer=pki.seal_signer(),
        field="Seal",
        timestamper=HTTPTimeStamper(str(hub.make_url("/api/tsa"))),
        reason="Sealed",
    )
    status = await validate_pdf_async(signed, trust_roots=pki.trust_roots, at=NOW)
    assert status.ok, status
    assert status.signatures[0].timestamped_at == NOW


async def test_wrong_content_type_is_refused(hub: Any) -> None:
    resp = await hub.post("/api/tsa", data=b"x", headers={"Content-Type": "application/json"})
    assert resp.status == 415
    assert (await resp.json())["code"] == "tsa.content_type"


async def test_a_malformed_query_gets_a_rejection_reply(hub: Any) -> None:
    resp = await hub.post(
        "/api/tsa",
        data=b"\x30\x03\x02\x01",
        headers={"Content-Type": "application/timestamp-query"},
    )
    assert resp.status == 200 and resp.content_type == "application/timestamp-reply"
    reply = core.Sequence.load(await resp.read())
    status = tsp.PKIStatusInfo.load(reply[0].dump()).native
    assert status["status"] == "rejection" and "bad_data_format" in status["fail_info"]


async def test_an_oversized_query_is_refused(hub: Any) -> None:
    resp = await hub.post(
        "/api/tsa", data=b"\x00" * 9000, headers={"Content-Type": "application/timestamp-query"}
    )
    assert resp.status == 413
