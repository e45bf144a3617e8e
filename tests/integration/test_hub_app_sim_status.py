"""The platform simulator's status page speaks the viewer's language: no status key or fault
switch is shown bare."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from markupsafe import escape

from common.i18n import translate
from govnet_sim.routes import FAULT_LABELS, STATUS_LABELS
from tests.govnet_support import simulator


@pytest.mark.parametrize("lang", ["zh", "en", "it"])
async def test_status_page_names_statuses_and_faults_in_the_viewers_language(
    aiohttp_client: Any, tmp_path: Path, lang: str
) -> None:
    sim = await simulator(f"sqlite+aiosqlite:///{tmp_path}/p.sqlite3", tmp_path)
    client = await aiohttp_client(sim)
    html = await (await client.get(f"/status?lang={lang}", headers={"Accept": "text/html"})).text()
    for label in [*STATUS_LABELS.values(), *FAULT_LABELS.values()]:
        assert str(escape(translate(lang, label))) in html
    assert "<td>in_process</td>" not in html and "<td>received</td>" not in html
    # the switch's own name stays beside its label, marked as data for the reader
    assert '<code translate="no">error_rate</code>' in html
