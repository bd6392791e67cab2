from __future__ import annotations

from datetime import UTC, datetime
from zoneinfo import ZoneInfo

import pytest

from services.rules.deadlines import feedback_due_at, is_overdue

SHANGHAI = ZoneInfo("Asia/Shanghai")


@pytest.mark.parametrize(
    ("registered_at", "due_local"),
    [
        # Fri 2026-02-13 (before Spring Festival): 7 calendar days ignore holidays.
        (datetime(2026, 2, 13, 9, 30, tzinfo=SHANGHAI), datetime(2026, 2, 20, 23, 59, 59, tzinfo=SHANGHAI)),
        # Ten to midnight still counts as the day of registration.
        (datetime(2026, 11, 25, 23, 50, tzinfo=SHANGHAI), datetime(2026, 12, 2, 23, 59, 59, tzinfo=SHANGHAI)),
        # 20:00 UTC on the 24th is 04:00 on the 25th in Shanghai: the local date is what counts.
        (datetime(2026, 11, 24, 20, 0, tzinfo=UTC), datetime(2026, 12, 2, 23, 59, 59, tzinfo=SHANGHAI)),
        # Across a month and a year end.
        (datetime(2026, 12, 28, 10, 0, tzinfo=SHANGHAI), datetime(2027, 1, 4, 23, 59, 59, tzinfo=SHANGHAI)),
    ],
)
def test_seven_calendar_days_end_of_local_day(registered_at: datetime, due_local: datetime) -> None:
    assert feedback_due_at(registered_at, days=7, tz=SHANGHAI) == due_local


@pytest.mark.parametrize(
    ("met_at", "now", "overdue"),
    [
        (None, datetime(2026, 2, 20, 15, 59, 59, tzinfo=UTC), False),
        (None, datetime(2026, 2, 20, 16, 0, 0, tzinfo=UTC), True),
        (datetime(2026, 2, 19, tzinfo=UTC), datetime(2026, 3, 1, tzinfo=UTC), False),
    ],
)
def test_overdue(met_at: datetime | None, now: datetime, overdue: bool) -> None:
    due = datetime(2026, 2, 20, 23, 59, 59, tzinfo=SHANGHAI)
    assert is_overdue(due, met_at, now) is overdue
