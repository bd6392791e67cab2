"""Reception days: slot dates for weekly and fortnightly slots, moved off National Day and Spring Festival 2026."""

from __future__ import annotations

from datetime import date, timedelta

import pytest

from services.rules.reception_days import Slot, first_slot, next_workday, schedule, slot_dates


def _span(first: date, last: date) -> set[date]:
    return {first + timedelta(days=n) for n in range((last - first).days + 1)}


# 2026 official schedule around the two long holidays (国务院办公厅通知): days off and make-up working days.
HOLIDAYS = _span(date(2026, 2, 15), date(2026, 2, 23)) | _span(date(2026, 10, 1), date(2026, 10, 7))
MAKE_UP = {date(2026, 2, 14), date(2026, 2, 28), date(2026, 9, 20), date(2026, 10, 10)}


def official_2026(day: date) -> bool | None:
    if day.year != 2026:
        return None
    if day in HOLIDAYS:
        return False
    return day in MAKE_UP or day.weekday() < 5


@pytest.mark.parametrize(
    ("weekday", "starts_on", "expected"),
    [
        (1, date(2026, 9, 29), date(2026, 9, 29)),  # starts on the slot day itself
        (1, date(2026, 9, 30), date(2026, 10, 6)),
        (0, date(2026, 10, 4), date(2026, 10, 5)),
        (4, date(2026, 10, 3), date(2026, 10, 9)),
    ],
)
def test_first_slot(weekday: int, starts_on: date, expected: date) -> None:
    assert first_slot(weekday, starts_on) == expected


@pytest.mark.parametrize(
    ("every_weeks", "starts_on", "first", "last", "expected"),
    [
        (
            1,
            date(2026, 1, 1),
            date(2026, 9, 28),
            date(2026, 10, 14),
            [date(2026, 9, 29), date(2026, 10, 6), date(2026, 10, 13)],
        ),
        (
            2,
            date(2026, 9, 29),
            date(2026, 9, 28),
            date(2026, 10, 31),
            [date(2026, 9, 29), date(2026, 10, 13), date(2026, 10, 27)],
        ),
        # Fortnightly counts from the first slot, not from `first`: 9-29 + 2 weeks = 10-13.
        (2, date(2026, 9, 29), date(2026, 10, 1), date(2026, 10, 20), [date(2026, 10, 13)]),
        (1, date(2026, 11, 1), date(2026, 9, 1), date(2026, 11, 10), [date(2026, 11, 3), date(2026, 11, 10)]),
        (1, date(2026, 1, 1), date(2026, 10, 7), date(2026, 10, 5), []),
    ],
)
def test_slot_dates(every_weeks: int, starts_on: date, first: date, last: date, expected: list[date]) -> None:
    assert slot_dates(1, every_weeks, starts_on, first, last) == expected


@pytest.mark.parametrize(
    ("day", "expected"),
    [
        (date(2026, 10, 1), date(2026, 10, 8)),  # National Day, Thursday
        (date(2026, 10, 6), date(2026, 10, 8)),
        (date(2026, 10, 8), date(2026, 10, 8)),
        (date(2026, 10, 10), date(2026, 10, 10)),  # make-up Saturday is a working day
        (date(2026, 2, 17), date(2026, 2, 24)),  # Spring Festival, Tuesday
        (date(2026, 2, 14), date(2026, 2, 14)),  # make-up Saturday
        (date(2026, 2, 23), date(2026, 2, 24)),
        (date(2026, 3, 3), date(2026, 3, 3)),
        (date(2027, 1, 2), date(2027, 1, 4)),  # a year without official data: Monday to Friday
    ],
)
def test_next_workday(day: date, expected: date) -> None:
    assert next_workday(day, official_2026) == expected


@pytest.mark.parametrize(
    ("weekday", "every_weeks", "first", "last", "expected"),
    [
        # Weekly Monday: 10-05 moves to Thursday 10-08, before the next slot 10-12.
        (0, 1, date(2026, 9, 28), date(2026, 10, 12), [("09-28", "09-28"), ("10-05", "10-08"), ("10-12", "10-12")]),
        # Weekly Thursday: 10-01 would move onto the next slot 10-08, so that week is the next regular one.
        (3, 1, date(2026, 9, 24), date(2026, 10, 15), [("09-24", "09-24"), ("10-08", "10-08"), ("10-15", "10-15")]),
        # Weekly Tuesday in Spring Festival: 02-17 would land on 02-24, the next slot; dropped.
        (1, 1, date(2026, 2, 10), date(2026, 3, 3), [("02-10", "02-10"), ("02-24", "02-24"), ("03-03", "03-03")]),
        # Fortnightly Tuesday: 02-17 moves to 02-24, well before the next slot 03-03.
        (1, 2, date(2026, 2, 3), date(2026, 3, 3), [("02-03", "02-03"), ("02-17", "02-24"), ("03-03", "03-03")]),
        # Fortnightly Tuesday across National Day: 10-06 moves to Thursday 10-08.
        (1, 2, date(2026, 9, 22), date(2026, 10, 20), [("09-22", "09-22"), ("10-06", "10-08"), ("10-20", "10-20")]),
    ],
)
def test_schedule_moves_holidays(
    weekday: int, every_weeks: int, first: date, last: date, expected: list[tuple[str, str]]
) -> None:
    got = schedule(weekday, every_weeks, first, first, last, official_2026)
    assert got == [Slot(date.fromisoformat(f"2026-{a}"), date.fromisoformat(f"2026-{b}")) for a, b in expected]
