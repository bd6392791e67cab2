"""Downgrades against their own SQLite file, as an operator runs them: rows people entered are never
dropped unless forced (migrations/guard.py), and an empty database still goes down to base."""

from __future__ import annotations

import os
import sqlite3
import subprocess
import sys
import uuid
from pathlib import Path

from core.settings import ROOT

BEFORE_CALLBACKS = "648876f985b4"  # the revision below the one that created `callback`


def _alembic(db: Path, *args: str) -> subprocess.CompletedProcess[str]:
    env = dict(os.environ, BANDENG_DATABASE_URL=f"sqlite:///{db}", BANDENG_LOG_LEVEL="WARNING")
    env.pop("TEST_DATABASE_URL", None)
    return subprocess.run(
        [sys.executable, "-m", "alembic", *args], cwd=ROOT, env=env, capture_output=True, text=True, timeout=120
    )


def _one(db: Path, query: str) -> object:
    with sqlite3.connect(db) as conn:
        return conn.execute(query).fetchone()


def test_a_downgrade_that_would_drop_callbacks_refuses_with_the_count_and_forced_it_goes(tmp_path: Path) -> None:
    db = tmp_path / "guard.db"
    assert _alembic(db, "upgrade", "head").returncode == 0
    head = _one(db, "SELECT version_num FROM alembic_version")
    with sqlite3.connect(db) as conn:  # foreign keys off: the callbacks need no parents here
        conn.executemany(
            "INSERT INTO callback (resident_request_id, cycle, attempt, reached, called_by_id, called_unit_id,"
            " called_at) VALUES (?, 1, 1, 1, 1, 1, '2026-12-07 10:00:00')",
            [(uuid.uuid4().hex,), (uuid.uuid4().hex,)],
        )
    refused = _alembic(db, "downgrade", BEFORE_CALLBACKS)
    assert refused.returncode != 0
    assert "downgrade refused" in refused.stderr and "callback: 2" in refused.stderr and "force=true" in refused.stderr
    assert _one(db, "SELECT version_num FROM alembic_version") == head  # nothing changed, not even a step
    assert _one(db, "SELECT count(*) FROM callback") == (2,)
    forced = _alembic(db, "-x", "force=true", "downgrade", BEFORE_CALLBACKS)
    assert forced.returncode == 0, forced.stderr
    assert _one(db, "SELECT version_num FROM alembic_version") == (BEFORE_CALLBACKS,)
    assert _one(db, "SELECT count(*) FROM sqlite_master WHERE name = 'callback'") == (0,)


def test_an_empty_database_downgrades_to_base_without_forcing(tmp_path: Path) -> None:
    db = tmp_path / "empty.db"
    assert _alembic(db, "upgrade", "head").returncode == 0
    down = _alembic(db, "downgrade", "base")
    assert down.returncode == 0, down.stderr
    assert _one(db, "SELECT count(*) FROM sqlite_master WHERE type = 'table' AND name != 'alembic_version'") == (0,)
