"""The resident's progress page and its rating form: the item by name, every step, what to do
next, whom to ask; a rating once the application is concluded, refused clearly otherwise, and
nothing stored from a refused form."""

from __future__ import annotations

from sqlalchemy import func, select

from common.service import DB
from hub.applications.tables import Rating
from tests.helpers import png_bytes

from .conftest import Hub

PAGE = {"Accept": "text/html"}


async def _concluded(hub: Hub) -> tuple[str, str]:
    opened = await hub.open("HR-005")
    number = opened["number"]
    for material in ("passport", "hukou"):
        assert (await hub.attach(number, material, "B", png_bytes())).status == 201
    assert (await hub.act(number, "submit", headers=hub.clerk)).status == 200
    assert (await (await hub.act(number, "accept")).json())["state"] == "forwarded"
    for target in ("in_process", "completed"):
        assert (await hub.act(number, "advance", {"target": target})).status == 200
    return number, opened["query_code"]


async def _ratings(hub: Hub) -> int:
    async with hub.client.app[DB].sessions() as session:
        return int(await session.scalar(select(func.count()).select_from(Rating)) or 0)


async def test_the_resident_reads_the_result_and_rates_it_once(hub: Hub) -> None:
    number, code = await _concluded(hub)
    page = await hub.client.get(f"/progress?number={number}&code={code}&lang=it", headers=PAGE)
    text = await page.text()
    assert "Certificato di iscrizione anagrafica" in text  # the item by name
    assert text.count("<li><time>") == 6  # draft, submitted, accepted, forwarded, …, completed
    assert "Conclusa: la sede estera Le dirà come ritirare l'esito." in text.replace("&#39;", "'")
    assert "0577" in text and "Valuti il servizio" in text
    # switching language keeps what the resident looked up
    assert f'href="?number={number}&amp;code={code}&amp;lang=zh"' in text

    form = {"number": number, "code": code, "comment": "niente livello"}
    refused = await hub.client.post("/progress/rating?lang=it", data=form, headers=PAGE)
    assert refused.status == 422 and "Scelga uno dei cinque livelli." in await refused.text()
    assert await _ratings(hub) == 0

    form |= {"level": "2", "comment": "Troppe attese"}
    sent = await hub.client.post(
        "/progress/rating?lang=it", data=form, headers=PAGE, allow_redirects=False
    )
    assert sent.status == 303
    thanks = await (await hub.client.get(sent.headers["Location"], headers=PAGE)).text()
    assert "Grazie per la Sua valutazione" in thanks and "insoddisfatto" in thanks
    assert "Troppe attese" in thanks and "L&#39;ufficio La contatterà" in thanks

    again = await hub.client.post("/progress/rating?lang=en", data=form, headers=PAGE)
    assert again.status == 409 and "already been rated" in await again.text()
    assert await _ratings(hub) == 1


async def test_no_rating_before_the_end_and_no_lookup_with_a_wrong_code(hub: Hub) -> None:
    opened = await hub.open("HR-005")
    number, code = opened["number"], opened["query_code"]
    early = await hub.client.post(
        "/progress/rating?lang=zh",
        data={"number": number, "code": code, "level": "5"},
        headers=PAGE,
    )
    assert early.status == 409 and "办结后" in await early.text()
    wrong = await hub.client.get(f"/progress?number={number}&code=NOPE1234&lang=en", headers=PAGE)
    assert wrong.status == 404
    assert "No application with this number and query code." in await wrong.text()
    assert await _ratings(hub) == 0
