"""Envelope encryption: per-office keys, rotation without re-encryption, clear refusals."""

from __future__ import annotations

import pytest

from signing.envelope import KekRing, decrypt, encrypt, parse, rewrap
from signing.errors import Invalid, NotFound

DOC = b"%PDF-1.7 power of attorney for buying a home" * 50


def ring() -> KekRing:
    r = KekRing()
    r.rotate("milan")
    r.rotate("wencheng")
    return r


def test_round_trip_and_the_blob_names_its_key() -> None:
    r = ring()
    blob = encrypt(r, "milan", DOC, context=b"doc-7")
    assert DOC not in blob
    assert parse(blob).kek_id == "milan/v1"
    assert decrypt(r, blob, context=b"doc-7") == DOC


def test_each_blob_has_its_own_data_key() -> None:
    r = ring()
    a, b = encrypt(r, "milan", DOC), encrypt(r, "milan", DOC)
    assert parse(a).wrapped_dek != parse(b).wrapped_dek
    assert parse(a).ciphertext != parse(b).ciphertext


def test_rotation_rewraps_without_touching_the_data_and_old_kek_still_decrypts() -> None:
    r = ring()
    old_blob = encrypt(r, "milan", DOC)
    assert r.rotate("milan") == "milan/v2"
    # a blob not yet re-wrapped still opens with the retired KEK
    assert decrypt(r, old_blob) == DOC
    new_blob = rewrap(r, old_blob)
    assert parse(new_blob).kek_id == "milan/v2"
    assert parse(new_blob).data_section() == parse(old_blob).data_section()
    assert decrypt(r, new_blob) == DOC
    # once the retired key is gone, only the re-wrapped blob opens
    del r.keys["milan/v1"]
    assert decrypt(r, new_blob) == DOC
    with pytest.raises(NotFound) as err:
        decrypt(r, old_blob)
    assert err.value.code == "envelope.unknown_key"


def test_another_offices_key_cannot_open_it() -> None:
    r = ring()
    blob = encrypt(r, "milan", DOC)
    forged = blob.replace(b"milan/v1", b"milan/v9")
    r.keys["milan/v9"] = r.keys["wencheng/v1"]
    with pytest.raises(Invalid):
        decrypt(r, forged)


@pytest.mark.parametrize("where", [20, 60, -1])
def test_a_flipped_byte_anywhere_is_refused(where: int) -> None:
    r = ring()
    blob = bytearray(encrypt(r, "milan", DOC))
    blob[where] ^= 0x01
    with pytest.raises(Invalid) as err:
        decrypt(r, bytes(blob))
    assert err.value.code == "envelope.damaged"


def test_wrong_context_truncation_and_unknown_version_are_refused() -> None:
    r = ring()
    blob = encrypt(r, "milan", DOC, context=b"doc-7")
    with pytest.raises(Invalid):
        decrypt(r, blob, context=b"doc-8")
    with pytest.raises(Invalid):
        decrypt(r, blob[:40])
    with pytest.raises(Invalid) as err:
        decrypt(r, blob[:5] + b"\x02" + blob[6:])
    assert err.value.code == "envelope.version"
    with pytest.raises(NotFound):
        encrypt(r, "paris", DOC)
