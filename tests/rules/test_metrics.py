"""The measures as tables: what counts in each numerator and denominator, and what is not counted yet."""

from __future__ import annotations

from datetime import UTC, date, datetime, timedelta

import pytest

from models.enums import ClosureType, RatingLevel, RequestStatus
from services.rules.metrics import (
    Ratio,
    RequestRow,
    attendance,
    clock_ratio,
    on_time,
    request_figures,
    satisfaction,
)

NOW = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
DUE = NOW - timedelta(days=1)
HOUR = timedelta(hours=1)

CLOCKS: list[tuple[str, datetime, datetime | None, bool | None]] = [
    ("met before due", DUE, DUE - HOUR, True),
    ("met at the due instant", DUE, DUE, True),
    ("met late", DUE, DUE + HOUR, False),
    ("unmet past due", DUE, None, False),
    ("unmet, due now", NOW, None, False),
    ("still running", NOW + HOUR, None, None),
    ("met early, due later", NOW + HOUR, NOW, True),
]


@pytest.mark.parametrize(("due_at", "met_at", "expected"), [c[1:] for c in CLOCKS], ids=[c[0] for c in CLOCKS])
def test_on_time(due_at: datetime, met_at: datetime | None, expected: bool | None) -> None:
    assert on_time(due_at, met_at, NOW) is expected


def test_clock_ratio_counts_decided_clocks_only() -> None:
    ratio = clock_ratio([(c[1], c[2]) for c in CLOCKS], NOW)
    assert (ratio.numerator, ratio.denominator) == (3, 6)
    assert ratio.rate == 0.5


@pytest.mark.parametrize(("n", "d", "rate"), [(0, 0, None), (0, 3, 0.0), (2, 3, 0.6667), (989, 1000, 0.989)])
def test_ratio(n: int, d: int, rate: float | None) -> None:
    assert Ratio(n, d).rate == rate


def _row(
    status: RequestStatus,
    closure: ClosureType | None = None,
    *,
    cycle: int = 1,
    replied: bool = False,
    extended: bool = False,
) -> RequestRow:
    return RequestRow(status, closure, cycle, replied, extended)


S = RequestStatus
REQUESTS = [
    _row(S.registered),  # not yet accepted: in no denominator
    _row(S.not_accepted),  # refused: in no denominator
    _row(S.closed, ClosureType.on_spot),  # on the spot: handled
    _row(S.closed, ClosureType.substantive, replied=True),
    _row(S.replied, ClosureType.phased, replied=True, extended=True),
    _row(S.dispatched, cycle=2, replied=True),  # 不满意 reopened: replied once, not handled now
    _row(S.in_progress, extended=True),
    _row(S.accepted),
]


def test_request_figures() -> None:
    figures = request_figures(REQUESTS)
    assert (figures.handling.numerator, figures.handling.denominator) == (3, 6)
    assert (figures.on_spot.numerator, figures.on_spot.denominator) == (1, 6)
    assert (figures.reopen.numerator, figures.reopen.denominator) == (1, 3)
    assert (figures.extension.numerator, figures.extension.denominator) == (2, 6)


def test_nothing_registered_is_no_rate_not_zero() -> None:
    figures = request_figures([_row(S.registered)])
    assert figures.handling.rate is None and figures.on_spot.rate is None and figures.reopen.rate is None


def test_satisfaction_and_its_strict_form() -> None:
    L = RatingLevel
    broad, strict = satisfaction([L.satisfied, L.satisfied, L.basically_satisfied, L.unsatisfied])
    assert (broad.numerator, broad.denominator, broad.rate) == (3, 4, 0.75)
    assert (strict.numerator, strict.denominator, strict.rate) == (2, 4, 0.5)


TODAY = date(2026, 12, 1)
SESSIONS: list[tuple[str, str, date, bool | None]] = [
    # name, status, held_on, counts as held (True), not held (False), or not yet (None)
    ("held", "held", TODAY - timedelta(days=7), True),
    ("missed", "missed", TODAY - timedelta(days=14), False),
    ("past, never recorded", "scheduled", TODAY - timedelta(days=1), False),
    ("moved, past, never recorded", "rescheduled", TODAY - timedelta(days=2), False),
    ("today, not recorded yet", "scheduled", TODAY, None),
    ("held today", "held", TODAY, True),
    ("ahead", "scheduled", TODAY + timedelta(days=7), None),
    ("moved ahead", "rescheduled", TODAY + timedelta(days=1), None),
]


@pytest.mark.parametrize(("status", "held_on", "held"), [s[1:] for s in SESSIONS], ids=[s[0] for s in SESSIONS])
def test_attendance_per_session(status: str, held_on: date, held: bool | None) -> None:
    ratio = attendance([(status, held_on)], TODAY)
    assert (ratio.numerator, ratio.denominator) == {True: (1, 1), False: (0, 1), None: (0, 0)}[held]


def test_attendance_over_sessions() -> None:
    ratio = attendance([(s[1], s[2]) for s in SESSIONS], TODAY)
    assert (ratio.numerator, ratio.denominator) == (2, 5)
