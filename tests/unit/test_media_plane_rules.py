"""Pure rules of the media plane: who may post which event, when a token admits, the settings
that choose the plane, and the names of Janus's recordings."""

from __future__ import annotations

from datetime import timedelta

import pytest

from common.clock import FixedClock
from media.config import MediaPlaneSettings
from media.errors import MediaConfigError
from media.events import EventRefused, check_may_post, parse_event
from media.janus.recording import parse_mjr_name
from media.tokens import TokenIssuer, TokenRejected

EVENTS = {
    "show_page": '{"kind": "show_page", "document_id": "poa", "page": 2}',
    "request_signature": '{"kind": "request_signature", "document_id": "poa", "signer": "wang"}',
    "consent_prompt": '{"kind": "consent_prompt", "prompt_id": "p1", "text": "同意录音吗？"}',
    "consent_answer": '{"kind": "consent_answer", "prompt_id": "p1", "given": true}',
    "caption": '{"kind": "caption", "text": "Buongiorno", "lang": "it"}',
}
# role -> the kinds it may post; everything else is refused
ALLOWED = {
    "notary": {"show_page", "request_signature", "consent_prompt", "caption"},
    "mediator": {"show_page", "request_signature", "consent_prompt", "caption"},
    "officer": {"show_page", "consent_prompt", "caption"},
    "resident": {"consent_answer", "caption"},
    "node": {"consent_answer", "caption"},
    "auditor": set(),
}


@pytest.mark.parametrize("role", sorted(ALLOWED))
def test_each_role_posts_only_the_event_kinds_its_row_allows(role: str) -> None:
    for kind, raw in EVENTS.items():
        event = parse_event(raw)
        if kind in ALLOWED[role]:
            check_may_post(role, event)
            continue
        with pytest.raises(EventRefused) as refused:
            check_may_post(role, event)
        assert refused.value.code == "media.event_not_allowed"
        assert refused.value.status == 403 and refused.value.params == {"kind": kind}


def test_a_token_admits_a_first_join_for_its_ttl_and_a_rejoin_while_the_session_runs() -> None:
    clock = FixedClock()
    issuer = TokenIssuer(b"s" * 32, clock, ttl=timedelta(minutes=10))
    token = issuer.issue("s1", "resident", "wang")
    clock.advance(timedelta(minutes=40))
    with pytest.raises(TokenRejected) as expired:
        issuer.verify(token, "s1")
    assert expired.value.code == "media.token_expired"
    assert issuer.verify(token, "s1", rejoin=lambda c: c.participant == "wang").role == "resident"
    with pytest.raises(TokenRejected):
        issuer.verify(token, "s1", rejoin=lambda c: False)  # the session ended, or never joined
    with pytest.raises(TokenRejected) as other:
        issuer.verify(token, "s2", rejoin=lambda c: True)  # a rejoin is into its own session
    assert other.value.code == "media.token_wrong_session"


def test_the_plane_is_the_relay_unless_janus_instances_are_named(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    from media.config import load_media_plane

    assert MediaPlaneSettings().janus_urls == []
    monkeypatch.setenv("QIAOLINK_MEDIA_JANUS_URLS", '["http://10.0.0.5:8088/janus/"]')
    assert load_media_plane().janus_urls == ["http://10.0.0.5:8088/janus"]
    monkeypatch.setenv("QIAOLINK_MEDIA_JANUS_URLS", '["ws://10.0.0.5:8188"]')
    with pytest.raises(MediaConfigError, match="QIAOLINK_MEDIA_JANUS_URLS"):
        load_media_plane()


def test_janus_recording_names_say_room_feed_and_kind() -> None:
    assert parse_mjr_name("videoroom-77-user-3-1796279517171907-video-1.mjr") == (77, 3, "video")
    assert parse_mjr_name("videoroom-77-user-3-1796279517171802-audio-0.mjr") == (77, 3, "audio")
    assert parse_mjr_name("videoroom-77-user-3-1796279517171802-data-2.mjr") is None
    assert parse_mjr_name("s1-003-wang-video.webm") is None
