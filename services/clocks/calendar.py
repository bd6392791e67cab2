"""The working-day calendar: read from the database, cached per process and re-read when a year is
written (by this process or another). Importing a year and recounting its deadlines is `deadlines`' job."""

from __future__ import annotations

import threading
from dataclasses import dataclass
from datetime import date, datetime

from sqlalchemy import delete, event, func, insert
from sqlmodel import Session, col, select

from core.settings import get_settings
from models.calendar_schemas import (
    FALLBACK_NOTE,
    CalendarCoverage,
    CalendarDayPublic,
    CalendarYearDetail,
    CalendarYearPublic,
)
from models.enums import DAY_KIND_LABELS, WEEKDAY_LABELS, DayKind
from models.sla import WorkCalendarDay, WorkCalendarYear

NEXT_YEAR_ALERT_FROM = (11, 15)  # from 15 November, next year's schedule should be in (it ships Oct/Nov)


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
# A session that imported a year keeps its own copy: what it wrote is not committed and may never be.
_SESSION_KEY = "bandeng.work_calendar"


def _stamp(session: Session) -> tuple[int, datetime | None]:
    count, latest = session.execute(
        select(func.count(col(WorkCalendarYear.year)), func.max(col(WorkCalendarYear.imported_at)))
    ).one()
    return int(count), latest


def _read(session: Session) -> WorkCalendar:
    years = frozenset(session.exec(select(WorkCalendarYear.year)).all())
    rows = session.execute(select(col(WorkCalendarDay.day), col(WorkCalendarDay.is_workday))).all()
    return WorkCalendar(days=dict(rows), years=years)


def load(session: Session) -> WorkCalendar:
    """The calendar, from the cache unless a year was imported since it was read (one small query)."""
    global _cached
    stamp = _stamp(session)
    if _SESSION_KEY in session.info:
        held: tuple[tuple[int, datetime | None], WorkCalendar] | None = session.info[_SESSION_KEY]
        if held is None or held[0] != stamp:
            held = session.info[_SESSION_KEY] = (stamp, _read(session))
        return held[1]
    with _lock:
        if _cached is not None and _cached[0] == stamp:
            return _cached[1]
    calendar = _read(session)
    with _lock:
        _cached = (stamp, calendar)
    return calendar


def _drop_copy(session: Session, _transaction: object) -> None:
    session.info[_SESSION_KEY] = None  # committed or rolled back (maybe to a savepoint): read again


def _forget(session: Session) -> None:
    """After a write: this session reads its own calendar from now on; the process re-reads after commit."""
    global _cached
    with _lock:
        _cached = None
    session.info[_SESSION_KEY] = None
    if not event.contains(session, "after_transaction_end", _drop_copy):
        event.listen(session, "after_transaction_end", _drop_copy)


# --- Writing a year ---


def write_year(
    session: Session, year: int, rows: list[dict[str, object]], source: str, actor_id: int | None, now: datetime
) -> bool:
    """Replace the year's rows in one go and mark it imported; True if the year was there before."""
    session.execute(
        delete(WorkCalendarDay).where(col(WorkCalendarDay.day).between(date(year, 1, 1), date(year, 12, 31)))
    )
    session.execute(insert(WorkCalendarDay), rows)
    found = session.get(WorkCalendarYear, year)
    entry = found or WorkCalendarYear(year=year, source=source)
    entry.source, entry.imported_at, entry.imported_by_id = source, now, actor_id
    session.add(entry)
    session.flush()
    _forget(session)
    return found is not None


# --- Reading back what is covered ---


def local_today(now: datetime) -> date:
    return now.astimezone(get_settings().tz).date()


def years_to_alert(known: set[int] | frozenset[int], today: date) -> list[int]:
    """This year if it is missing; next year too from 15 November."""
    wanted = [today.year]
    if (today.month, today.day) >= NEXT_YEAR_ALERT_FROM:
        wanted.append(today.year + 1)
    return [year for year in wanted if year not in known]


def known_years(session: Session) -> frozenset[int]:
    return frozenset(session.exec(select(WorkCalendarYear.year)).all())


def coverage(session: Session, now: datetime) -> CalendarCoverage:
    """The years with an official schedule, and which of this year and next year are missing."""
    rows = session.exec(select(WorkCalendarYear).order_by(col(WorkCalendarYear.year))).all()
    this_year = local_today(now).year
    missing = [year for year in (this_year, this_year + 1) if year not in {row.year for row in rows}]
    warning = None
    if missing:
        warning = f"{'、'.join(str(y) for y in missing)} 年工作日历尚未导入，涉及的期限暂按周一至周五计算并标记为临时"
    return CalendarCoverage(
        years=[CalendarYearPublic.model_validate(row, from_attributes=True) for row in rows],
        current_year=this_year,
        missing=missing,
        warning=warning,
    )


def year_detail(session: Session, year: int) -> CalendarYearDetail:
    """A year's holidays and make-up days; a year never imported answers official=false, not an error."""
    entry = session.get(WorkCalendarYear, year)
    rows = session.exec(
        select(WorkCalendarDay)
        .where(col(WorkCalendarDay.day).between(date(year, 1, 1), date(year, 12, 31)))
        .where(col(WorkCalendarDay.kind).in_([DayKind.holiday, DayKind.makeup_workday]))
        .order_by(col(WorkCalendarDay.day))
    ).all()
    days = [
        CalendarDayPublic(
            date=row.day,
            kind=DayKind(row.kind),
            kind_label=DAY_KIND_LABELS[DayKind(row.kind)],
            name=row.name,
            is_workday=row.is_workday,
            weekday_label=WEEKDAY_LABELS[row.day.weekday()],
        )
        for row in rows
    ]
    holidays = sum(day.kind == DayKind.holiday for day in days)
    return CalendarYearDetail(
        year=year,
        official=entry is not None,
        source=entry.source if entry else None,
        imported_at=entry.imported_at if entry else None,
        holidays=holidays,
        makeup_workdays=len(days) - holidays,
        days=days,
        note=None if entry else FALLBACK_NOTE,
    )
