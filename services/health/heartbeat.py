"""The scheduler's heartbeat: each job records when it last finished; /health reads the latest."""

from __future__ import annotations

from datetime import datetime

from sqlmodel import Session, col, select

from core.db import dialect_insert
from models.heartbeat import SchedulerHeartbeat


def record(session: Session, job: str, finished_at: datetime) -> None:
    """Note that `job` finished at `finished_at` (one row per job, overwritten)."""
    insert = dialect_insert(session, SchedulerHeartbeat).values(job=job, finished_at=finished_at)
    session.execute(insert.on_conflict_do_update(index_elements=["job"], set_={"finished_at": finished_at}))


def last_run(session: Session) -> SchedulerHeartbeat | None:
    """The job that finished most recently, or None if the scheduler never finished one."""
    latest = select(SchedulerHeartbeat).order_by(col(SchedulerHeartbeat.finished_at).desc()).limit(1)
    return session.exec(latest).first()
