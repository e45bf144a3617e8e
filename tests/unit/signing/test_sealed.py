"""Sealed node↔hub messages: only the addressee reads them, only the sender signs them, once."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest
from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey
from cryptography.hazmat.primitives.asymmetric.x25519 import X25519PrivateKey

from signing.errors import Conflict, Forbidden, Invalid, SigningError
from signing.sealed import InMemoryReplayStore, open_sealed, seal

T0 = datetime(2025, 3, 1, 9, 0, tzinfo=UTC)
NODE_SIGN = Ed25519PrivateKey.generate()
HUB_BOX = X25519PrivateKey.generate()
SENDERS = {"node-milan": NODE_SIGN.public_key()}


def sealed(at: datetime = T0, text: bytes = b"application A-1 intake") -> bytes:
    return seal(
        text,
        sender="node-milan",
        sender_key=NODE_SIGN,
        recipient="hub",
        recipient_key=HUB_BOX.public_key(),
        kind="intake",
        at=at,
    )


async def open_at(
    blob: bytes,
    at: datetime = T0,
    store: InMemoryReplayStore | None = None,
    key: X25519PrivateKey = HUB_BOX,
    recipient: str = "hub",
):  # type: ignore[no-untyped-def]
    return await open_sealed(
        blob,
        recipient=recipient,
        recipient_key=key,
        sender_keys=SENDERS,
        replays=store or InMemoryReplayStore(),
        at=at,
    )


async def test_round_trip() -> None:
    blob = sealed()
    assert b"application" not in blob
    msg = await open_at(blob, T0 + timedelta(seconds=3))
    assert (msg.sender, msg.kind, msg.plaintext) == (
        "node-milan",
        "intake",
        b"application A-1 intake",
    )
    assert msg.sent_at == T0


async def test_replay_is_refused() -> None:
    store = InMemoryReplayStore()
    blob = sealed()
    await open_at(blob, T0, store)
    with pytest.raises(Conflict) as err:
        await open_at(blob, T0 + timedelta(seconds=1), store)
    assert err.value.code == "sealed.replayed"


@pytest.mark.parametrize("delta", [timedelta(minutes=6), timedelta(minutes=-6)])
async def test_outside_the_time_window_is_refused(delta: timedelta) -> None:
    with pytest.raises(Conflict) as err:
        await open_at(sealed(), T0 + delta)
    assert err.value.code == "sealed.stale"


async def test_wrong_recipient_key_or_name_is_refused() -> None:
    with pytest.raises(Invalid):
        await open_at(sealed(), key=X25519PrivateKey.generate())
    with pytest.raises(Forbidden):
        await open_at(sealed(), recipient="node-paris")


async def test_a_forged_sender_or_a_flipped_byte_is_refused() -> None:
    forged = seal(
        b"x",
        sender="node-milan",
        sender_key=Ed25519PrivateKey.generate(),
        recipient="hub",
        recipient_key=HUB_BOX.public_key(),
        kind="intake",
        at=T0,
    )
    with pytest.raises(Forbidden):
        await open_at(forged)
    blob = sealed()
    for where in (12, len(blob) // 2, len(blob) - 70, len(blob) - 1):
        flipped = bytearray(blob)
        flipped[where] ^= 0x40
        with pytest.raises(SigningError):
            await open_at(bytes(flipped))


async def test_malformed_and_unknown_version() -> None:
    with pytest.raises(Invalid):
        await open_at(b"QLSEAL\x01\x05ab")
    blob = sealed()
    with pytest.raises(Invalid) as err:
        await open_at(blob[:6] + b"\x07" + blob[7:])
    assert err.value.code == "sealed.version"
