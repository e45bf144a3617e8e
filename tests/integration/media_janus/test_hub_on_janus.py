"""The hub's sessions on Janus through its real app: Janus forwards and records, the hub seals
the named streams, and ``qiaolink verify recording`` says whose stream is whose."""

from __future__ import annotations

import json
import os
import signal
from pathlib import Path
from typing import Any

import pytest
from aiohttp.test_utils import TestClient
from cryptography.hazmat.primitives import serialization
from sqlalchemy import select

from common.cli import main
from common.clock import SystemClock
from common.service import DB
from hub.db import audit_events
from hub.seal import HubSeal
from tests.janus_support import JanusSite

from ..media.loopback import Party, join_over, until
from ..media.test_hub_sessions import hub_client, open_session, snapshot_then_end


@pytest.fixture
async def client(
    site: JanusSite, aiohttp_client: Any, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> TestClient:
    """The hub on ``site``'s Janus (set up first, so it stops after the app)."""
    monkeypatch.setenv("QIAOLINK_MEDIA_JANUS_URLS", json.dumps(site.urls))
    monkeypatch.setenv("QIAOLINK_MEDIA_JANUS_TIMEOUT_S", "3")
    return await hub_client(aiohttp_client, f"sqlite+aiosqlite:///{tmp_path / 'h.db'}", tmp_path)


async def both_in(client: TestClient) -> tuple[str, Party, Party]:
    opened = await open_session(client)
    by_name = {i["participant"]: i for i in opened["invitations"]}
    notary = await join_over(client, by_name["notary-li"]["signal"], "notary-li")
    node = await join_over(client, by_name["milan-node"]["signal"], "milan-node", shade=90)
    await until(
        lambda: notary.frames_from("milan-node") > 20 and node.frames_from("notary-li") > 20
    )
    return opened["session_id"], notary, node


def verify(manifest: Path, trust: Path, capsys: pytest.CaptureFixture[str]) -> tuple[int, str]:
    code = main(["verify", "recording", str(manifest), "--trust", str(trust)])
    return code, capsys.readouterr().out


async def test_janus_records_every_stream_named_and_verify_refuses_a_flip_or_a_rename(
    client: TestClient, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    session_id, notary, node = await both_in(client)
    try:
        assert notary.peer.messages[0]["plane"] == "janus"
        found = await snapshot_then_end(client, session_id, "milan-node")
    finally:
        await notary.leave()
        await node.leave()
    tracks = sorted(t for s in found["segments"] for t in s["tracks"])
    assert tracks == ["milan-node/audio", "milan-node/video", "notary-li/audio", "notary-li/video"]

    folder = tmp_path / "recordings" / session_id
    manifest = folder / f"{session_id}-streams.manifest.json"
    trust = tmp_path / "hub-ca.pem"
    ca = HubSeal.open(tmp_path, SystemClock()).ca.certificate
    trust.write_bytes(ca.public_bytes(serialization.Encoding.PEM))
    code, out = verify(manifest, trust, capsys)
    assert code == 0, out
    assert "milan-node (node) video" in out and "notary-li (notary) audio" in out
    assert not list(folder.glob("*.mjr")) and not list(folder.glob("*.webm"))

    streams = json.loads(manifest.read_text())["streams"]
    video = folder / next(s["file"]["name"] for s in streams if s["kind"] == "video")
    original = video.read_bytes()
    flipped = bytearray(original)
    flipped[len(flipped) // 2] ^= 0x01
    video.write_bytes(bytes(flipped))
    code, out = verify(manifest, trust, capsys)
    assert code != 0 and "SHA-256 differs" in out
    video.write_bytes(original)

    # renaming: one party's file under the other's name, or the manifest saying so
    other = folder / next(
        s["file"]["name"]
        for s in streams
        if s["kind"] == "video" and folder / s["file"]["name"] != video
    )
    video.rename(tmp_path / "aside")
    other.rename(video)
    code, out = verify(manifest, trust, capsys)
    assert code != 0 and "no file of this name" in out
    video.rename(other)
    (tmp_path / "aside").rename(video)
    assert verify(manifest, trust, capsys)[0] == 0
    doc = json.loads(manifest.read_text())
    doc["streams"][0]["participant"], doc["streams"][-1]["participant"] = (
        doc["streams"][-1]["participant"],
        doc["streams"][0]["participant"],
    )
    manifest.write_text(json.dumps(doc))
    code, out = verify(manifest, trust, capsys)
    assert code != 0 and "signature does not verify" in out


async def test_janus_down_is_a_clear_error_to_the_page_and_the_audit_log(
    client: TestClient, site: JanusSite
) -> None:
    opened = await open_session(client)
    os.kill(site.pids[0], signal.SIGKILL)
    notary = await join_over(client, opened["invitations"][0]["signal"], "notary-li")
    try:
        await until(lambda: notary.sent("error"), within=15)
        assert notary.sent("error")[0]["code"] == "media.plane_unavailable"
    finally:
        await notary.leave()
    assert await failures_audited(client, opened["session_id"]) == ["media.plane_unavailable"]


async def failures_audited(client: TestClient, session_id: str) -> list[str]:
    async with client.app[DB].transaction() as tx:
        rows = await tx.execute(
            select(audit_events.c.entry)
            .where(audit_events.c.subject == f"video_session:{session_id}")
            .where(audit_events.c.action == "media.plane_failed")
        )
        return sorted({json.loads(e)["detail"]["code"] for e in rows.scalars()})
