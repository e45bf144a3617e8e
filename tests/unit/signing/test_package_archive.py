"""A package is exactly what its manifest says: forged archives are refused by name."""

from __future__ import annotations

import io
import json
import struct
import warnings
import zipfile
from datetime import UTC, datetime

import pytest
from cryptography.hazmat.primitives.asymmetric import ec

from signing.ca import CertificateAuthority
from signing.ca import Role as CaRole
from signing.package import MANIFEST, PackageFile, build_package, verify_package
from signing.primitives import ecdsa_p256_sign

AT = datetime(2026, 1, 5, 9, 0, tzinfo=UTC)
TEXT = "agreement/agreement.txt"
CA = CertificateAuthority.create(name="Test CA", at=AT)
_SEAL = ec.generate_private_key(ec.SECP256R1())
SEAL_CERT = CA.issue(
    role=CaRole.SEAL, common_name="Seal", ident="S", public_key=_SEAL.public_key(), at=AT
)


def _package(text: bytes = "甲方同意支付 15000 欧元。".encode()) -> bytes:
    return build_package(
        [PackageFile(TEXT, text), PackageFile("consents/p-1.json", b"{}")],
        meta={"recordings": [], "identity": [], "consents": []},
        created_at=AT,
        sign=lambda body: ecdsa_p256_sign(_SEAL, body),
        certificate=SEAL_CERT,
    )


def _failures(data: bytes) -> list[str]:
    return verify_package(data, trust_roots=[CA.certificate]).failures


def _rezip(data: bytes, extra: list[tuple[str, bytes]], *, first: bool) -> bytes:
    """The same archive with ``extra`` members added before or after the others."""
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(data)) as src, zipfile.ZipFile(out, "w") as dst:
        members = [(i, src.read(i)) for i in src.infolist()]
        added = [(zipfile.ZipInfo(name), body) for name, body in extra]
        with warnings.catch_warnings():  # zipfile warns of the duplicate it is told to write
            warnings.simplefilter("ignore", UserWarning)
            for info, body in (added + members) if first else (members + added):
                dst.writestr(info, body)
    return out.getvalue()


def test_the_untouched_package_is_valid() -> None:
    # only the manifest-level checks apply to this minimal package; none of them fails
    assert not [f for f in _failures(_package()) if f.startswith(("package", TEXT, MANIFEST))]


@pytest.mark.parametrize("first", [True, False], ids=["forgery-first", "forgery-last"])
def test_a_duplicate_member_is_refused_wherever_it_stands(first: bool) -> None:
    forged = _rezip(_package(), [(TEXT, "甲方同意支付 1500 欧元。".encode())], first=first)
    with zipfile.ZipFile(io.BytesIO(forged)) as archive:  # what unzip would show
        names = [i.filename for i in archive.infolist()]
    assert names.count(TEXT) == 2
    assert _failures(forged) == [f"package: {TEXT} appears twice in the archive (a forgery)"]


def test_bytes_before_the_archive_are_refused() -> None:
    assert _failures(b"MZ\x90\x00 prefix" + _package()) == [
        "package: bytes were added before the archive (it must start with its first file)"
    ]


def test_bytes_after_the_archive_are_refused() -> None:
    assert _failures(_package() + b"trailing") == [
        "package: bytes were added after the archive (it must end with its directory)"
    ]


def test_a_zip_comment_counts_as_bytes_after_the_archive() -> None:
    data = bytearray(_package())
    struct.pack_into("<H", data, len(data) - 2, 4)
    assert _failures(bytes(data) + b"note") == [
        "package: bytes were added after the archive (it must end with its directory)"
    ]


def test_a_member_not_in_the_manifest_is_refused() -> None:
    extra = _rezip(_package(), [("agreement/annex.txt", b"also agreed")], first=False)
    assert "agreement/annex.txt: not listed in the manifest" in _failures(extra)


def test_a_removed_member_is_named() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_package())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            if info.filename != TEXT:
                dst.writestr(info, src.read(info))
    assert f"{TEXT}: missing from the package" in _failures(out.getvalue())


def test_a_member_larger_than_the_manifest_says_is_not_read_past_its_bound() -> None:
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_package())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            body = src.read(info)
            dst.writestr(info, body + b"\0" * 10_000_000 if info.filename == TEXT else body)
    assert _failures(out.getvalue()) == [f"package: {TEXT} is larger than the manifest says"]


def test_a_swapped_manifest_does_not_verify() -> None:
    other = _package("甲方同意支付 25000 欧元。".encode())  # same size, other text
    with zipfile.ZipFile(io.BytesIO(other)) as archive:
        forged_manifest = archive.read(MANIFEST)
    out = io.BytesIO()
    with zipfile.ZipFile(io.BytesIO(_package())) as src, zipfile.ZipFile(out, "w") as dst:
        for info in src.infolist():
            dst.writestr(info, forged_manifest if info.filename == MANIFEST else src.read(info))
    failures = _failures(out.getvalue())
    assert "manifest.json: the manifest signature does not verify" in failures
    assert f"{TEXT}: its SHA-256 differs from the manifest (the file was changed)" in failures
    assert json.loads(forged_manifest)["files"][0]["name"] == TEXT
