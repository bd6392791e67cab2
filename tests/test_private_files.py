"""The data folder, the SQLite file and stored photos are private to the account Bandeng runs as."""

from __future__ import annotations

import stat
from pathlib import Path

from sqlalchemy import text

from core.db import make_engine
from services.gridwork.storage import LocalBlobStore


def _mode(path: Path) -> int:
    return stat.S_IMODE(path.stat().st_mode)


def test_the_sqlite_file_and_its_folder(tmp_path: Path) -> None:
    db = tmp_path / "data" / "deep" / "bandeng.db"
    before = _mode(tmp_path)
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        conn.execute(text("CREATE TABLE t (x INTEGER)"))
        conn.execute(text("INSERT INTO t VALUES (1)"))
    assert _mode(tmp_path / "data") == 0o700 and _mode(db.parent) == 0o700
    assert _mode(db) == 0o600
    wal = db.with_name("bandeng.db-wal")
    assert not wal.exists() or _mode(wal) == 0o600
    engine.dispose()
    assert _mode(tmp_path) == before  # a folder that already existed is left as it was


def test_photo_folders(tmp_path: Path) -> None:
    store = LocalBlobStore(tmp_path / "attachments")
    key = store.put(b"photo")
    path = tmp_path / "attachments" / key[:2] / key[2:4] / key
    for folder in (tmp_path / "attachments", path.parent.parent, path.parent):
        assert _mode(folder) == 0o700, folder
    assert _mode(path) == 0o600
