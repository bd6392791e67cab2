"""The working-day calendar as the SLA rules see it: read from the database, cached per process and
re-read when a year is imported (by this process or another)."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import func
from sqlmodel import Session, col, select

from models.sla import WorkCalendarDay, WorkCalendarYear


@dataclass(frozen=True)
class WorkCalendar:
    days: dict[date, bool]
    years: frozenset[int]

    def is_workday(self, day: date) -> bool | None:
        """True/False from the official schedule; None for a year without one (callers fall back)."""
        if day.year not in self.years:
            return None
        return self.days.get(day)


_lock = threading.Lock()
_cached: tuple[tuple[int, datetime | None], WorkCalendar] | None = None


def _stamp(session: Session) -> tuple[int, datetime | None]:
    count, latest = session.execute(
        select(func.count(col(WorkCalendarYear.year)), func.max(col(WorkCalendarYear.imported_at)))
    ).one()
    return int(count), latest


def load(session: Session) -> WorkCalendar:
    """The calendar, from the cache unless a year was imported since it was read (one small query)."""
    global _cached
    stamp = _stamp(session)
    with _lock:
        if _cached is not None and _cached[0] == stamp:
            return _cached[1]
    years = frozenset(session.exec(select(WorkCalendarYear.year)).all())
    rows = session.execute(select(col(WorkCalendarDay.day), col(WorkCalendarDay.is_workday))).all()
    calendar = WorkCalendar(days=dict(rows), years=years)
    with _lock:
        _cached = (stamp, calendar)
    return calendar
