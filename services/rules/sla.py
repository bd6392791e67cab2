"""SLA arithmetic: due times on the working-day calendar, stage thresholds, quiet hours. Pure: the clock,
the calendar and the time zone are passed in."""

from __future__ import annotations

from collections.abc import Callable, Mapping
from dataclasses import dataclass
from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

from models.enums import DurationUnit, SlaClock, SlaStage

# Whether a date is worked: True/False from the official calendar, None for a year it does not know.
IsWorkday = Callable[[date], bool | None]


@dataclass(frozen=True)
class Due:
    at: datetime
    provisional: bool  # some day counted lies in a year without an official calendar
    unknown_years: frozenset[int] = frozenset()


def end_of_day(day: date, tz: ZoneInfo) -> datetime:
    """23:59:59 local on `day`, as an aware UTC instant."""
    return datetime.combine(day, time(23, 59, 59), tzinfo=tz).astimezone(UTC)


def add_working_days(start: date, days: int, is_workday: IsWorkday) -> tuple[date, frozenset[int]]:
    """The `days`-th working day after `start` (day 1 is the first working day after it), and the years
    that had to fall back to Monday–Friday."""
    day, counted, unknown = start, 0, set()
    while counted < days:
        day += timedelta(days=1)
        known = is_workday(day)
        if known is None:
            unknown.add(day.year)
            known = day.weekday() < 5
        counted += known
    return day, frozenset(unknown)


def due_at(started_at: datetime, amount: int, unit: DurationUnit, *, is_workday: IsWorkday, tz: ZoneInfo) -> Due:
    """When a clock started at `started_at` runs out.

    hours: exactly that many hours later. calendar_days: the end of the Nth local day after the start
    day. working_days: the end of the Nth working day after the start day (make-up Saturdays count,
    holidays don't)."""
    if unit == DurationUnit.hours:
        return Due(started_at + timedelta(hours=amount), False)
    start_day = started_at.astimezone(tz).date()
    if unit == DurationUnit.calendar_days:
        return Due(end_of_day(start_day + timedelta(days=amount), tz), False)
    day, unknown = add_working_days(start_day, amount, is_workday)
    return Due(end_of_day(day, tz), bool(unknown), unknown)


def warn_at(started_at: datetime, due: datetime, warn_percent: int) -> datetime:
    """The instant `warn_percent` of the time allowed is used up."""
    return started_at + (due - started_at) * warn_percent / 100


def thresholds(
    clock: SlaClock, warn: datetime, due: datetime, leadership_after_days: int
) -> Mapping[SlaStage, datetime]:
    """When each stage is reached. Only the feedback clock climbs to town leadership."""
    steps = {SlaStage.warning: min(warn, due), SlaStage.breached: due}
    if clock == SlaClock.feedback:
        steps[SlaStage.leadership] = due + timedelta(days=leadership_after_days)
    return steps


def reached(steps: Mapping[SlaStage, datetime], now: datetime, current: SlaStage) -> SlaStage:
    """The highest stage whose threshold has passed; never lower than the current one."""
    passed = [stage for stage, at in steps.items() if at <= now]
    return max([current, *passed])


def next_action(steps: Mapping[SlaStage, datetime], stage: SlaStage) -> datetime | None:
    """When the sweep must look again: the threshold of the next stage, or never."""
    later = [at for s, at in steps.items() if s > stage]
    return min(later) if later else None


def quiet_until(now: datetime, quiet_start: time, quiet_end: time, tz: ZoneInfo) -> datetime | None:
    """The end of quiet hours if `now` falls inside them (the window may cross midnight), else None."""
    if quiet_start == quiet_end:
        return None
    local = now.astimezone(tz)
    clock = local.time()
    crosses_midnight = quiet_start > quiet_end
    inside = (clock >= quiet_start or clock < quiet_end) if crosses_midnight else quiet_start <= clock < quiet_end
    if not inside:
        return None
    end_day = local.date() + timedelta(days=1) if crosses_midnight and clock >= quiet_start else local.date()
    return datetime.combine(end_day, quiet_end, tzinfo=tz).astimezone(UTC)


def is_overdue(due: datetime, met_at: datetime | None, now: datetime) -> bool:
    return met_at is None and now > due
