"""Scheduled jobs: thin sweeps over services, each item in its own transaction."""

from __future__ import annotations

import logging
from datetime import datetime

from sqlalchemy import Engine, delete
from sqlmodel import col

from core.clock import utc_now
from core.db import session_scope
from models.user import RefreshToken
from services import rate_limit

log = logging.getLogger("bandeng.workers")


def prune_rate_limits(now: datetime | None = None, engine: Engine | None = None) -> int:
    """Drop rate-limit windows that ended more than a day ago."""
    with session_scope(engine) as session:
        removed = rate_limit.prune(session, now=now or utc_now())
    log.info("pruned %d rate-limit windows", removed)
    return removed


def prune_refresh_tokens(now: datetime | None = None, engine: Engine | None = None) -> int:
    """Drop refresh tokens that expired: they can never be used again and only hold hashes."""
    with session_scope(engine) as session:
        result = session.execute(delete(RefreshToken).where(col(RefreshToken.expires_at) < (now or utc_now())))
        removed = int(getattr(result, "rowcount", 0) or 0)
    log.info("pruned %d expired refresh tokens", removed)
    return removed
