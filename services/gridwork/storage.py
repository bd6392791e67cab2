"""Where attachment bytes live: a tiny content-addressed store, local disk now, S3-compatible later."""

from __future__ import annotations

import hashlib
import os
import re
import tempfile
from pathlib import Path
from typing import Protocol

from core.files import private_dirs
from core.settings import get_settings

_KEY = re.compile(r"^[0-9a-f]{64}$")


class BlobStore(Protocol):
    """Blobs keyed by the SHA-256 (lowercase hex) of their bytes; putting the same bytes twice is a no-op."""

    def put(self, data: bytes) -> str: ...

    def get(self, key: str) -> bytes | None: ...

    def exists(self, key: str) -> bool: ...


class LocalBlobStore:
    """Files under root/ab/cd/<sha256>, written to a temporary file first and renamed into place, so a
    reader never sees half a file and a crash leaves no partial blob under its final name; folders 0700,
    files 0600 (photos are personal data)."""

    def __init__(self, root: Path) -> None:
        self.root = root

    def _path(self, key: str) -> Path:
        if not _KEY.match(key):
            raise ValueError("a blob key is a lowercase hex SHA-256")
        return self.root / key[:2] / key[2:4] / key

    def put(self, data: bytes) -> str:
        key = hashlib.sha256(data).hexdigest()
        path = self._path(key)
        if path.is_file():
            return key
        private_dirs(path.parent)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")  # 0600, kept by the rename
        try:
            with os.fdopen(fd, "wb") as out:
                out.write(data)
                out.flush()
                os.fsync(out.fileno())
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise
        return key

    def get(self, key: str) -> bytes | None:
        path = self._path(key)
        return path.read_bytes() if path.is_file() else None

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()


def get_store() -> BlobStore:
    """The configured store: local disk under BANDENG_ATTACHMENTS_DIR."""
    return LocalBlobStore(get_settings().attachments_dir)
