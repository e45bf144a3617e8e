"""Lookups by a secret code share one budget of misses per address, whatever the route: an
application's progress, a mediation party's case, a complaint. A resident following their own
application with the right code is never slowed; a guesser is stopped after 30 misses a minute,
on every such route at once. A mediation case that does not exist answers exactly as a wrong
code does, so trying codes confirms no case number (findings of issue 17)."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from tests.helpers import signed_in
from tests.integration.mediation.world import PEOPLE, make_world

BUDGET = 30  # common.ratelimit.DEFAULT_POLICIES["query_code"]


async def test_guessing_codes_is_stopped_on_every_lookup_and_following_ones_own_is_not(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    world = await make_world(aiohttp_client, db_url, tmp_path)
    hub = world.hub
    clerk = await signed_in(hub, "clerk.milan", world.passwords["clerk.milan"])
    opened = await hub.post(
        "/api/applications",
        json={
            "item_code": "HR-005",
            "resident": {"name": "Hu Li", "document": "E7654321", "country": "IT"},
        },
        headers=clerk,
    )
    assert opened.status == 201
    mine = await opened.json()
    await world.open_case(PEOPLE[:2])
    officer = await world.as_("officer.wz")
    hub.session.cookie_jar.clear()  # from here on, a browser with no staff session
    own = {"X-Query-Code": mine["query_code"]}
    for _ in range(2 * BUDGET):  # the resident's page, refreshed again and again
        followed = await hub.get(f"/api/progress/{mine['number']}", headers=own)
        assert followed.status == 200

    missing = await hub.get("/api/mediation/my/WZ-20990101-000000", headers={"X-Access-Code": "X"})
    wrong = await hub.get(world.my(), headers={"X-Access-Code": "WRONGCODE"})
    assert missing.status == wrong.status == 404
    said = [await r.json() for r in (missing, wrong)]
    assert [(s["code"], s["title"]) for s in said] == [(said[1]["code"], said[1]["title"])] * 2

    guesses = [
        ("/api/progress/" + mine["number"], {"X-Query-Code": "AAAAAAAA"}),
        (world.my(), {"X-Access-Code": "BBBBBBBB"}),
        ("/api/self-service/complaints/WZ-C-20990101-0001", {"X-Query-Code": "CCCCCCCC"}),
    ]
    for n in range(BUDGET - 2):  # two misses were spent above
        path, headers = guesses[n % len(guesses)]
        assert (await hub.get(path, headers=headers)).status == 404, path
    for path, headers in guesses:
        stopped = await hub.get(path, headers=headers)
        assert stopped.status == 429, path
        assert int(stopped.headers["Retry-After"]) > 0
    # a budget spent is spent for the right code too, until the minute has passed
    assert (await hub.get(f"/api/progress/{mine['number']}", headers=own)).status == 429
    # staff are not guessing: their reach is their scope
    assert (await hub.get(f"/api/applications/{mine['number']}", headers=officer)).status == 200
