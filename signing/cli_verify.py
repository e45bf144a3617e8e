"""``qiaolink verify``: check a signed PDF, a sealed recording or an audit proof offline.

    qiaolink verify pdf DOC.pdf --trust hub-ca.pem
    qiaolink verify recording MANIFEST.json [--file RECORDING] --trust hub-ca.pem
    qiaolink verify audit-proof PROOF.json --log-key HEX_ED25519_PUBLIC_KEY
    qiaolink verify package PACKAGE.zip --trust hub-ca.pem

Audit proof JSON (version 1)::

    {"v": 1, "kind": "inclusion", "leaf_hash": hex | "entry": "<the canonical entry text>",
     "index": n, "tree_head": <signed tree head JSON>, "proof": [hex, ...]}
    {"v": 1, "kind": "consistency", "old_head": <STH>, "new_head": <STH>, "proof": [hex, ...]}

Each prints a verdict (VALID / INVALID and every reason) and exits 0 when valid, 1 when not
(an unreadable input is INVALID too).
"""

from __future__ import annotations

import argparse
import json
import logging
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from cryptography import x509

from signing.errors import SigningError
from signing.merkle import SignedTreeHead, leaf_hash, verify_consistency, verify_inclusion
from signing.package import verify_package
from signing.primitives import load_ed25519_public
from signing.recording import verify_recording
from signing.streams import STREAMS_KIND, verify_streams
from signing.verify import describe, validate_pdf

__all__ = ["main", "verify_audit_proof"]


def _roots(paths: list[str]) -> list[x509.Certificate]:
    roots: list[x509.Certificate] = []
    for path in paths:
        roots += x509.load_pem_x509_certificates(Path(path).read_bytes())
    return roots


VERDICTS = {
    "en": ("VERDICT: VALID", "VERDICT: INVALID"),
    "zh": ("VERDICT: VALID（有效）", "VERDICT: INVALID（无效）"),
    "it": ("VERDICT: VALID (valido)", "VERDICT: INVALID (non valido)"),
}


def _moment(text: str) -> datetime:
    moment = datetime.fromisoformat(text)
    if moment.tzinfo is None:
        raise argparse.ArgumentTypeError("give the moment with its zone, e.g. 2031-01-01T00:00Z")
    return moment


def _verdict(ok: bool, lines: list[str], lang: str = "en") -> int:
    for line in lines:
        print(line)
    valid, invalid = VERDICTS.get(lang, VERDICTS["en"])
    print(valid if ok else invalid)
    return 0 if ok else 1


def cmd_pdf(args: argparse.Namespace) -> int:
    at = args.at or datetime.now(UTC)
    status = validate_pdf(Path(args.file).read_bytes(), trust_roots=_roots(args.trust), at=at)
    lines = [f"document: {'; '.join(status.failures)}"] if status.failures else []
    for i, s in enumerate(status.signatures, 1):
        when = s.timestamped_at.isoformat() if s.timestamped_at else "no timestamp"
        lines.append(
            f"signature {i} [{s.field}] {s.signer} ({s.role}), timestamped {when}: "
            f"intact={s.intact} valid={s.valid} trusted={s.trusted} "
            f"unmodified={s.unmodified} -> {'OK' if s.ok else 'FAILED'}"
        )
        named = {describe(c, s.field) for c in s.changes}
        lines += [f"  - {describe(c, s.field, args.lang)}" for c in s.changes]
        lines += [f"  - {f}" for f in s.failures if f not in named]
    return _verdict(status.ok, lines, args.lang)


def cmd_recording(args: argparse.Namespace) -> int:
    manifest_path = Path(args.manifest)
    manifest = json.loads(manifest_path.read_text(encoding="utf-8"))
    if manifest.get("kind") == STREAMS_KIND:
        return _streams(manifest, manifest_path.parent, args)
    file_path = Path(args.file) if args.file else manifest_path.parent / manifest["file"]["name"]
    verdict = verify_recording(manifest, file_path.read_bytes(), trust_roots=_roots(args.trust))
    lines = [
        f"recording {file_path.name} of session {manifest.get('session_id')}, "
        f"sealed by {verdict.signer}"
    ]
    lines += [f"  - {f}" for f in verdict.failures]
    return _verdict(verdict.ok, lines)


def _streams(manifest: dict[str, Any], folder: Path, args: argparse.Namespace) -> int:
    """A recording of named streams: each file beside the manifest, under its own name."""

    def read(name: str) -> bytes | None:
        path = folder / name
        return path.read_bytes() if name and path.name == name and path.is_file() else None

    verdict = verify_streams(manifest, read, trust_roots=_roots(args.trust))
    lines = [
        f"recording of session {manifest.get('session_id')}, sealed by {verdict.signer}, "
        f"{len(manifest.get('streams', []))} streams:"
    ]
    for s in manifest.get("streams", []):
        lines.append(
            f"  {s.get('participant')} ({s.get('role')}) {s.get('kind')} "
            f"{s.get('start')} – {s.get('end')}: {s.get('file', {}).get('name')}"
        )
    lines += [f"  - {f}" for f in verdict.failures]
    return _verdict(verdict.ok, lines)


def _hexes(values: Any) -> list[bytes]:
    return [bytes.fromhex(str(v)) for v in values]


def verify_audit_proof(doc: dict[str, Any], log_key: bytes) -> tuple[bool, list[str]]:
    key = load_ed25519_public(log_key)
    if doc.get("v") != 1:
        return False, ["format: not a version 1 audit proof"]
    if doc.get("kind") == "inclusion":
        head = SignedTreeHead.from_json(doc["tree_head"])
        leaf = (
            bytes.fromhex(doc["leaf_hash"])
            if "leaf_hash" in doc
            else leaf_hash(str(doc["entry"]).encode())
        )
        signed = head.verify(key)
        included = verify_inclusion(
            leaf=leaf,
            index=int(doc["index"]),
            tree_size=head.tree_size,
            proof=_hexes(doc["proof"]),
            root=head.root,
        )
        lines = [f"entry {doc['index']} in tree of size {head.tree_size}"]
        lines += [] if signed else ["  - tree head: signature does not verify with the log key"]
        lines += [] if included else ["  - inclusion: the proof does not lead to the signed root"]
        return signed and included, lines
    if doc.get("kind") == "consistency":
        old, new = (
            SignedTreeHead.from_json(doc["old_head"]),
            SignedTreeHead.from_json(doc["new_head"]),
        )
        signed = old.verify(key) and new.verify(key)
        consistent = verify_consistency(
            old_size=old.tree_size,
            new_size=new.tree_size,
            old_root=old.root,
            new_root=new.root,
            proof=_hexes(doc["proof"]),
        )
        lines = [f"tree of size {old.tree_size} -> size {new.tree_size}"]
        lines += [] if signed else ["  - tree heads: a signature does not verify with the log key"]
        lines += (
            []
            if consistent
            else [
                "  - consistency: the newer log does not extend the older one (forked or rewritten)"
            ]
        )
        return signed and consistent, lines
    return False, [f"format: unknown proof kind {doc.get('kind')!r}"]


def cmd_audit(args: argparse.Namespace) -> int:
    doc = json.loads(Path(args.proof).read_text(encoding="utf-8"))
    ok, lines = verify_audit_proof(doc, bytes.fromhex(args.log_key))
    return _verdict(ok, lines)


def cmd_package(args: argparse.Namespace) -> int:
    verdict = verify_package(Path(args.package).read_bytes(), trust_roots=_roots(args.trust))
    lines = [f"{'ok    ' if c.ok else 'FAILED'} {c.subject}: {c.detail}" for c in verdict.checks]
    return _verdict(verdict.ok, lines)


def parser() -> argparse.ArgumentParser:
    top = argparse.ArgumentParser(prog="qiaolink verify", description=__doc__.split("\n")[0])
    sub = top.add_subparsers(dest="what", required=True)
    p = sub.add_parser("pdf", help="validate every signature of a PDF")
    p.add_argument("file")
    p.add_argument("--trust", action="append", required=True, help="PEM trust root(s)")
    p.add_argument("--lang", choices=sorted(VERDICTS), default="en", help="language of the report")
    p.add_argument(
        "--at",
        type=_moment,
        default=None,
        help="judge as at this moment (ISO 8601 with zone; default: now), e.g. years ahead",
    )
    p.set_defaults(func=cmd_pdf)
    p = sub.add_parser("recording", help="check a sealed recording against its manifest")
    p.add_argument("manifest")
    p.add_argument("--file", help="the recording (default: beside the manifest)")
    p.add_argument("--trust", action="append", required=True, help="PEM trust root(s)")
    p.set_defaults(func=cmd_recording)
    p = sub.add_parser("audit-proof", help="check an inclusion or consistency proof")
    p.add_argument("proof")
    p.add_argument("--log-key", required=True, help="the log's Ed25519 public key (hex)")
    p.set_defaults(func=cmd_audit)
    p = sub.add_parser("package", help="check a judicial-confirmation package and every proof")
    p.add_argument("package")
    p.add_argument("--trust", action="append", required=True, help="PEM trust root(s)")
    p.set_defaults(func=cmd_package)
    return top


def main(argv: list[str] | None = None) -> int:
    # the validators log every refused signature with a traceback; the verdict says it in words
    for name in ("pyhanko", "pyhanko_certvalidator"):
        logging.getLogger(name).setLevel(logging.CRITICAL + 1)
    args = parser().parse_args(argv)
    try:
        return int(args.func(args))
    except (OSError, ValueError, KeyError, TypeError, SigningError) as exc:
        print(f"cannot read the input: {exc}")
        print("VERDICT: INVALID (unreadable input)")
        return 1
