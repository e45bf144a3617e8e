"""Janus's per-stream recordings turned into playable files, each named for whose stream it is.

Janus writes one ``.mjr`` per published stream (``videoroom-<room>-user-<feed>-<ts>-<kind>-<n>``)
without decoding anything. After the session ``janus-pp-rec`` turns each into ``.webm`` (VP8)
or ``.opus``; the feed id in the file name says which publication it was, and a publication
says who published it, in which role, from when to when.
"""

from __future__ import annotations

import asyncio
import re
from dataclasses import dataclass, field
from datetime import datetime
from pathlib import Path

from media.recorder import sha256_file

__all__ = ["Publication", "RecordedStream", "convert_recordings", "parse_mjr_name"]

_MJR = re.compile(
    r"^videoroom-(?P<room>\d+)-user-(?P<feed>\d+)-(?P<ts>\d+)-(?P<kind>audio|video)-\d+\.mjr$"
)
SUFFIX = {"audio": ".opus", "video": ".webm"}


@dataclass
class Publication:
    """One member publishing once (a rebuilt connection is a new publication)."""

    feed: int
    participant: str
    role: str
    start: datetime | None = None  # when Janus said its media is up
    end: datetime | None = None
    mids: dict[str, str] = field(default_factory=dict)  # kind -> its mid at Janus

    @property
    def live(self) -> bool:
        return self.start is not None and self.end is None


@dataclass(frozen=True)
class RecordedStream:
    participant: str
    role: str
    kind: str
    start: datetime
    end: datetime
    path: Path
    size: int
    sha256: str

    def describe(self) -> dict[str, str | int]:
        return {
            "participant": self.participant,
            "role": self.role,
            "kind": self.kind,
            "start": self.start.isoformat(),
            "end": self.end.isoformat(),
            "name": self.path.name,
            "size": self.size,
            "sha256": self.sha256,
        }


def parse_mjr_name(name: str) -> tuple[int, int, str] | None:
    """``(room, feed, kind)`` of a Janus VideoRoom recording file name, else ``None``."""
    found = _MJR.match(name)
    if found is None:
        return None
    return int(found["room"]), int(found["feed"]), found["kind"]


async def _pp_rec(source: Path, target: Path, title: str) -> bool:
    process = await asyncio.create_subprocess_exec(
        "janus-pp-rec",
        "--metadata",
        title,  # the file itself says whose stream it is
        str(source),
        str(target),
        stdout=asyncio.subprocess.DEVNULL,
        stderr=asyncio.subprocess.PIPE,
    )
    await process.communicate()
    return process.returncode == 0


def _keep(source: Path, target: Path) -> tuple[int, str] | None:
    """The converted file's size and SHA-256 (the ``.mjr`` then goes), or ``None`` if empty."""
    if not target.exists() or target.stat().st_size == 0:
        target.unlink(missing_ok=True)
        return None
    source.unlink()
    return target.stat().st_size, sha256_file(target)


async def convert_recordings(
    directory: Path,
    room: int,
    publications: dict[int, Publication],
    *,
    session_id: str,
    ended: datetime,
) -> list[RecordedStream]:
    """Every stream Janus recorded in ``room``, converted, hashed and named, in feed order.

    A recording of a feed we did not publish, or one that holds no media (``janus-pp-rec``
    fails on it), is left in place and not part of the result. Converted ``.mjr`` files are
    removed: the named files are the recording from now on.
    """
    found: list[tuple[int, str, Path]] = []
    for path in await asyncio.to_thread(lambda: list(directory.iterdir())):
        parsed = parse_mjr_name(path.name)
        if parsed is not None and parsed[0] == room and parsed[1] in publications:
            found.append((parsed[1], parsed[2], path))
    streams: list[RecordedStream] = []
    for feed, kind, path in sorted(found):
        publication = publications[feed]
        name = f"{session_id}-{feed:03d}-{publication.participant}-{kind}{SUFFIX[kind]}"
        target = directory / name
        title = f"{publication.participant} ({publication.role}) {kind}"
        if not await _pp_rec(path, target, title):
            continue
        kept = await asyncio.to_thread(_keep, path, target)
        if kept is None:
            continue
        size, digest = kept
        start = publication.start or ended
        streams.append(
            RecordedStream(
                publication.participant,
                publication.role,
                kind,
                start,
                publication.end or ended,
                target,
                size,
                digest,
            )
        )
    return streams
