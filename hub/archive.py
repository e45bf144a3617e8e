"""Re-timestamping archived acts: ``qiaolink retimestamp FILE...``.

A signed act stays verifiable only while the certificate of its newest document timestamp is
valid (see :mod:`signing.ltv`). Before the hub TSA's certificate ends, the archivist runs this
command over the archived certificates and agreements: each file gets the validation data of
its last timestamp and a new document timestamp from the hub, as an incremental update, so
every earlier byte (and every signature) stays as it was.
"""

from __future__ import annotations

import io
import os
from pathlib import Path

from pyhanko.pdf_utils.misc import PdfError
from pyhanko.pdf_utils.reader import PdfFileReader

from common.clock import Clock
from common.settings import HubSettings
from hub.pki import open_pki
from signing.ltv import extend_timestamps

__all__ = ["NotArchived", "retimestamp_files"]


class NotArchived(ValueError):
    """The file is not a signed PDF closed by a document timestamp (PAdES B-LTA)."""


def _check_archived(path: Path, pdf: bytes) -> None:
    try:
        reader = PdfFileReader(io.BytesIO(pdf), strict=False)
        kinds = [sig.sig_object_type for sig in reader.embedded_signatures]
    except (PdfError, ValueError, KeyError, IndexError):
        raise NotArchived(f"{path}: not a readable PDF") from None
    if "/DocTimeStamp" not in kinds:
        raise NotArchived(f"{path}: carries no document timestamp (not a long-term signed act)")


def retimestamp_files(settings: HubSettings, paths: list[Path], clock: Clock) -> list[str]:
    """Extend each file's timestamp chain in place; one line per file. Checks all files first."""
    documents = [(path, path.read_bytes()) for path in paths]
    for path, pdf in documents:
        _check_archived(path, pdf)
    pki = open_pki(settings, clock)
    report = []
    for path, pdf in documents:
        now = clock.now()
        extended = extend_timestamps(
            pdf, timestamper=pki.timestamper(), evidence=pki.evidence(), at=now
        )
        temporary = path.with_name(path.name + ".retimestamp")
        temporary.write_bytes(extended)
        os.replace(temporary, path)  # all or nothing for each file
        report.append(f"{path}: timestamped again at {now.isoformat(timespec='seconds')}")
    return report
