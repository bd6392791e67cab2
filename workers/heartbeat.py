"""Each scheduled job records its heartbeat when it finishes; a database outage is one log line, not a traceback
per run."""

from __future__ import annotations

import functools
from collections.abc import Callable

from core.availability import database_outage, is_unavailable
from core.clock import utc_now
from core.db import session_scope
from services.health import heartbeat


def beating(job: Callable[[], object]) -> Callable[[], None]:
    """`job`, then its heartbeat in a transaction of its own; a run the database outage stopped is logged once and
    left to the next run (every job is idempotent)."""

    @functools.wraps(job)
    def run() -> None:
        try:
            job()
            with session_scope() as session:
                heartbeat.record(session, job.__name__, utc_now())
        except Exception as exc:
            if not is_unavailable(exc):
                raise
            database_outage.failed(exc)
            return
        database_outage.recovered()

    return run
