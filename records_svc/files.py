"""Where document and edition files live: generated names under one directory.

A file's name on disk is never derived from what a client sent; the original
name is only metadata in the database.
"""

from __future__ import annotations

import hashlib
import logging
import os
import uuid
from collections.abc import Iterable, Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import IO

from config.private_files import FILE_MODE, private_dir

log = logging.getLogger(__name__)

CHUNK = 1024 * 1024
#: sub-directories of the store: uploaded and attached documents, edition outputs
DOCUMENTS, EDITIONS = "files", "editions"


class TooLargeError(Exception):
    """The stream went past the size limit (nothing was kept)."""


@dataclass(frozen=True)
class StoredFile:
    """A file written to the store: its key (relative path), size, SHA-256 and first bytes."""

    key: str
    size: int
    sha256: str
    head: bytes


class FileStore:
    def __init__(self, root: Path) -> None:
        self.root = Path(root)

    def path(self, key: str) -> Path:
        """The path of a stored key; keys are generated here, never taken from a client."""
        path = (self.root / key).resolve()
        if self.root.resolve() not in path.parents:
            raise ValueError(f"not a key of this store: {key!r}")
        return path

    def write(
        self, stream: IO[bytes], *, area: str = DOCUMENTS, max_bytes: int | None = None
    ) -> StoredFile:
        """Copy ``stream`` under a new generated name, hashing it; past ``max_bytes``, keep nothing."""
        key = f"{area}/{uuid.uuid4().hex}"
        target = self.root / key
        private_dir(target.parent)
        tmp = target.with_name(target.name + ".part")
        digest, size, head = hashlib.sha256(), 0, b""
        try:
            with os.fdopen(
                os.open(tmp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, FILE_MODE), "wb"
            ) as out:
                while chunk := stream.read(CHUNK):
                    size += len(chunk)
                    if max_bytes is not None and size > max_bytes:
                        raise TooLargeError(f"more than {max_bytes} bytes")
                    if len(head) < 4096:
                        head += chunk[: 4096 - len(head)]
                    digest.update(chunk)
                    out.write(chunk)
            os.replace(tmp, target)
        except BaseException:
            tmp.unlink(missing_ok=True)
            raise
        return StoredFile(key=key, size=size, sha256=digest.hexdigest(), head=head)

    def write_bytes(self, data: bytes, *, area: str = DOCUMENTS) -> StoredFile:
        import io

        return self.write(io.BytesIO(data), area=area)

    def remove(self, keys: Iterable[str]) -> None:
        """Remove files; a file already gone is fine (removal runs after commit, maybe twice)."""
        for key in keys:
            try:
                self.path(key).unlink(missing_ok=True)
            except OSError:
                log.warning("could not remove %s", key, exc_info=True)

    def keys(self, area: str) -> Iterator[tuple[str, float]]:
        """Every file of ``area`` (unfinished ``.part`` ones too) with its modification time."""
        base = self.root / area
        if not base.is_dir():
            return
        for entry in sorted(base.iterdir()):
            if entry.is_file():
                yield f"{area}/{entry.name}", entry.stat().st_mtime

    def exists(self, key: str) -> bool:
        return self.path(key).is_file()
