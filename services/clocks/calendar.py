"""The working-day calendar: read from the database, cached per process and re-read when a year is
imported (by this process or another); a year's official schedule is imported all or nothing."""

from __future__ import annotations

import threading
from collections.abc import Sequence
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
    ImportResult,
)
from models.enums import DAY_KIND_LABELS, WEEKDAY_LABELS, DayKind, DurationUnit, Role, SlaClock
from models.resident_request import ResidentRequest
from models.sla import SlaPolicy, SlaTimer, WorkCalendarDay, WorkCalendarYear
from services import audit
from services.actor import Actor
from services.errors import PermissionDenied
from services.rules import calendar_schedule as schedule
from services.rules.calendar_schedule import read_schedule, validate

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


# --- Importing a year ---


def _write_year(
    session: Session, year: int, rows: list[dict[str, object]], source: str, actor_id: int | None, now: datetime
) -> bool:
    """Replace the year's rows; True if the year was there before."""
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


def _touched_timers(session: Session, year: int, replaced: bool) -> list[int]:
    """Live timers whose window overlaps the year: the provisional ones, and on a corrected re-import
    every timer counted in working days."""
    tz = get_settings().tz
    start, end = datetime(year, 1, 1, tzinfo=tz), datetime(year + 1, 1, 1, tzinfo=tz)
    query = select(SlaTimer.id).where(
        col(SlaTimer.met_at).is_(None), col(SlaTimer.started_at) < end, col(SlaTimer.due_at) >= start
    )
    if replaced:
        working = select(SlaPolicy.id).where(SlaPolicy.unit == DurationUnit.working_days)
        query = query.where(col(SlaTimer.provisional) | col(SlaTimer.policy_id).in_(working))
    else:
        query = query.where(col(SlaTimer.provisional))
    return [timer_id for timer_id in session.exec(query).all() if timer_id is not None]


def _recompute(session: Session, timer_ids: list[int], now: datetime) -> tuple[int, int]:
    """Deadlines counted again on the calendar as it is now; a request mirrors its feedback timer.
    Returns (recomputed, moved)."""
    from services.clocks import sla  # sla reads this calendar: imported here to keep the import graph one-way

    if not timer_ids:
        return 0, 0
    owners = select(SlaTimer.resident_request_id).where(col(SlaTimer.id).in_(timer_ids))
    # Requests first, then timers: the order the sweep and request actions lock in.
    requests = {
        rr.id: rr
        for rr in session.exec(
            select(ResidentRequest)
            .where(col(ResidentRequest.id).in_(owners))
            .order_by(col(ResidentRequest.id))
            .with_for_update()
            .execution_options(populate_existing=True)
        ).all()
    }
    timers = session.exec(
        select(SlaTimer)
        .where(col(SlaTimer.id).in_(timer_ids), col(SlaTimer.met_at).is_(None))  # read again under the lock
        .order_by(col(SlaTimer.id))
        .execution_options(populate_existing=True)
    ).all()
    policies: dict[int, SlaPolicy | None] = {}
    moved = 0
    for timer in timers:
        policy = policies.setdefault(timer.policy_id, session.get(SlaPolicy, timer.policy_id))
        assert policy is not None
        moved += sla.recompute(session, timer, policy, now)
        rr = requests[timer.resident_request_id]
        if timer.clock == SlaClock.feedback and timer.cycle == rr.cycle and rr.feedback_due_at != timer.due_at:
            rr.feedback_due_at, rr.updated_at = timer.due_at, now
    return len(timers), moved


def refresh_provisional(session: Session, now: datetime) -> tuple[int, int]:
    """Provisional deadlines whose years are all known by now, counted again: a request registered while
    an import was committing (PostgreSQL) kept the fallback. Returns (recomputed, moved)."""
    tz, known = get_settings().tz, known_years(session)
    rows = session.exec(
        select(SlaTimer.id, SlaTimer.started_at, SlaTimer.due_at).where(
            col(SlaTimer.provisional), col(SlaTimer.met_at).is_(None)
        )
    ).all()
    settled = [
        timer_id
        for timer_id, started_at, due_at in rows
        if timer_id is not None
        and known.issuperset(range(started_at.astimezone(tz).year, due_at.astimezone(tz).year + 1))
    ]
    return _recompute(session, settled, now)


def import_year(
    session: Session, year: int, entries: Sequence[object], *, source: str, actor: Actor | None, now: datetime
) -> ImportResult:
    """Replace a year's calendar with its official schedule (only holidays and make-up days are listed),
    then recompute the deadlines counted over it. All in the caller's transaction, or nothing."""
    if actor is not None and actor.role != Role.admin:
        raise PermissionDenied()
    source = source.strip()[:100] or "管理员导入"
    special = validate(year, entries)
    rows = schedule.year_rows(year, special)
    replaced = _write_year(session, year, rows, source, actor.id if actor else None, now)
    recomputed, moved = _recompute(session, _touched_timers(session, year, replaced), now)
    holidays = sum(s.kind == DayKind.holiday for s in special)
    result = ImportResult(
        year=year,
        days=len(rows),
        holidays=holidays,
        makeup_workdays=len(special) - holidays,
        replaced=replaced,
        timers_recomputed=recomputed,
        timers_moved=moved,
        source=source,
        imported_at=now,
        summary=(
            f"{'已替换' if replaced else '已导入'} {year} 年工作日历：{len(rows)} 天，法定节假日 {holidays} 天，"
            f"调休上班 {len(special) - holidays} 天；重算期限 {recomputed} 个，其中 {moved} 个到期时间有变化"
        ),
    )
    detail = result.model_dump(mode="json", include={"year", "holidays", "makeup_workdays", "replaced", "source"})
    detail |= {"timers_recomputed": recomputed, "timers_moved": moved}
    audit.record(
        session,
        "calendar.import",
        actor=actor,
        target_type="work_calendar_year",
        target_id=year,
        detail=detail,
        now=now,
    )
    return result


def import_file(
    session: Session, raw: bytes, *, csv_format: bool, year: int | None, source: str, actor: Actor | None, now: datetime
) -> ImportResult:
    """A schedule file (JSON or CSV) read, checked and imported: the one path of the API and the CLI."""
    chosen, entries = read_schedule(raw, csv_format=csv_format, year=year)
    return import_year(session, chosen, entries, source=source, actor=actor, now=now)


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


@dataclass(frozen=True)
class CoverageCheck:
    missing: list[int]  # years admins were alerted about (once per year and admin)
    recomputed: int
    moved: int


def check_coverage(session: Session, now: datetime) -> CoverageCheck:
    """The daily check: alert admins when this year's schedule is missing, or next year's from 15 November
    (once per year and admin), and settle provisional deadlines whose years are known by now."""
    from services.clocks import sla  # sla reads this calendar: imported here to keep the import graph one-way

    missing = years_to_alert(known_years(session), local_today(now))
    if missing:
        sla.alert_calendar_missing(session, missing, now)
    recomputed, moved = refresh_provisional(session, now)
    return CoverageCheck(missing, recomputed, moved)
