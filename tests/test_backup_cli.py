"""`bandeng backup` and `bandeng restore` as an operator runs them, on SQLite files of their own."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

from core.settings import ROOT


def _bandeng(db: Path, photos: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(
        os.environ,
        BANDENG_DATABASE_URL=f"sqlite:///{db}",
        BANDENG_ATTACHMENTS_DIR=str(photos),
        BANDENG_LOG_LEVEL="WARNING",
    )
    env.pop("TEST_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "bandeng", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def test_backup_then_restore_into_a_fresh_file_and_refuse_to_overwrite(tmp_path: Path) -> None:
    live, photos = tmp_path / "live.db", tmp_path / "photos"
    assert _bandeng(live, photos, "migrate").returncode == 0
    made = _bandeng(live, photos, "backup", "--to", str(tmp_path / "backups"), "--keep", "3")
    assert made.returncode == 0, made.stderr
    [backup] = (tmp_path / "backups").iterdir()
    manifest = json.loads((backup / "manifest.json").read_text())
    assert manifest["database"] == manifest["database"] | {"dialect": "sqlite", "file": "database.sqlite3"}
    assert (backup / "database.sqlite3").stat().st_mode & 0o077 == 0  # personal data: the owner's only
    fresh = tmp_path / "fresh.db"
    restored = _bandeng(fresh, tmp_path / "photos-2", "restore", str(backup))
    assert restored.returncode == 0, restored.stderr
    refused = _bandeng(fresh, tmp_path / "photos-2", "restore", str(backup))
    assert refused.returncode == 2 and "--force" in refused.stderr
    assert _bandeng(fresh, tmp_path / "photos-2", "restore", "--force", str(backup)).returncode == 0
