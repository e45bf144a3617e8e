"""Pure rules of the media library: SDP checks, message schema, sampling, TURN credentials."""

from __future__ import annotations

import base64
import hashlib
import hmac
import json

import pytest

from common.clock import FixedClock
from media import (
    SamplingPolicy,
    SignallingRefused,
    TurnSettings,
    check_sdp,
    load_turn,
    parse_message,
    turn_credentials,
)
from media.errors import MediaConfigError
from media.signalling import MAX_MESSAGE_BYTES, Offer

GOOD_SDP = (
    "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\nt=0 0\r\na=group:BUNDLE 0\r\n"
    "m=audio 9 UDP/TLS/RTP/SAVPF 0\r\nc=IN IP4 0.0.0.0\r\na=mid:0\r\na=sendrecv\r\n"
    "a=rtpmap:0 PCMU/8000\r\na=ice-ufrag:abcd\r\na=ice-pwd:0123456789abcdef0123456789\r\n"
    "a=fingerprint:sha-256 " + ":".join(["AB"] * 32) + "\r\na=setup:actpass\r\n"
)


def test_a_well_formed_offer_is_accepted() -> None:
    message = parse_message(json.dumps({"type": "offer", "sdp": GOOD_SDP}))
    assert isinstance(message, Offer)
    assert check_sdp(GOOD_SDP) == GOOD_SDP


@pytest.mark.parametrize(
    "sdp",
    [
        "",
        "hello",
        "v=0\r\no=- 1 1 IN IP4 0.0.0.0\r\ns=-\r\n",  # no media
        GOOD_SDP.replace("a=mid:0", "a=mid:0\x00"),  # control character
        GOOD_SDP.replace("v=0", "v=1"),
        GOOD_SDP.replace("m=audio 9", "m=audio notaport"),
        GOOD_SDP.replace("a=ice-ufrag:abcd\r\n", ""),  # no ICE credentials
        GOOD_SDP.split("a=fingerprint")[0],  # no DTLS fingerprint
    ],
)
def test_malformed_sdp_is_refused(sdp: str) -> None:
    with pytest.raises(SignallingRefused) as refused:
        check_sdp(sdp)
    assert refused.value.code == "media.sdp_malformed"


@pytest.mark.parametrize(
    ("raw", "code"),
    [
        ("x" * (MAX_MESSAGE_BYTES + 1), "media.message_too_large"),
        ("[1, 2", "media.message_not_json"),
        (json.dumps({"type": "launch"}), "media.message_invalid"),
        (json.dumps({"type": "offer", "sdp": GOOD_SDP, "extra": 1}), "media.message_invalid"),
        (
            json.dumps({"type": "event", "event": {"kind": "caption", "text": ""}}),
            "media.message_invalid",
        ),
    ],
)
def test_bad_messages_are_refused_with_a_stable_code(raw: str, code: str) -> None:
    with pytest.raises(SignallingRefused) as refused:
        parse_message(raw)
    assert refused.value.code == code


def test_sampling_keeps_every_nth_and_at_most_k_per_second() -> None:
    policy = SamplingPolicy(every_nth=3, max_per_second=2)
    kept: list[int] = []
    last: float | None = None
    for index in range(90):  # three seconds at 30 fps
        now = index / 30
        if policy.keeps(index, now, last):
            kept.append(index)
            last = now
    assert all(i % 3 == 0 for i in kept)
    assert len(kept) == 6
    with pytest.raises(ValueError):
        SamplingPolicy(every_nth=0)


def test_turn_credentials_follow_coturn_rest_scheme(clock: FixedClock) -> None:
    username, credential = turn_credentials(b"turn-secret", "notary-li", clock)
    expiry, user = username.split(":")
    assert user == "notary-li" and int(expiry) == int(clock.now().timestamp()) + 3600
    expected = hmac.new(b"turn-secret", username.encode(), hashlib.sha1).digest()
    assert base64.b64decode(credential) == expected


def test_turn_settings_give_each_participant_expiring_credentials(
    clock: FixedClock, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("QIAOLINK_TURN_URLS", '["turn:turn.example.org:3478"]')
    monkeypatch.setenv("QIAOLINK_TURN_SECRET", "s3cret")
    turn = load_turn()
    assert "s3cret" not in repr(turn)
    [server] = turn.ice_servers("kiosk-1", clock)
    assert server.urls == ["turn:turn.example.org:3478"]
    assert server.username is not None and server.username.endswith(":kiosk-1")
    [browser] = turn.browser_ice_servers("kiosk-1", clock)
    assert browser["credential"] == server.credential


def test_no_turn_urls_means_host_candidates_only(clock: FixedClock) -> None:
    assert TurnSettings().ice_servers("x", clock) == []


def test_a_bad_turn_url_stops_the_start_naming_the_variable(
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("QIAOLINK_TURN_URLS", '["http://turn.example.org"]')
    with pytest.raises(MediaConfigError, match="QIAOLINK_TURN_URLS"):
        load_turn()
