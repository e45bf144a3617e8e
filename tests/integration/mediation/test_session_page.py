"""The session page of a mediation case names everyone by name and role, in the viewer's
language, and gives each viewer their next step; a forged invitation opens nothing."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from tests.integration.mediation.world import make_world


def _config(html: str) -> dict[str, Any]:
    found = re.search(
        r'<script type="application/json" id="media-config">(.*?)</script>', html, re.S
    )
    assert found, "the page carries no media configuration"
    return dict(json.loads(found.group(1)))


async def test_the_session_page_names_the_people_with_their_roles(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    world = await make_world(aiohttp_client, db_url, tmp_path)
    await world.open_case()
    await world.consent_all()
    opened = await world.mediator("POST", "/sessions", {"kind": "mediation"})
    assert opened.status == 201, await opened.text()
    invitations = (await opened.json())["invitations"]
    mediator, interpreter = invitations[0], invitations[-1]
    assert interpreter["name"] == "Sofia Rossi"

    page = await world.hub.get(f"{interpreter['page']}&lang=it")
    assert page.status == 200, await page.text()
    html = await page.text()
    people = _config(html)["people"]
    assert people[interpreter["participant"]] == {"name": "Sofia Rossi", "role": "Interprete"}
    assert people[mediator["participant"]]["role"] == "Mediatore"
    assert sorted(p["role"] for p in people.values()).count("Parte") == 3
    assert f"Caso di mediazione {world.number}" in html
    assert "quando il mediatore chiude la sessione" in html.lower()
    assert f"/mediation/cases/{world.number}" not in html  # the case page is the mediator's

    desk = await world.hub.get(f"{mediator['page']}&lang=zh")
    assert desk.status == 200
    assert f'href="/mediation/cases/{world.number}?lang=zh"' in await desk.text()

    forged = await world.hub.get(
        f"/mediation/session?session={opened_id(invitations)}&token=forged&lang=it"
    )
    assert forged.status == 404
    assert "Caso di mediazione" not in await forged.text()


def opened_id(invitations: list[dict[str, Any]]) -> str:
    return invitations[0]["page"].split("session=")[1].split("&")[0]
