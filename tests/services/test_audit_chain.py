"""The chain in the database: concurrent writers build one chain; an edit or a deletion made directly in the
database is named by the verifier."""

from __future__ import annotations

from collections.abc import Iterator
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlmodel import Session

from core.db import make_engine, session_scope
from models.audit import AuditChainHead
from services import audit, audit_chain
from services.rules.audit_chain import Broken, Verdict
from tests.conftest import alembic_config

THREADS, PER_THREAD = 8, 125  # 1,000 rows here; bench/audit_chain.py writes 10,000


@pytest.fixture
def committed(engine: Engine, tmp_path: Path) -> Iterator[Engine]:
    """A database whose commits are real: on SQLite a migrated file of its own; on PostgreSQL the test
    database, from which the rows the test wrote are removed afterwards (and the head moved back)."""
    if engine.dialect.name == "sqlite":
        own = make_engine(f"sqlite:///{tmp_path / 'chain.db'}")
        with own.begin() as conn:
            config = alembic_config()
            config.attributes["connection"] = conn
            command.upgrade(config, "head")
        yield own
        own.dispose()
        return
    with engine.connect() as conn:
        start = conn.execute(text("SELECT seq, row_hash FROM audit_chain_head")).one()
    yield engine
    with engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_log WHERE seq > :seq"), {"seq": start.seq})
        conn.execute(
            text("UPDATE audit_chain_head SET seq = :seq, row_hash = :h"), {"seq": start.seq, "h": start.row_hash}
        )


def _write(engine: Engine, thread: int) -> None:
    for i in range(PER_THREAD):
        with session_scope(engine) as session:  # one transaction per request, as the API does
            audit.record(session, "reveal_phone", target_type="household", target_id=i, reason=f"回访 {thread}-{i}")


def _head_seq(engine: Engine) -> int:
    with Session(engine) as session:
        head = session.get(AuditChainHead, 1)
        assert head is not None
        return head.seq


def _verify(engine: Engine) -> Verdict:
    with session_scope(engine) as session:
        return audit_chain.verify(session)


def test_concurrent_writers_build_one_chain_and_tampering_is_named(committed: Engine) -> None:
    start = _head_seq(committed)
    with ThreadPoolExecutor(THREADS) as pool:
        list(pool.map(lambda thread: _write(committed, thread), range(THREADS)))
    written = THREADS * PER_THREAD
    assert _head_seq(committed) == start + written
    assert _verify(committed) == Verdict(True, start + written, None)

    edited, deleted = start + 300, start + 900
    with committed.begin() as conn:
        ids: dict[int, int] = dict(
            conn.execute(
                text("SELECT seq, id FROM audit_log WHERE seq IN (:a, :b, :c)"),
                {"a": edited, "b": deleted, "c": deleted + 1},
            ).all()
        )
        original = conn.execute(text("SELECT reason FROM audit_log WHERE seq = :s"), {"s": edited}).scalar_one()
        conn.execute(text("UPDATE audit_log SET reason = '例行回访' WHERE seq = :s"), {"s": edited})
        conn.execute(text("DELETE FROM audit_log WHERE seq = :s"), {"s": deleted})
    assert _verify(committed).first_broken == Broken(edited, ids[edited], "hash_mismatch")

    with committed.begin() as conn:
        conn.execute(text("UPDATE audit_log SET reason = :r WHERE seq = :s"), {"r": original, "s": edited})
    assert _verify(committed).first_broken == Broken(deleted + 1, ids[deleted + 1], "seq_gap")


def test_rows_written_in_a_request_chain_on_from_the_head(session: Session) -> None:
    before = audit_chain.verify(session)
    for action in ("login", "export", "permission_change"):
        audit.record(session, action, reason="  带空格的理由  ", detail={"rows": 3})
    after = audit_chain.verify(session)
    assert before.ok and after.ok and after.rows_checked == before.rows_checked + 3
