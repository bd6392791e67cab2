"""Recounting deadlines, in one place: after a year's calendar is imported, once a provisional deadline's
years are known, and when an admin re-pins timers to a policy's current version.

Every recount locks the owning requests first and then reads the timers again — the order the sweep and
request actions lock in, so none of them deadlock — and each request mirrors its feedback timer."""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from datetime import datetime

from sqlalchemy import ColumnElement
from sqlmodel import Session, col, select

from core.settings import get_settings
from models.calendar_schemas import CalendarImportResult
from models.enums import DayKind, DurationUnit, Role
from models.resident_request import ResidentRequest
from models.sla import SlaPolicy, SlaTimer
from services import audit
from services.actor import Actor
from services.clocks import calendar, sla
from services.errors import PermissionDenied
from services.rules import calendar_schedule as schedule


@dataclass(frozen=True)
class Recount:
    timers: int  # live timers read under the lock
    recounted: int  # those whose request was locked: the others are left for the next recount
    moved: int  # those whose due time moved


def recount(session: Session, which: ColumnElement[bool], now: datetime, *, pin: SlaPolicy | None = None) -> Recount:
    """The live timers `which` selects, counted again on the calendar as it is now (after moving them onto
    `pin` if given); a request mirrors its feedback timer. Requests are locked first, then timers re-read."""
    live = (which, col(SlaTimer.met_at).is_(None))
    owners = select(SlaTimer.resident_request_id).where(*live)
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
        select(SlaTimer).where(*live).order_by(col(SlaTimer.id)).execution_options(populate_existing=True)
    ).all()
    policies: dict[int, SlaPolicy | None] = {}
    recounted = moved = 0
    for timer in timers:
        rr = requests.get(timer.resident_request_id)
        if rr is None:
            continue  # its request was created after the lock was taken: left for the next recount
        if pin is not None:
            timer.policy_id = pin.id or 0
        policy = pin or policies.setdefault(timer.policy_id, session.get(SlaPolicy, timer.policy_id))
        assert policy is not None
        moved += sla.recompute(session, timer, policy, now)
        sla.mirror(rr, timer, now)
        recounted += 1
    return Recount(timers=len(timers), recounted=recounted, moved=moved)


def _recount_timers(session: Session, timer_ids: list[int], now: datetime) -> Recount:
    if not timer_ids:
        return Recount(timers=0, recounted=0, moved=0)
    return recount(session, col(SlaTimer.id).in_(timer_ids), now)


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


def refresh_provisional(session: Session, now: datetime) -> Recount:
    """Provisional deadlines whose years are all known by now, counted again: a request registered while
    an import was committing (PostgreSQL) kept the fallback."""
    tz, known = get_settings().tz, calendar.known_years(session)
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
    return _recount_timers(session, settled, now)


def import_year(
    session: Session, year: int, entries: Sequence[object], *, source: str, actor: Actor | None, now: datetime
) -> CalendarImportResult:
    """Replace a year's calendar with its official schedule (only holidays and make-up days are listed),
    then recount the deadlines counted over it. All in the caller's transaction, or nothing."""
    if actor is not None and actor.role != Role.admin:
        raise PermissionDenied()
    source = source.strip()[:100] or "管理员导入"
    special = schedule.validate(year, entries)
    rows = schedule.year_rows(year, special)
    replaced = calendar.write_year(session, year, rows, source, actor.id if actor else None, now)
    done = _recount_timers(session, _touched_timers(session, year, replaced), now)
    holidays = sum(s.kind == DayKind.holiday for s in special)
    result = CalendarImportResult(
        year=year,
        days=len(rows),
        holidays=holidays,
        makeup_workdays=len(special) - holidays,
        replaced=replaced,
        timers_recomputed=done.recounted,
        timers_moved=done.moved,
        source=source,
        imported_at=now,
        summary=(
            f"{'已替换' if replaced else '已导入'} {year} 年工作日历：{len(rows)} 天，法定节假日 {holidays} 天，"
            f"调休上班 {len(special) - holidays} 天；重算期限 {done.recounted} 个，其中 {done.moved} 个到期时间有变化"
        ),
    )
    detail = result.model_dump(mode="json", include={"year", "holidays", "makeup_workdays", "replaced", "source"})
    detail |= {"timers_recomputed": done.recounted, "timers_moved": done.moved}
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
) -> CalendarImportResult:
    """A schedule file (JSON or CSV) read, checked and imported: the one path of the API and the CLI."""
    chosen, entries = schedule.read_schedule(raw, csv_format=csv_format, year=year)
    return import_year(session, chosen, entries, source=source, actor=actor, now=now)


@dataclass(frozen=True)
class CoverageCheck:
    missing: list[int]  # years admins were alerted about (once per year and admin)
    recomputed: int
    moved: int


def check_coverage(session: Session, now: datetime) -> CoverageCheck:
    """The daily check: alert admins when this year's schedule is missing, or next year's from 15 November
    (once per year and admin), and settle provisional deadlines whose years are known by now."""
    missing = calendar.years_to_alert(calendar.known_years(session), calendar.local_today(now))
    if missing:
        sla.alert_calendar_missing(session, missing, now)
    done = refresh_provisional(session, now)
    return CoverageCheck(missing, done.recounted, done.moved)
