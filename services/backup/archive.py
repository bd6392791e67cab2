"""A backup is one folder, bandeng-backup-<UTC instant>: the database copy, the photo store beside it and a
manifest. It is written under a hidden name and renamed when complete, so a folder with the final name is
whole. Photos are content-addressed and never change, so each is hard-linked from the newest earlier backup
when it is there already (a daily backup costs only the new photos)."""

from __future__ import annotations

import hashlib
import json
import os
import shutil
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import Any

from core.files import private_dirs
from services.backup import databases
from services.errors import Invalid

PREFIX = "bandeng-backup-"
MANIFEST = "manifest.json"
FORMAT = 1


@dataclass(frozen=True)
class Sources:
    database_url: str
    attachments_dir: Path


def take(sources: Sources, backups_dir: Path, *, now: datetime) -> Path:
    """Back up the database and the photo store into a new folder under `backups_dir`; returns it."""
    private_dirs(backups_dir)
    name = f"{PREFIX}{now.strftime('%Y%m%dT%H%M%S.%fZ')}"
    partial = backups_dir / f".{name}.partial"
    shutil.rmtree(partial, ignore_errors=True)
    partial.mkdir(mode=0o700)
    dump = partial / databases.dump_file_name(sources.database_url)
    databases.dump(sources.database_url, dump)  # first: every photo a backed-up row names is on disk by now
    previous = backups(backups_dir)
    photos = _copy_photos(sources.attachments_dir, partial / "attachments", previous[-1] if previous else None)
    manifest = {
        "format": FORMAT,
        "created_at": now.isoformat(),
        "database": {"dialect": databases.dialect(sources.database_url), "file": dump.name, "sha256": _sha256(dump)},
        "attachments": {"folder": "attachments", "files": photos},
    }
    (partial / MANIFEST).write_text(json.dumps(manifest, indent=2), encoding="utf-8")
    os.chmod(partial / MANIFEST, 0o600)
    final = backups_dir / name
    os.replace(partial, final)
    return final


def restore(backup: Path, sources: Sources, *, replace: bool) -> dict[str, Any]:
    """Load a backup into the configured database and photo store; a database that holds tables is refused
    unless `replace`. Returns the backup's manifest."""
    manifest = read_manifest(backup)
    dump = backup / manifest["database"]["file"]
    if manifest["database"]["dialect"] != databases.dialect(sources.database_url):
        raise Invalid(
            f"这份备份是 {manifest['database']['dialect']} 数据库的，与当前配置的数据库不同", code="wrong_dialect"
        )
    if _sha256(dump) != manifest["database"]["sha256"]:
        raise Invalid("备份的数据库文件已损坏（校验值不符）", code="backup_corrupt")
    databases.load(sources.database_url, dump, replace=replace)
    photos = backup / manifest["attachments"]["folder"]
    if photos.is_dir():
        private_dirs(sources.attachments_dir)
        shutil.copytree(photos, sources.attachments_dir, dirs_exist_ok=True)
    return manifest


def read_manifest(backup: Path) -> dict[str, Any]:
    try:
        manifest: dict[str, Any] = json.loads((backup / MANIFEST).read_text(encoding="utf-8"))
    except (OSError, ValueError):
        raise Invalid(f"{backup} 不是完整的板凳备份（没有可读的 {MANIFEST}）", code="not_a_backup") from None
    if manifest.get("format") != FORMAT:
        raise Invalid(f"不认识的备份格式 {manifest.get('format')}", code="not_a_backup")
    return manifest


def backups(backups_dir: Path) -> list[Path]:
    """The complete backups under `backups_dir`, oldest first."""
    if not backups_dir.is_dir():
        return []
    return sorted(p for p in backups_dir.iterdir() if p.name.startswith(PREFIX) and (p / MANIFEST).is_file())


def prune(backups_dir: Path, keep: int) -> list[Path]:
    """Remove all but the newest `keep` backups; returns the removed ones."""
    old = backups(backups_dir)[:-keep] if keep > 0 else []
    for path in old:
        shutil.rmtree(path)
    return old


def _copy_photos(source: Path, target: Path, previous: Path | None) -> int:
    copied = 0
    if not source.is_dir():
        return copied
    for path in sorted(source.rglob("*")):
        if not path.is_file() or path.name.startswith(".tmp-"):  # a photo still being written is not one yet
            continue
        relative = path.relative_to(source)
        destination = target / relative
        private_dirs(destination.parent)
        earlier = previous / "attachments" / relative if previous else None
        try:
            if earlier is None or not earlier.is_file():
                raise OSError
            os.link(earlier, destination)
        except OSError:
            shutil.copy2(path, destination)
        copied += 1
    return copied


def _sha256(path: Path) -> str:
    digest = hashlib.sha256()
    with path.open("rb") as f:
        for block in iter(lambda: f.read(1 << 20), b""):
            digest.update(block)
    return digest.hexdigest()
