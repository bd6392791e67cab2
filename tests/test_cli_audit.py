"""`bandeng audit verify`: exit 0 on an intact chain, 1 naming the first broken row."""

from __future__ import annotations

import sqlite3
from pathlib import Path

from core.db import make_engine, session_scope
from services import audit
from tests.test_cli import _bandeng


def test_audit_verify_names_an_edited_row(tmp_path: Path) -> None:
    db = tmp_path / "cli.db"
    assert _bandeng(db, "migrate").returncode == 0
    engine = make_engine(f"sqlite:///{db}")
    for action in ("login", "export", "permission_change"):
        with session_scope(engine) as session:
            audit.record(session, action, reason="核对")
    engine.dispose()
    intact = _bandeng(db, "audit", "verify")
    assert intact.returncode == 0 and "已核对 3 条" in intact.stdout, intact.stderr
    with sqlite3.connect(db) as conn:
        conn.execute("UPDATE audit_log SET reason = '改过' WHERE seq = 2")
    broken = _bandeng(db, "audit", "verify")
    assert broken.returncode == 1 and "seq=2" in broken.stderr and "hash_mismatch" in broken.stderr
