"""Audit chain benchmark: 10,000 audit rows written by concurrent writers, verified, then one row edited and
one deleted directly in the database, and the verifier must name them.

    python bench/audit_chain.py [--rows 10000] [--threads 16] [--url postgresql+psycopg://…/scratch]

Each writer is a thread with its own sessions, one transaction per row (as one HTTP request writes one), so
the chain head's lock is taken 10,000 times under contention. Without --url: a fresh SQLite file. With --url:
that database is migrated to head and written to (use a scratch database, never a real one)."""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from alembic import command
from alembic.config import Config
from sqlalchemy import Engine, text

from core.db import make_engine, session_scope
from core.settings import ROOT
from services import audit, audit_chain
from services.rules.audit_chain import Verdict


def _migrated(url: str) -> Engine:
    engine = make_engine(url)
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["configure_logger"] = False
    with engine.begin() as conn:
        config.attributes["connection"] = conn
        command.upgrade(config, "head")
    return engine


def _write(engine: Engine, thread: int, rows: int) -> None:
    for i in range(rows):
        with session_scope(engine) as session:
            audit.record(session, "reveal_phone", target_type="household", target_id=i, reason=f"回访 {thread}-{i}")


def _verify(engine: Engine) -> tuple[Verdict, float]:
    started = time.perf_counter()
    with session_scope(engine) as session:
        verdict = audit_chain.verify(session)
    return verdict, time.perf_counter() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--rows", type=int, default=10_000)
    # SQLite's one pooled connection (core/db.py) is handed out unfairly: many more waiting writers than this
    # can starve one past the pool's 30 s timeout.
    parser.add_argument("--threads", type=int, default=8)
    parser.add_argument("--url", help="a scratch database (default: a fresh SQLite file)")
    args = parser.parse_args()
    url = args.url or f"sqlite:///{Path(tempfile.mkdtemp(prefix='bandeng-bench-')) / 'chain.db'}"
    engine = _migrated(url)
    start = _verify(engine)[0].rows_checked
    per_thread = args.rows // args.threads
    started = time.perf_counter()
    with ThreadPoolExecutor(args.threads) as pool:
        list(pool.map(lambda thread: _write(engine, thread, per_thread), range(args.threads)))
    elapsed = time.perf_counter() - started
    written = per_thread * args.threads
    rate = f"{written / elapsed:.0f}/s"
    print(f"{engine.dialect.name}: {written} rows by {args.threads} writers in {elapsed:.1f} s ({rate})")
    verdict, took = _verify(engine)
    print(f"verify: ok={verdict.ok} rows_checked={verdict.rows_checked} in {took:.2f} s")
    edited, deleted = start + written // 3, start + 2 * written // 3
    with engine.begin() as conn:
        original = conn.execute(text("SELECT reason FROM audit_log WHERE seq = :s"), {"s": edited}).scalar_one()
        conn.execute(text("UPDATE audit_log SET reason = '例行回访' WHERE seq = :s"), {"s": edited})
        conn.execute(text("DELETE FROM audit_log WHERE seq = :s"), {"s": deleted})
    first = _verify(engine)[0].first_broken
    print(f"edited seq {edited}, deleted seq {deleted}: first broken {first}")
    with engine.begin() as conn:
        conn.execute(text("UPDATE audit_log SET reason = :r WHERE seq = :s"), {"r": original, "s": edited})
    after = _verify(engine)[0].first_broken
    print(f"seq {edited} put back as it was: first broken {after}")
    found = bool(first and first.seq == edited and after and after.seq == deleted + 1 and verdict.ok)
    print("detected: yes" if found else "detected: NO")
    return 0 if found else 1


if __name__ == "__main__":
    sys.exit(main())
