"""Signing throughput: our tree-head / seal path (Ed25519) beside `openssl speed ed25519`.

Ours = :func:`signing.merkle.sign_tree_head` and ``SignedTreeHead.verify`` (canonical encoding
plus Ed25519 through ``signing.primitives``); baseline = OpenSSL's own Ed25519 loop, run now on
the same machine, in alternating rounds; each figure is the median of the rounds with its
spread. Also prints the time to sign one document (in-process TSA) as PAdES B-T and as B-LTA
(chain and revocation list in the DSS, then a document timestamp), for a 1-page and a 50-page
PDF, median and spread of five. Last line: the JSON object (signatures/s, ratio = ours /
openssl).
"""

from __future__ import annotations

import json
import re
import statistics
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
from signing.ltv import LongTermEvidence
from signing.merkle import sign_tree_head
from signing.pades import sign_pdf, signer_from_store
from signing.tsa import TimestampAuthority, in_process
from tests.signing_support.pdfs import make_pdf

SECONDS = 2.0


def rate(fn, seconds: float = SECONDS) -> float:  # type: ignore[no-untyped-def]
    """Calls per second of this process's CPU time, as `openssl speed` counts by default (its
    user time): on a shared machine, wall time would charge us for our neighbours."""
    n, start = 0, time.process_time()
    while (elapsed := time.process_time() - start) < seconds:
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


def pades_seconds(runs: int = 5) -> dict[tuple[str, int], list[float]]:
    """Seconds to sign one document, per (level, pages): B-T, and B-LTA with its evidence."""
    at = datetime.now(UTC)
    with tempfile.TemporaryDirectory() as tmp:
        store = FileKeyStore(Path(tmp), b"bench passphrase 0123456789")
        ca = CertificateAuthority.open(
            store, name="Bench CA", at=at, crl_url="https://hub.example.org/api/pki/crl"
        )
        ca.enrol(store, role=Role.TSA, key_name="tsa", common_name="TSA", ident="T", at=at)
        ca.enrol(store, role=Role.NOTARY, key_name="n", common_name="Notary", ident="N", at=at)
        tsa_key = store.get_key("tsa")
        tsa = TimestampAuthority(
            key=tsa_key,
            certificate=store.get_certificate("tsa"),  # type: ignore[arg-type]
            clock=SystemClock(),
        )
        signer = signer_from_store(store, "n", chain=(ca.certificate,))
        evidence = LongTermEvidence((ca.certificate,), (ca.crl(at=at),))
        result: dict[tuple[str, int], list[float]] = {}
        for pages in (1, 50):
            pdf = make_pdf(pages)
            for _ in range(runs):
                for level, extra in (("B-T", None), ("B-LTA", evidence)):
                    start = time.perf_counter()
                    sign_pdf(
                        pdf,
                        signer=signer,
                        field="Notary",
                        timestamper=in_process(tsa),
                        reason="Notarized",
                        evidence=extra,
                    )
                    result.setdefault((level, pages), []).append(time.perf_counter() - start)
    return result


def _spread(values: list[float]) -> str:
    return f"median {statistics.median(values):.0f}, {min(values):.0f}–{max(values):.0f}"


def main(rounds: int = 3) -> None:
    signs: list[float] = []
    verifies: list[float] = []
    ssl_signs: list[float] = []
    ssl_verifies: list[float] = []
    for _ in range(rounds):  # alternating, so a neighbour's burst falls on both alike
        sign, verify = ours()
        ssl_sign, ssl_verify = openssl()
        signs.append(sign)
        verifies.append(verify)
        ssl_signs.append(ssl_sign)
        ssl_verifies.append(ssl_verify)
    pades = pades_seconds()
    print(f"ed25519 sign    ours {_spread(signs)}/s   openssl {_spread(ssl_signs)}/s")
    print(f"ed25519 verify  ours {_spread(verifies)}/s   openssl {_spread(ssl_verifies)}/s")
    for (level, pages), seconds in sorted(pades.items(), key=lambda kv: (kv[0][1], kv[0][0])):
        ms = [s * 1000 for s in seconds]
        print(f"PAdES {level:5} {pages:2} page(s): {_spread(ms)} ms per document")
    our_sign, ssl_sign = statistics.median(signs), statistics.median(ssl_signs)
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
