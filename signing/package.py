"""Signed evidence packages (a judicial-confirmation package of a mediation case), built and
verified offline with nothing but the archive and the hub CA's certificate.

The archive is a ZIP with fixed member times (the same content gives the same bytes)::

    manifest.json        canonical JSON (sorted keys, no spaces, UTF-8), version 1
    manifest.sig.json    {"v": 1, "algorithm": "ecdsa-p256-sha256",
                          "certificate": "<PEM of the hub seal>", "signature": "<base64>"}
    ...every other member, each listed in the manifest with its size and SHA-256

The manifest names what each file is (``agreement``, ``recordings``, ``identity``, ``consents``,
``audit``), so that :func:`verify_package` checks, and names the file of, every failure:

* that the archive is exactly what its manifest says: it starts with its first member and ends
  with its directory (no byte before or after), every member name is unique (a duplicate would
  let ``unzip`` show one text while a reader of the manifest checks another), no member is
  larger than the manifest says, and nothing is read beyond that bound;
* the manifest signature, by a seal certificate the trusted CA issued;
* each file's size and hash, and that no file was added or left out;
* the signed agreement PDF (every signature intact, valid, trusted, timestamped; the expected
  number of resident signatures, then the mediator, then the seal last), whose first revision is
  the draft whose hash the manifest gives and which names the hash of the agreement text;
* each sealed recording against its signed manifest;
* where a branch node recorded its own side of a session, its manifest against the segments it
  announced into the sealed log while the session ran, compared again here (the stated outcome
  must be this one; a disagreement fails, segment by segment);
* each identity decision against the node key the manifest names (Ed25519);
* each audit entry's inclusion proof against the signed tree head (the log key in the manifest),
  and that every consent file is exactly the consent an audited signature recorded.
"""

from __future__ import annotations

import base64
import hashlib
import io
import json
import struct
import zipfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from datetime import datetime
from typing import Any

from cryptography import x509
from cryptography.exceptions import InvalidSignature
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.asymmetric import ec
from cryptography.x509.oid import NameOID

from signing.crosscheck import compare_segments, held_by_index
from signing.errors import SigningError
from signing.merkle import SignedTreeHead, leaf_hash, verify_inclusion
from signing.primitives import ecdsa_p256_verify, ed25519_verify, load_ed25519_public
from signing.recording import canonical, verify_recording
from signing.verify import validate_pdf

__all__ = [
    "IDENTITY_CONTEXT",
    "Check",
    "PackageFile",
    "PackageVerdict",
    "build_package",
    "verify_package",
]

PACKAGE_VERSION = 1
KIND = "qiaolink.judicial_confirmation"
MANIFEST, SIGNATURE = "manifest.json", "manifest.sig.json"
IDENTITY_CONTEXT = b"qiaolink/identity-decision\n"  # what a node's decision signature covers
TEXT_MARK = b"qiaolink-text-sha256:"
_FIXED_TIME = (2000, 1, 1, 0, 0, 0)
MAX_MANIFEST_BYTES = 4 * 1024 * 1024  # manifest.json and manifest.sig.json
_EOCD = struct.Struct("<4s4H2LH")  # end of central directory record, without its comment


@dataclass(frozen=True)
class PackageFile:
    name: str
    data: bytes


def build_package(
    files: Sequence[PackageFile],
    *,
    meta: dict[str, Any],
    created_at: datetime,
    sign: Callable[[bytes], bytes],
    certificate: x509.Certificate,
) -> bytes:
    """The archive: ``files``, their manifest (with ``meta``) and its signature by ``sign``."""
    if created_at.tzinfo is None:
        raise ValueError("times are timezone-aware")
    names = [f.name for f in files]
    if len(set(names)) != len(names) or {MANIFEST, SIGNATURE} & set(names):
        raise ValueError("package file names must be distinct and not the manifest's")
    manifest = {
        **meta,
        "v": PACKAGE_VERSION,
        "kind": KIND,
        "created_at": created_at.isoformat(),
        "files": [
            {"name": f.name, "size": len(f.data), "sha256": hashlib.sha256(f.data).hexdigest()}
            for f in files
        ],
    }
    body = canonical(manifest)
    sig = {
        "v": PACKAGE_VERSION,
        "algorithm": "ecdsa-p256-sha256",
        "certificate": certificate.public_bytes(serialization.Encoding.PEM).decode(),
        "signature": base64.b64encode(sign(body)).decode(),
    }
    out = io.BytesIO()
    with zipfile.ZipFile(out, "w", zipfile.ZIP_DEFLATED) as archive:
        for name, data in [
            (MANIFEST, body),
            (SIGNATURE, canonical(sig)),
            *((f.name, f.data) for f in files),
        ]:
            archive.writestr(zipfile.ZipInfo(name, _FIXED_TIME), data)
    return out.getvalue()


@dataclass(frozen=True)
class Check:
    subject: str  # the file (or part) checked
    ok: bool
    detail: str


@dataclass(frozen=True)
class PackageVerdict:
    checks: tuple[Check, ...]

    @property
    def ok(self) -> bool:
        return bool(self.checks) and all(c.ok for c in self.checks)

    @property
    def failures(self) -> list[str]:
        return [f"{c.subject}: {c.detail}" for c in self.checks if not c.ok]


class _Checks:
    def __init__(self) -> None:
        self.items: list[Check] = []

    def add(self, subject: str, failures: Sequence[str], ok_detail: str) -> None:
        if failures:
            self.items.extend(Check(subject, False, f) for f in failures)
        else:
            self.items.append(Check(subject, True, ok_detail))


def verify_package(data: bytes, *, trust_roots: Sequence[x509.Certificate]) -> PackageVerdict:
    """Every check of the package; a malformed archive is a failed verdict, never an exception."""
    checks = _Checks()
    try:
        members, manifest, sig = _read_archive(data)
        created_at = datetime.fromisoformat(str(manifest["created_at"]))
    except _Malformed as exc:
        return PackageVerdict((Check("package", False, str(exc)),))
    except (zipfile.BadZipFile, KeyError, ValueError, TypeError) as exc:
        return PackageVerdict((Check("package", False, f"not a readable package ({exc})"),))
    checks.add(
        MANIFEST,
        _manifest_failures(members, manifest, sig, trust_roots, created_at),
        "signed by the hub seal",
    )
    _file_checks(checks, members, manifest)
    for part, run in (
        ("agreement", _agreement),
        ("recordings", _recordings),
        ("recording_crosschecks", _crosschecks),
        ("identity", _identity),
        ("audit", _audit),
    ):
        try:
            run(checks, members, manifest, trust_roots, created_at)
        except (KeyError, ValueError, TypeError) as exc:
            checks.add(part, [f"malformed: {exc!r}"], "")
    return PackageVerdict(tuple(checks.items))


class _Malformed(ValueError):
    """The archive is not one this module would have written; the text says how."""


def _exact_archive(data: bytes) -> None:
    """No byte before the first member or after the central directory."""
    if not data.startswith(b"PK\x03\x04"):
        raise _Malformed("bytes were added before the archive (it must start with its first file)")
    if len(data) < _EOCD.size:
        raise _Malformed("not a readable package (too short)")
    end = len(data) - _EOCD.size
    signature, _, _, _, _, dir_size, dir_offset, comment = _EOCD.unpack_from(data, end)
    if signature != b"PK\x05\x06" or comment:
        raise _Malformed("bytes were added after the archive (it must end with its directory)")
    if dir_offset + dir_size != end:
        raise _Malformed("bytes were added inside or before the archive's directory")


def _read_archive(data: bytes) -> tuple[dict[str, bytes], dict[str, Any], dict[str, Any]]:
    """The members, the manifest and its signature; every member read within its bound."""
    _exact_archive(data)
    archive = zipfile.ZipFile(io.BytesIO(data))
    infos = archive.infolist()
    seen: set[str] = set()
    for info in infos:
        if info.filename in seen:
            raise _Malformed(f"{info.filename} appears twice in the archive (a forgery)")
        seen.add(info.filename)
    by_name = {info.filename: info for info in infos}
    for name in (MANIFEST, SIGNATURE):
        if name not in by_name:
            raise _Malformed(f"not a readable package ({name} is missing)")
    manifest = json.loads(_read_bounded(archive, by_name[MANIFEST], MAX_MANIFEST_BYTES))
    sig = json.loads(_read_bounded(archive, by_name[SIGNATURE], MAX_MANIFEST_BYTES))
    declared = {str(f["name"]): int(f["size"]) for f in manifest.get("files", [])}
    members = {
        MANIFEST: archive.read(by_name[MANIFEST]),
        SIGNATURE: archive.read(by_name[SIGNATURE]),
    }
    for name, info in by_name.items():
        if name in (MANIFEST, SIGNATURE):
            continue
        if name not in declared:
            members[name] = b""  # listed as unknown by the file checks, never read
            continue
        members[name] = _read_bounded(archive, info, declared[name])
    return members, manifest, sig


def _read_bounded(archive: zipfile.ZipFile, info: zipfile.ZipInfo, limit: int) -> bytes:
    """The member's bytes, refusing one that claims or yields more than ``limit``."""
    if info.file_size > limit:
        raise _Malformed(f"{info.filename} is larger than the manifest says")
    with archive.open(info) as member:
        data = member.read(limit + 1)
    if len(data) > limit:
        raise _Malformed(f"{info.filename} is larger than the manifest says")
    return data


def _manifest_failures(
    members: dict[str, bytes],
    manifest: dict[str, Any],
    sig: dict[str, Any],
    roots: Sequence[x509.Certificate],
    at: datetime,
) -> list[str]:
    if manifest.get("v") != PACKAGE_VERSION or manifest.get("kind") != KIND:
        return ["not a version 1 judicial-confirmation package"]
    try:
        cert = x509.load_pem_x509_certificate(str(sig["certificate"]).encode())
        signature = base64.b64decode(str(sig["signature"]), validate=True)
    except (KeyError, ValueError):
        return ["the signature file is malformed"]
    failures = []
    public = cert.public_key()
    if not isinstance(public, ec.EllipticCurvePublicKey) or not ecdsa_p256_verify(
        public, members[MANIFEST], signature
    ):
        failures.append("the manifest signature does not verify")
    if not any(_issued_by(cert, root) for root in roots):
        failures.append("the signing certificate is not issued by a trusted root")
    elif not cert.not_valid_before_utc <= at <= cert.not_valid_after_utc:
        failures.append("the signing certificate was not valid when the package was made")
    units = cert.subject.get_attributes_for_oid(NameOID.ORGANIZATIONAL_UNIT_NAME)
    if not units or units[0].value != "seal":
        failures.append("the manifest is not signed by the hub seal")
    return failures


def _issued_by(cert: x509.Certificate, root: x509.Certificate) -> bool:
    try:
        cert.verify_directly_issued_by(root)
    except (ValueError, TypeError, InvalidSignature):
        return False
    return True


def _file_checks(checks: _Checks, members: dict[str, bytes], manifest: dict[str, Any]) -> None:
    """Size and hash of every listed file, and no file beside them."""
    listed = {str(f["name"]): f for f in manifest.get("files", [])}
    for name, entry in listed.items():
        data = members.get(name)
        if data is None:
            checks.add(name, ["missing from the package"], "")
        elif len(data) != entry.get("size") or hashlib.sha256(data).hexdigest() != entry.get(
            "sha256"
        ):
            checks.add(name, ["its SHA-256 differs from the manifest (the file was changed)"], "")
        else:
            checks.add(name, [], "hash matches the manifest")
    for name in sorted(set(members) - set(listed) - {MANIFEST, SIGNATURE}):
        checks.add(name, ["not listed in the manifest"], "")


def _agreement(
    checks: _Checks,
    members: dict[str, bytes],
    manifest: dict[str, Any],
    roots: Sequence[x509.Certificate],
    at: datetime,
) -> None:
    spec = manifest["agreement"]
    name, text_name = str(spec["file"]), str(spec["text_file"])
    pdf, text = members.get(name, b""), members.get(text_name, b"")
    failures: list[str] = []
    if hashlib.sha256(text).hexdigest() != spec["text_sha256"]:
        failures.append("the agreement text is not the text the signatures cover")
    draft = pdf[: int(spec["draft_size"])]
    if hashlib.sha256(draft).hexdigest() != spec["draft_sha256"]:
        failures.append("the first revision is not the signed draft")
    elif TEXT_MARK + str(spec["text_sha256"]).encode() not in draft:
        failures.append("the draft does not name the hash of the agreement text")
    try:
        status = validate_pdf(pdf, trust_roots=roots, at=at)
    except (ValueError, SigningError) as exc:
        failures.append(f"not a readable PDF ({exc})")
    else:
        failures += list(status.failures)
        failures += [
            f"signature {s.field} ({s.signer}): {f}" for s in status.signatures for f in s.failures
        ]
        expected = ["resident"] * int(spec["resident_signatures"]) + ["mediator", "seal"]
        roles = status.signer_roles()
        if sorted(roles[:-2]) != sorted(expected[:-2]) or roles[-2:] != expected[-2:]:
            failures.append(f"signed by {roles}, expected every party, the mediator, then the seal")
    checks.add(name, failures, "signed by every party and the mediator, sealed by the hub")


def _logged(members: dict[str, bytes], manifest: dict[str, Any]) -> list[dict[str, Any]]:
    """The package's audit entries, read once per check (their proofs are checked in
    :func:`_audit`); none when the proofs file is unreadable, which :func:`_audit` reports."""
    try:
        doc = json.loads(members.get(str(manifest["audit"]["proofs"]), b"{}"))
        return [json.loads(str(item["entry"])) for item in doc.get("entries", [])]
    except (KeyError, ValueError, TypeError):
        return []


def _details(
    logged: list[dict[str, Any]], action: str, subject: str | None = None
) -> list[dict[str, Any]]:
    """The details of the entries of one action, of one subject if given."""
    return [
        dict(e.get("detail", {}))
        for e in logged
        if e.get("action") == action and subject in (None, e.get("subject"))
    ]


def _disagreement(d: dict[str, Any]) -> str:
    if d["problem"] == "missing_at_branch":
        return f"segment {d['index']}: announced {d['hub_sha256']}, no longer kept by the branch"
    return f"segment {d['index']}: kept as {d['branch_sha256']}, announced {d['hub_sha256']}"


def _crosschecks(
    checks: _Checks,
    members: dict[str, bytes],
    manifest: dict[str, Any],
    roots: Sequence[x509.Certificate],
    at: datetime,
) -> None:
    """Each session's two recordings compared again from the package alone: the segments the
    branch announced into the sealed log while the session ran against the manifest of the files
    it kept, as the audit log recorded it. The outcome the package states must be this one, and
    a disagreement fails the check, naming each segment."""
    logged = _logged(members, manifest)
    for entry in manifest.get("recording_crosschecks", []):
        about = f"video_session:{entry['session']}"
        name = str(entry["branch_manifest"])
        try:
            branch = json.loads(members.get(name, b"null"))
            held = held_by_index(branch["segments"])
        except (ValueError, KeyError, TypeError):
            checks.add(name, ["not a readable branch manifest"], "")
            continue
        failures: list[str] = []
        recorded = _details(logged, "media.branch_manifest", about)
        if not any(r.get("segments") == branch["segments"] for r in recorded):
            failures.append("the audit log does not record this manifest from the branch")
        witnessed = held_by_index(
            e["payload"]
            for e in _details(logged, "media.event", about)
            if e.get("kind") == "segment_closed" and e.get("participant") == branch["participant"]
        )
        comparison = compare_segments(witnessed, held).as_json()
        if (comparison["agree"], comparison["disagreements"]) != (
            entry["agree"],
            entry["disagreements"],
        ):
            failures.append("the comparison the package states is not what its manifests give")
        failures += [_disagreement(d) for d in comparison["disagreements"]]
        checks.add(
            name,
            failures,
            f"the branch's recording matches what it announced ({len(held)} segments)",
        )


def _recordings(
    checks: _Checks,
    members: dict[str, bytes],
    manifest: dict[str, Any],
    roots: Sequence[x509.Certificate],
    at: datetime,
) -> None:
    sealed_in_log = {
        d.get("manifest_sha256")
        for d in _details(_logged(members, manifest), "media.segment_sealed")
    }
    for entry in manifest["recordings"]:
        name, stored_name = str(entry["manifest"]), str(entry["file"])
        raw = members.get(name, b"{}")
        try:
            sealed = json.loads(raw)
        except ValueError:
            checks.add(name, ["not a readable recording manifest"], "")
            continue
        verdict = verify_recording(sealed, members.get(stored_name, b""), trust_roots=roots)
        failures = [f"{stored_name}: {f}" for f in verdict.failures]
        if hashlib.sha256(raw).hexdigest() not in sealed_in_log:
            failures.append("the audit log does not record the sealing of this recording")
        checks.add(name, failures, f"recording sealed by {verdict.signer}, sealing audited")


def _identity(
    checks: _Checks,
    members: dict[str, bytes],
    manifest: dict[str, Any],
    roots: Sequence[x509.Certificate],
    at: datetime,
) -> None:
    keys = manifest["node_keys"]
    for entry in manifest["identity"]:
        name = str(entry["file"])
        failures: list[str] = []
        try:
            doc = json.loads(members.get(name, b"{}"))
            decision, key_id = doc["decision"], str(doc["key_id"])
            signature = base64.b64decode(str(doc["signature"]), validate=True)
        except (KeyError, ValueError):
            checks.add(name, ["not a readable identity decision"], "")
            continue
        key = keys.get(key_id)
        raw = bytes.fromhex(str(key["public_key"])) if key else b""
        if key is None or "ed25519:" + hashlib.sha256(raw).hexdigest()[:16] != key_id:
            failures.append("signed by a node key the manifest does not name")
        elif not ed25519_verify(raw, IDENTITY_CONTEXT + canonical(decision), signature):
            failures.append("the node's signature on the decision does not verify")
        elif decision.get("branch") != key["branch"]:
            failures.append("the decision names another branch than its key's")
        if (
            decision.get("accepted") is not True
            or decision.get("resident_id") != entry["resident_id"]
        ):
            failures.append("not an accepted face verification of this signer")
        checks.add(name, failures, f"face verified for {entry['resident_id']}")


def _audit(
    checks: _Checks,
    members: dict[str, bytes],
    manifest: dict[str, Any],
    roots: Sequence[x509.Certificate],
    at: datetime,
) -> None:
    spec = manifest["audit"]
    name = str(spec["proofs"])
    doc = json.loads(members.get(name, b"{}"))
    head = SignedTreeHead.from_json(doc["tree_head"])
    failures: list[str] = []
    if not head.verify(load_ed25519_public(bytes.fromhex(str(spec["log_key"])))):
        failures.append("the tree head's signature does not verify with the log key")
    for item in doc["entries"]:
        ok = verify_inclusion(
            leaf=leaf_hash(str(item["entry"]).encode()),
            index=int(item["index"]),
            tree_size=head.tree_size,
            proof=[bytes.fromhex(str(p)) for p in item["proof"]],
            root=head.root,
        )
        if not ok:
            failures.append(f"entry {item['index']} is not included under the signed root")
    checks.add(name, failures, f"{len(doc['entries'])} entries in the log of size {head.tree_size}")
    consents = [d.get("consent") for d in _details(_logged(members, manifest), "mediation.signed")]
    for consent_name in manifest["consents"]:
        try:
            consent = json.loads(members.get(str(consent_name), b"null"))
        except ValueError:
            consent = None
        found = consent is not None and consent in consents
        checks.add(
            str(consent_name),
            [] if found else ["no audited signature recorded this consent"],
            "recorded in the audit log",
        )
