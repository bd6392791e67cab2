"""Fixed-window counters in the database, so limits hold across several API processes."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col

from core.db import dialect_insert
from models.audit import RateLimitBucket
from services.errors import TooManyRequests


def window_start(now: datetime, seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


def hit(session: Session, key: str, *, limit: int, seconds: int, now: datetime) -> None:
    """Count one attempt under `key`; TooManyRequests once the window holds more than `limit`."""
    start = window_start(now, seconds)
    statement = (
        dialect_insert(session, RateLimitBucket)
        .values(key=key, window_start=start, count=1, created_at=now)
        .on_conflict_do_update(
            index_elements=["key", "window_start"],
            set_={"count": RateLimitBucket.count + 1},
        )
        .returning(col(RateLimitBucket.count))
    )
    count = session.execute(statement).scalar_one()
    if count > limit:
        retry_after = int((start + timedelta(seconds=seconds) - now).total_seconds()) + 1
        raise TooManyRequests(retry_after=max(retry_after, 1))


def prune(session: Session, *, now: datetime, keep: timedelta = timedelta(days=1)) -> int:
    """Drop windows that ended long ago; they hold counters, not anything a person entered."""
    result = session.execute(delete(RateLimitBucket).where(col(RateLimitBucket.window_start) < now - keep))
    return int(getattr(result, "rowcount", 0) or 0)
