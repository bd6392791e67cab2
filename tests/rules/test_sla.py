"""SLA arithmetic against the official 2026 calendar (chinesecalendar), with fixed instants."""

from __future__ import annotations

from datetime import UTC, date, datetime, time, timedelta
from zoneinfo import ZoneInfo

import chinese_calendar
import pytest

from models.enums import DurationUnit, SlaClock, SlaStage
from services.rules import sla

SHANGHAI = ZoneInfo("Asia/Shanghai")


def official(day: date) -> bool | None:
    """The package's answer for years it covers; None (unknown) for later ones, as our table does."""
    return bool(chinese_calendar.is_workday(day)) if day.year <= 2026 else None


def local(year: int, month: int, day: int, hour: int = 0, minute: int = 0, second: int = 0) -> datetime:
    return datetime(year, month, day, hour, minute, second, tzinfo=SHANGHAI)


@pytest.mark.parametrize(
    ("started", "amount", "unit", "due", "provisional"),
    [
        # DESIGN.md: 7 working days from Fri 2026-02-13 (Spring Festival, make-up Saturdays 02-14 and 02-28).
        (local(2026, 2, 13, 10, 0), 7, DurationUnit.working_days, local(2026, 3, 2, 23, 59, 59), False),
        # The make-up Saturday 02-28 is day 1.
        (local(2026, 2, 27, 16, 0), 7, DurationUnit.working_days, local(2026, 3, 9, 23, 59, 59), False),
        # National Day: day 1 is Thu 10-08, make-up Sat 10-10 counts.
        (local(2026, 10, 1, 9, 0), 7, DurationUnit.working_days, local(2026, 10, 15, 23, 59, 59), False),
        # Consultation: 2 working days from a Friday end on Tuesday.
        (local(2026, 11, 27, 9, 0), 2, DurationUnit.working_days, local(2026, 12, 1, 23, 59, 59), False),
        # 7 calendar days ignore holidays, end of the 7th local day.
        (local(2026, 2, 13, 9, 30), 7, DurationUnit.calendar_days, local(2026, 2, 20, 23, 59, 59), False),
        # Ten to midnight still counts as the day of registration.
        (local(2026, 11, 25, 23, 50), 7, DurationUnit.calendar_days, local(2026, 12, 2, 23, 59, 59), False),
        # 20:00 UTC on the 24th is 04:00 on the 25th in Shanghai: the local date is what counts.
        (
            datetime(2026, 11, 24, 20, 0, tzinfo=UTC),
            7,
            DurationUnit.calendar_days,
            local(2026, 12, 2, 23, 59, 59),
            False,
        ),
        # Across the year end, calendar days need no calendar.
        (local(2026, 12, 28, 10, 0), 7, DurationUnit.calendar_days, local(2027, 1, 4, 23, 59, 59), False),
        # Emergency: 2 hours, to the minute, day or night.
        (local(2026, 2, 16, 23, 30), 2, DurationUnit.hours, local(2026, 2, 17, 1, 30), False),
        (local(2026, 11, 25, 9, 0), 24, DurationUnit.hours, local(2026, 11, 26, 9, 0), False),
        # 2027 is not published: Monday–Friday, provisional, no exception.
        (local(2026, 12, 28, 10, 0), 7, DurationUnit.working_days, local(2027, 1, 6, 23, 59, 59), True),
        (local(2027, 3, 5, 10, 0), 7, DurationUnit.working_days, local(2027, 3, 16, 23, 59, 59), True),
    ],
)
def test_due_at(started: datetime, amount: int, unit: DurationUnit, due: datetime, provisional: bool) -> None:
    result = sla.due_at(started, amount, unit, is_workday=official, tz=SHANGHAI)
    assert (result.at, result.provisional) == (due, provisional)
    assert result.at.tzinfo is not None


def test_unknown_years_are_named() -> None:
    result = sla.due_at(local(2026, 12, 28, 10), 7, DurationUnit.working_days, is_workday=official, tz=SHANGHAI)
    assert result.unknown_years == {2027}


def test_warning_at_a_share_of_the_time_allowed() -> None:
    started, due = local(2026, 11, 2, 0, 0), local(2026, 11, 9, 0, 0)
    assert sla.warn_at(started, due, 70) == started + timedelta(days=4.9)


STARTED = local(2026, 11, 2, 9, 0)
WARN, DUE = local(2026, 11, 7, 9, 0), local(2026, 11, 9, 23, 59, 59)
FEEDBACK = sla.thresholds(SlaClock.feedback, WARN, DUE, 2)


@pytest.mark.parametrize(
    ("now", "current", "reached", "next_at"),
    [
        (local(2026, 11, 3), SlaStage.running, SlaStage.running, WARN),
        (WARN, SlaStage.running, SlaStage.warning, DUE),
        (DUE + timedelta(seconds=1), SlaStage.warning, SlaStage.breached, DUE + timedelta(days=2)),
        # The worker was down through warning and breach: it jumps to the highest stage reached.
        (DUE + timedelta(hours=26), SlaStage.running, SlaStage.breached, DUE + timedelta(days=2)),
        (DUE + timedelta(days=3), SlaStage.running, SlaStage.leadership, None),
        # Never backwards, e.g. after an extension moved the due time later.
        (local(2026, 11, 3), SlaStage.breached, SlaStage.breached, DUE + timedelta(days=2)),
    ],
)
def test_stages(now: datetime, current: SlaStage, reached: SlaStage, next_at: datetime | None) -> None:
    stage = sla.reached(FEEDBACK, now, current)
    assert stage == reached
    assert sla.next_action(FEEDBACK, stage) == next_at


def test_response_clock_stops_at_breach() -> None:
    steps = sla.thresholds(SlaClock.response, WARN, DUE, 2)
    assert set(steps) == {SlaStage.warning, SlaStage.breached}
    assert sla.next_action(steps, SlaStage.breached) is None


@pytest.mark.parametrize(
    ("now", "until"),
    [
        (local(2026, 11, 25, 21, 59), None),
        (local(2026, 11, 25, 22, 0), local(2026, 11, 26, 7, 0)),
        (local(2026, 11, 26, 3, 0), local(2026, 11, 26, 7, 0)),
        (local(2026, 11, 26, 7, 0), None),
    ],
)
def test_quiet_hours_cross_midnight(now: datetime, until: datetime | None) -> None:
    assert sla.quiet_until(now, time(22, 0), time(7, 0), SHANGHAI) == until


def test_quiet_hours_within_a_day_and_none() -> None:
    assert sla.quiet_until(local(2026, 11, 25, 13, 0), time(12, 0), time(14, 0), SHANGHAI) == local(2026, 11, 25, 14)
    assert sla.quiet_until(local(2026, 11, 25, 13, 0), time(0, 0), time(0, 0), SHANGHAI) is None


@pytest.mark.parametrize(
    ("met_at", "now", "overdue"),
    [
        (None, datetime(2026, 2, 20, 15, 59, 59, tzinfo=UTC), False),
        (None, datetime(2026, 2, 20, 16, 0, 0, tzinfo=UTC), True),
        (datetime(2026, 2, 19, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC), False),
    ],
)
def test_overdue(met_at: datetime | None, now: datetime, overdue: bool) -> None:
    assert sla.is_overdue(local(2026, 2, 20, 23, 59, 59), met_at, now) is overdue
