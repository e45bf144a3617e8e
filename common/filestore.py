"""Content-addressed files under a data directory (materials, attachments)."""

from __future__ import annotations

import hashlib
import os
import tempfile
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path

__all__ = ["FileStore"]


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if len(key) != 64 or any(c not in "0123456789abcdef" for c in key):
            raise ValueError("a storage key is a SHA-256 hex digest")
        return self.root / key[:2] / key

    def put(self, key: str, data: bytes) -> bool:
        """Store ``data``; True when the file is new, so that a failed commit can remove it."""
        path = self._path(key)
        if path.exists():
            return False
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent)
        with os.fdopen(fd, "wb") as fh:
            fh.write(data)
        os.replace(tmp, path)
        return True

    def get(self, key: str) -> bytes:
        return self._path(key).read_bytes()

    def remove(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    @asynccontextmanager
    async def kept(self, data: bytes) -> AsyncIterator[str]:
        """Store ``data`` under its SHA-256 for a block that records it; should the block fail,
        a file it added is removed again, so a lost commit leaves nothing half-stored."""
        key = hashlib.sha256(data).hexdigest()
        written = self.put(key, data)
        try:
            yield key
        except BaseException:
            if written:
                self.remove(key)
            raise

    @asynccontextmanager
    async def keeping(self) -> AsyncIterator[list[str]]:
        """A list for the keys of the files a block adds; should the block fail, each is
        removed again (the commit that would have named them did not happen)."""
        written: list[str] = []
        try:
            yield written
        except BaseException:
            for key in written:
                self.remove(key)
            raise
