"""Files that hold personal data (the SQLite database, photos) are private to the account Bandeng runs as."""

from __future__ import annotations

import contextlib
import os
from pathlib import Path


def private_dirs(path: Path) -> None:
    """Create `path` and its missing parents as 0700; folders that exist already are left as they are."""
    missing: list[Path] = []
    while not path.exists():
        missing.append(path)
        path = path.parent
    for folder in reversed(missing):
        with contextlib.suppress(FileExistsError):  # another process made it meanwhile
            folder.mkdir(mode=0o700)


def private_file(path: Path) -> None:
    """Create `path` empty as 0600 unless it exists (SQLite then gives its -wal and -shm files the same mode)."""
    with contextlib.suppress(FileExistsError):
        os.close(os.open(path, os.O_CREAT | os.O_EXCL | os.O_WRONLY, 0o600))
