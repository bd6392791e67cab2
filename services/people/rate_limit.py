"""Fixed-window counters in the database, so limits hold across several API processes; and locks, for the
failures in a row of something that has no row of its own (a sign-in number without an account)."""

from __future__ import annotations

import math
from datetime import UTC, datetime, timedelta

from sqlalchemy import delete
from sqlmodel import Session, col, select

from core.db import dialect_insert
from models.audit import RateLimitBucket
from services.errors import TooManyRequests


def window_start(now: datetime, seconds: int) -> datetime:
    epoch = int(now.timestamp())
    return datetime.fromtimestamp(epoch - epoch % seconds, tz=UTC)


# The window of a count that time does not reset (failures in a row): prune never reaches it.
_UNTIMED = datetime(9999, 12, 31, tzinfo=UTC)


def _add_one(session: Session, key: str, start: datetime, now: datetime) -> int:
    statement = (
        dialect_insert(session, RateLimitBucket)
        .values(key=key, window_start=start, count=1, created_at=now)
        .on_conflict_do_update(
            index_elements=["key", "window_start"],
            set_={"count": RateLimitBucket.count + 1},
        )
        .returning(col(RateLimitBucket.count))
    )
    return int(session.execute(statement).scalar_one())


def add(session: Session, key: str, *, seconds: int, now: datetime) -> int:
    """Count one attempt under `key`; the attempts its current window holds, this one included."""
    return _add_one(session, key, window_start(now, seconds), now)


def used(session: Session, key: str, *, seconds: int, now: datetime) -> int:
    """The attempts the current window of `key` holds (nothing is counted)."""
    start = window_start(now, seconds)
    statement = select(RateLimitBucket.count).where(RateLimitBucket.key == key, RateLimitBucket.window_start == start)
    return session.exec(statement).first() or 0


def refused(*, seconds: int, now: datetime) -> TooManyRequests:
    """The answer for the rest of the current window: the wait in seconds, and in words."""
    end = window_start(now, seconds) + timedelta(seconds=seconds)
    return TooManyRequests(retry_after=max(int((end - now).total_seconds()) + 1, 1))


def hit(session: Session, key: str, *, limit: int, seconds: int, now: datetime) -> None:
    """Count one attempt under `key`; TooManyRequests once the window holds more than `limit`."""
    if add(session, key, seconds=seconds, now=now) > limit:
        raise refused(seconds=seconds, now=now)


def locked_for(session: Session, key: str, *, now: datetime) -> int:
    """Whole seconds left on the lock of `key`; 0 when it is not locked."""
    lock = session.exec(
        select(RateLimitBucket)
        .where(RateLimitBucket.key == f"lock:{key}", col(RateLimitBucket.window_start) > now)
        .order_by(col(RateLimitBucket.window_start).desc())
    ).first()
    return 0 if lock is None else math.ceil((lock.window_start - now).total_seconds())


def strike(session: Session, key: str, *, limit: int, lock_seconds: int, now: datetime) -> int:
    """One more failure in a row under `key`; the `limit`-th locks it for `lock_seconds` and the count starts
    again, as an account's wrong passwords do. Returns the seconds locked (0 below the limit)."""
    if _add_one(session, f"fails:{key}", _UNTIMED, now) < limit:
        return 0
    session.execute(delete(RateLimitBucket).where(col(RateLimitBucket.key) == f"fails:{key}"))
    until = now + timedelta(seconds=lock_seconds)
    lock = dialect_insert(session, RateLimitBucket).values(
        key=f"lock:{key}", window_start=until, count=0, created_at=now
    )
    session.execute(lock.on_conflict_do_nothing())
    return lock_seconds


def prune(session: Session, *, now: datetime, keep: timedelta = timedelta(days=1)) -> int:
    """Drop windows that ended long ago; they hold counters, not anything a person entered."""
    result = session.execute(delete(RateLimitBucket).where(col(RateLimitBucket.window_start) < now - keep))
    return int(getattr(result, "rowcount", 0) or 0)
