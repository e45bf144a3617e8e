"""Sealing a recording of named streams (Janus plane): each stream file archived encrypted
with its own manifest, as any segment is, and one signed manifest naming every stream.

CPU and file work: run :func:`seal_stream_recording` in an executor.
"""

from __future__ import annotations

import hashlib
import json
from collections.abc import Sequence
from datetime import datetime
from pathlib import Path

from hub.seal import RecordingArchive
from media.janus import RecordedStream
from signing.streams import seal_streams

__all__ = ["seal_stream_recording", "streams_manifest_path"]


def streams_manifest_path(directory: Path, session_id: str) -> Path:
    return directory / f"{session_id}-streams.manifest.json"


def seal_stream_recording(
    archive: RecordingArchive, streams: Sequence[RecordedStream], *, session_id: str, at: datetime
) -> tuple[Path, str]:
    """The stream manifest's path and SHA-256, once every stream is archived."""
    sealed = []
    for stream in streams:
        archive.seal_file(stream.path, session_id=session_id, at=at)
        stored = stream.path.with_name(stream.path.name + ".qlenv")
        about = {k: str(v) for k, v in stream.describe().items()}
        sealed.append((about, stored.name, stored.read_bytes()))
    manifest = seal_streams(
        sealed,
        session_id=session_id,
        recorded_at=at,
        key=archive.key,
        certificate=archive.certificate,
    )
    path = streams_manifest_path(streams[0].path.parent, session_id)
    text = json.dumps(manifest, indent=1, ensure_ascii=False).encode()
    path.write_bytes(text)
    return path, hashlib.sha256(text).hexdigest()
