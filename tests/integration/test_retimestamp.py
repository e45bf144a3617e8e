"""``qiaolink retimestamp``: archived acts get a newer timestamp, every earlier byte kept."""

from __future__ import annotations

import io
import os
import subprocess
import sys
from pathlib import Path

from pyhanko.pdf_utils.reader import PdfFileReader

from common.clock import SystemClock
from common.settings import HubSettings
from hub.pki import open_pki
from signing.ltv import long_term_status
from signing.pades import sign_pdf
from tests.signing_support.pdfs import make_pdf


def _stamps(pdf: bytes) -> int:
    reader = PdfFileReader(io.BytesIO(pdf))
    return sum(s.sig_object_type == "/DocTimeStamp" for s in reader.embedded_signatures)


def _run(tmp_path: Path, *files: Path) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "common.cli", "retimestamp", *map(str, files)],
        env={**os.environ, "QIAOLINK_HUB_DATA_DIR": str(tmp_path)},
        capture_output=True,
        text=True,
        timeout=120,
    )


def test_an_archived_certificate_is_timestamped_again_in_place(tmp_path: Path) -> None:
    clock = SystemClock()
    pki = open_pki(HubSettings(data_dir=tmp_path), clock)
    act = tmp_path / "GZ-2026-0001.pdf"
    signed = sign_pdf(
        make_pdf(title="Notarial certificate"),
        signer=pki.seal_signer(),
        field="Seal",
        timestamper=pki.timestamper(),
        reason="Sealed",
        evidence=pki.evidence(),
    )
    act.write_bytes(signed)
    plain = tmp_path / "unsigned.pdf"
    plain.write_bytes(make_pdf())

    refused = _run(tmp_path, act, plain)  # one file is not an archived act: nothing is done
    assert refused.returncode == 2
    assert "unsigned.pdf: carries no document timestamp" in refused.stderr
    assert act.read_bytes() == signed

    done = _run(tmp_path, act)
    assert done.returncode == 0, done.stderr
    assert "GZ-2026-0001.pdf: timestamped again at" in done.stdout
    extended = act.read_bytes()
    assert extended.startswith(signed)  # an incremental update: the signed bytes stay
    assert _stamps(extended) == _stamps(signed) + 1
    now = clock.now()
    [status] = long_term_status(
        extended, trust_roots=pki.trust_roots, at=now, current_crls=[pki.crl()]
    )
    assert (status.field, status.indication) == ("Seal", "OK")
