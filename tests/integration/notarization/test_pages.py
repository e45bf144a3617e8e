"""The notarization pages in Chinese, English and Italian, and the public verification page
for a good code, an unknown code and a tampered PDF."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import aiohttp
import pytest

from tests.integration.notarization.world import ACTS, issued_act, make_world


async def _page(world: Any, path: str, lang: str, who: str | None = None, **params: str) -> str:
    headers = await world.as_(who) if who else {}
    resp = await world.hub.get(path, params={"lang": lang, **params}, headers=headers)
    text = await resp.text()
    assert resp.status == 200, text
    return text


@pytest.mark.parametrize(
    ("lang", "words"),
    [
        ("zh", ["我的公证事项", "待宣读的告知事项", "证人", "核验公证书", "电子登记簿"]),
        ("en", ["My notarial acts", "Advisements to read aloud", "witness", "Verify a notarial"]),
        ("it", ["I miei atti notarili", "Avvertenze da leggere", "testimone", "Verifica"]),
    ],
)
async def test_every_page_speaks_the_viewers_language_in_their_zone(
    aiohttp_client: Any, tmp_path: Path, lang: str, words: list[str]
) -> None:
    url = f"sqlite+aiosqlite:///{tmp_path / 'hub.sqlite3'}"
    world = await make_world(aiohttp_client, url, tmp_path)
    act = await (await world.open_act()).json()
    day = act["scheduled_at"][:10]
    pages = [
        await _page(world, "/notary", lang, "notary.wz", day=day, tz="Europe/Rome"),
        await _page(world, f"/notary/acts/{act['id']}", lang, "notary.wz"),
        await _page(world, f"/branch/notarizations/{act['id']}", lang, "clerk.milan"),
        await _page(world, f"/notarization/acts/{act['id']}", lang),
        await _page(world, "/notary/journal", lang, "notary.wz"),
        await _page(world, "/verify", lang),
    ]
    text = "\n".join(pages)
    for word in words:
        assert word in text, word
    assert act["number"] in pages[0] and "Europe/Rome" in pages[0]
    assert "agent_powers" in pages[1]  # the act's own advisements, to tick
    other = await world.hub.get(f"/notary/acts/{act['id']}", headers=await world.as_("officer.wz"))
    assert other.status == 403


async def test_public_verification_of_good_unknown_and_tampered(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    world = await make_world(aiohttp_client, db_url, tmp_path)
    act = await issued_act(world)
    code = act["verification_code"]
    good = await _page(world, "/verify", "en", code=code)
    assert "This certificate was issued" in good and act["number"] in good
    unknown = await world.hub.get("/verify", params={"code": "AAAA-BBBB-CCCC", "lang": "it"})
    assert unknown.status == 404
    assert "Nessun certificato notarile" in await unknown.text()
    api_unknown = await world.hub.get("/api/verify/AAAA-BBBB-CCCC")
    assert api_unknown.status == 404

    pdf = await (
        await world.hub.get(f"{ACTS}/{act['id']}/certificate.pdf", headers=world.base.resident)
    ).read()
    assert await _verdict(world, code, pdf) == "every signature on it is valid"
    i = pdf.index(f"({code})".encode())  # the code as printed on the certificate's face
    forged = ("2222-3333-4444" if code != "2222-3333-4444" else "5555-6666-7777").encode()
    tampered = pdf[: i + 1] + forged + pdf[i + 15 :]
    assert await _verdict(world, code, tampered) == "is NOT this certificate"
    checked = await (
        await world.hub.post(
            f"/api/verify/{code}", data=tampered, headers={"Content-Type": "application/pdf"}
        )
    ).json()
    assert checked["document"]["matches"] is False
    assert checked["document"]["signatures_valid"] is False and checked["document"]["failures"]
    not_pdf = await world.hub.post(f"/api/verify/{code}", data=b"hello")
    assert (await not_pdf.json())["document"]["verdict"] == "invalid"


async def _verdict(world: Any, code: str, pdf: bytes) -> str:
    form = aiohttp.FormData()
    form.add_field("code", code)
    form.add_field("file", pdf, filename="cert.pdf", content_type="application/pdf")
    resp = await world.hub.post("/verify?lang=en", data=form)
    html = await resp.text()
    assert resp.status == 200, html
    for verdict in ("every signature on it is valid", "is NOT this certificate"):
        if verdict in html:
            return verdict
    raise AssertionError(html)
