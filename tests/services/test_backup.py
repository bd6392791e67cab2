"""Backups of a SQLite file the server keeps writing to: every row acknowledged before the backup started comes
back on restore; restore refuses a database that is not empty unless told; the daily job keeps N backups."""

from __future__ import annotations

import sqlite3
import threading
import time
from datetime import UTC, datetime, timedelta
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import text

from core.db import make_engine
from services.backup import archive
from services.errors import Conflict
from tests.conftest import alembic_config

NOW = datetime(2026, 12, 7, 18, 53, tzinfo=UTC)


@pytest.fixture
def live(tmp_path: Path) -> archive.Sources:
    """A migrated SQLite file with one photo in its store, as the server leaves them."""
    db = tmp_path / "live.db"
    engine = make_engine(f"sqlite:///{db}")
    with engine.begin() as conn:
        config = alembic_config()
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    engine.dispose()
    photo = tmp_path / "attachments" / "ab" / "cd" / ("abcd" + "0" * 60)
    photo.parent.mkdir(parents=True)
    photo.write_bytes(b"jpeg")
    return archive.Sources(f"sqlite:///{db}", tmp_path / "attachments")


def _write_until(stop: threading.Event, url: str, acknowledged: list[str]) -> None:
    """The server's writes: each row committed, then (and only then) acknowledged."""
    engine = make_engine(url)
    insert = text(
        "INSERT INTO category (name, request_class, sort_order, is_active, created_at)"
        " VALUES (:name, 'consult', 0, 1, '2026-12-07 10:00:00')"
    )
    i = 0
    while not stop.is_set():
        name = f"load-{i}"
        with engine.begin() as conn:
            conn.execute(insert, {"name": name})
        acknowledged.append(name)
        i += 1
    engine.dispose()


def test_a_backup_under_write_load_restores_every_row_acknowledged_before_it(
    live: archive.Sources, tmp_path: Path
) -> None:
    acknowledged: list[str] = []
    stop = threading.Event()
    writer = threading.Thread(target=_write_until, args=(stop, live.database_url, acknowledged))
    writer.start()
    try:
        while len(acknowledged) < 200:
            time.sleep(0.01)
        before = list(acknowledged)
        made = archive.take(live, tmp_path / "backups", now=NOW)
        time.sleep(0.1)
    finally:
        stop.set()
        writer.join()
    assert len(acknowledged) > len(before)  # the writer went on during and after the backup
    fresh = archive.Sources(f"sqlite:///{tmp_path / 'restored.db'}", tmp_path / "restored-photos")
    manifest = archive.restore(made, fresh, replace=False)
    with sqlite3.connect(tmp_path / "restored.db") as conn:
        restored = {row[0] for row in conn.execute("SELECT name FROM category WHERE name LIKE 'load-%'")}
        assert conn.execute("PRAGMA integrity_check").fetchone() == ("ok",)
    assert set(before) <= restored
    assert manifest["attachments"]["files"] == 1
    assert (fresh.attachments_dir / "ab" / "cd" / ("abcd" + "0" * 60)).read_bytes() == b"jpeg"


def test_restore_refuses_a_database_that_is_not_empty_unless_forced(live: archive.Sources, tmp_path: Path) -> None:
    made = archive.take(live, tmp_path / "backups", now=NOW)
    with pytest.raises(Conflict) as refused:
        archive.restore(made, live, replace=False)
    assert refused.value.code == "database_not_empty"
    assert archive.restore(made, live, replace=True)["format"] == archive.FORMAT


def test_pruning_keeps_the_newest_and_photos_are_linked_not_copied_again(live: archive.Sources, tmp_path: Path) -> None:
    folder = tmp_path / "backups"
    made = [archive.take(live, folder, now=NOW + timedelta(days=day)) for day in range(4)]
    photo = Path("attachments") / "ab" / "cd" / ("abcd" + "0" * 60)
    assert (made[0] / photo).stat().st_ino == (made[3] / photo).stat().st_ino
    assert archive.prune(folder, 2) == made[:2]
    assert archive.backups(folder) == made[2:]


def test_the_daily_job_keeps_the_newest_n_and_zero_turns_it_off(
    live: archive.Sources, tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    from core.settings import get_settings
    from workers import jobs

    folder = tmp_path / "daily"
    monkeypatch.setenv("BANDENG_BACKUP_DIR", str(folder))
    monkeypatch.setenv("BANDENG_ATTACHMENTS_DIR", str(live.attachments_dir))
    engine = make_engine(live.database_url)
    try:
        monkeypatch.setenv("BANDENG_BACKUP_KEEP", "0")
        get_settings.cache_clear()
        assert jobs.back_up_daily(NOW, engine=engine) == 0 and archive.backups(folder) == []
        monkeypatch.setenv("BANDENG_BACKUP_KEEP", "2")
        get_settings.cache_clear()
        removed = [jobs.back_up_daily(NOW + timedelta(days=day), engine=engine) for day in range(3)]
    finally:
        engine.dispose()
        monkeypatch.undo()
        get_settings.cache_clear()
    assert removed == [0, 0, 1] and len(archive.backups(folder)) == 2
