"""When the branch's recording of a session disagrees with the hub's, the notary's act page and
the mediator's case page say so, on which segment, in the viewer's language; an agreeing or
unchecked session shows no warning."""

from __future__ import annotations

from pathlib import Path
from typing import Any

from common.audit import record
from common.service import DB
from hub.db import audit_events
from hub.sessions.service import subject
from tests.integration.mediation.world import make_world as make_mediation_world
from tests.integration.notarization.world import make_world as make_notary_world

WARNINGS = {
    "en": "on segment 1, 3; both manifests are in the audit log",
    "zh": "在第 1, 3 段不一致",
    "it": "non concorda con quella del centro sul segmento 1, 3;",
}


async def disagree(app: Any, session_id: str, at: Any) -> None:
    """What the hub's cross-check records when segments 1 and 3 differ (hub/sessions/crosscheck)."""
    differs = [
        {"index": i, "branch": "a" * 64, "hub": "b" * 64, "why": "hash_differs"} for i in (3, 1)
    ]
    async with app[DB].transaction() as tx:
        await record(
            tx,
            audit_events,
            at=at,
            actor="recorder",
            action="media.recordings_disagree",
            subject=subject(session_id),
            detail={"branch": "MIL", "agree": False, "disagreements": differs},
        )


async def pages(client: Any, path: str, headers: dict[str, str]) -> dict[str, str]:
    shown = {}
    for lang in WARNINGS:
        resp = await client.get(path, params={"lang": lang}, headers=headers)
        shown[lang] = await resp.text()
        assert resp.status == 200, shown[lang]
    return shown


async def test_the_act_page_warns_of_a_recording_the_branch_and_hub_disagree_on(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    world = await make_notary_world(aiohttp_client, db_url, tmp_path)
    act = await (await world.open_act()).json()
    assert (await world.identify(act["id"])).status == 200
    session_id = await world.video_session(act["number"])
    attached = await world.notary(act["id"], "session", {"video_session_id": session_id})
    assert attached.status == 200, await attached.text()
    notary = await world.as_("notary.wz")
    path = f"/notary/acts/{act['id']}"
    before = await pages(world.hub, path, notary)
    assert not any(WARNINGS[lang] in text for lang, text in before.items())
    await disagree(world.hub.app, session_id, world.base.clock.now())
    after = await pages(world.hub, path, notary)
    for lang, text in after.items():
        assert WARNINGS[lang] in text, lang
        assert 'role="alert"' in text


async def test_the_case_page_warns_of_a_recording_the_branch_and_hub_disagree_on(
    aiohttp_client: Any, db_url: str, tmp_path: Path
) -> None:
    world = await make_mediation_world(aiohttp_client, db_url, tmp_path)
    await world.open_case()
    await world.consent_all()
    await world.hold_empty_session()  # one the branch agreed on, or never checked
    flagged = await world.hold_empty_session()
    mediator = await world.as_("mediator.milan")
    path = f"/mediation/cases/{world.number}"
    before = await pages(world.hub, path, mediator)
    assert not any(WARNINGS[lang] in text for lang, text in before.items())
    await disagree(world.hub.app, flagged, world.clock.now())
    after = await pages(world.hub, path, mediator)
    for lang, text in after.items():
        assert text.count(WARNINGS[lang]) == 1, lang  # on the flagged session only
        assert 'role="alert"' in text
