"""Deadline math: pure, with the clock and the time zone passed in."""

from __future__ import annotations

from datetime import UTC, datetime, time, timedelta
from zoneinfo import ZoneInfo


def end_of_local_day(day_start: datetime, tz: ZoneInfo) -> datetime:
    """23:59:59 local on the local date of `day_start`, as an aware instant."""
    local = day_start.astimezone(tz)
    return datetime.combine(local.date(), time(23, 59, 59), tzinfo=tz).astimezone(UTC)


def feedback_due_at(registered_at: datetime, *, days: int, tz: ZoneInfo) -> datetime:
    """N calendar days counted from the day after registration, due at the end of the Nth day, local time."""
    local_date = registered_at.astimezone(tz).date() + timedelta(days=days)
    return datetime.combine(local_date, time(23, 59, 59), tzinfo=tz).astimezone(UTC)


def is_overdue(due_at: datetime, met_at: datetime | None, now: datetime) -> bool:
    return met_at is None and now > due_at
