"""Signing throughput: our tree-head / seal path (Ed25519) beside `openssl speed ed25519`.

Ours = :func:`signing.merkle.sign_tree_head` and ``SignedTreeHead.verify`` (canonical encoding
plus Ed25519 through ``signing.primitives``); baseline = OpenSSL's own Ed25519 loop, run now on
the same machine. Also prints the PAdES signing time (with in-process TSA) for a 1-page and a
50-page PDF. Last line: the JSON object (signatures/s, ratio = ours / openssl).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from cryptography.hazmat.primitives.asymmetric.ed25519 import Ed25519PrivateKey

from common.clock import SystemClock
from signing.ca import CertificateAuthority, Role
from signing.keystore import FileKeyStore
from signing.merkle import sign_tree_head
from signing.pades import sign_pdf, signer_from_store
from signing.tsa import TimestampAuthority, in_process
from tests.signing_support.pdfs import make_pdf

SECONDS = 2.0


def rate(fn, seconds: float = SECONDS) -> float:  # type: ignore[no-untyped-def]
    n, start = 0, time.perf_counter()
    while (elapsed := time.perf_counter() - start) < seconds:
        for _ in range(200):
            fn()
        n += 200
    return n / elapsed


def ours() -> tuple[float, float]:
    key = Ed25519PrivateKey.generate()
    pub = key.public_key()
    at = datetime.now(UTC)
    root = bytes(32)
    head = sign_tree_head(key, tree_size=1, root=root, timestamp=at)
    sign = rate(lambda: sign_tree_head(key, tree_size=12345, root=root, timestamp=at))
    verify = rate(lambda: head.verify(pub))
    return sign, verify


def openssl() -> tuple[float, float]:
    out = subprocess.run(
        ["openssl", "speed", "-seconds", str(int(SECONDS)), "ed25519"],
        capture_output=True,
        text=True,
        timeout=60,
        check=True,
    ).stdout
    match = re.search(r"Ed25519\)\s+\S+s\s+\S+s\s+([\d.]+)\s+([\d.]+)", out)
    if not match:
        raise SystemExit(f"cannot parse openssl speed output:\n{out}")
    return float(match[1]), float(match[2])


def pades_seconds() -> dict[int, float]:
    at = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        store = FileKeyStore(Path(tmp), b"bench passphrase 0123456789")
        ca = CertificateAuthority.open(store, name="Bench CA", at=at)
        ca.enrol(store, role=Role.TSA, key_name="tsa", common_name="TSA", ident="T", at=at)
        ca.enrol(store, role=Role.NOTARY, key_name="n", common_name="Notary", ident="N", at=at)
        tsa_key = store.get_key("tsa")
        tsa = TimestampAuthority(
            key=tsa_key,
            certificate=store.get_certificate("tsa"),  # type: ignore[arg-type]
            clock=SystemClock(),
        )
        signer = signer_from_store(store, "n", chain=(ca.certificate,))
        result = {}
        for pages in (1, 50):
            pdf = make_pdf(pages)
            runs = []
            for _ in range(3):
                start = time.perf_counter()
                sign_pdf(
                    pdf,
                    signer=signer,
                    field="Notary",
                    timestamper=in_process(tsa),
                    reason="Notarized",
                )
                runs.append(time.perf_counter() - start)
            result[pages] = min(runs)
    return result


def main() -> None:
    our_sign, our_verify = ours()
    ssl_sign, ssl_verify = openssl()
    pades = pades_seconds()
    print(f"ed25519 sign    ours {our_sign:10.0f}/s   openssl {ssl_sign:10.0f}/s")
    print(
        f"ed25519 verify  ours {our_verify:10.0f}/s   openssl {ssl_verify:10.0f}/s  "
        f"(ratio {our_verify / ssl_verify:.2f})"
    )
    print(
        f"PAdES sign (with TSA) 1 page: {pades[1] * 1000:.0f} ms, "
        f"50 pages: {pades[50] * 1000:.0f} ms"
    )
    print(
        json.dumps(
            {
                "bench": "signing_ed25519_sign",
                "ours": round(our_sign, 1),
                "baseline": round(ssl_sign, 1),
                "unit": "signatures/s",
                "ratio": round(our_sign / ssl_sign, 3),
            }
        )
    )


if __name__ == "__main__":
    main()
