"""The measures as tables: what counts in each numerator and denominator, and what is not counted yet."""

from __future__ import annotations

import pytest

from models.enums import ClosureType, RatingLevel, RequestStatus, Resolution
from services.rules.metrics import (
    CallbackRow,
    Ratio,
    RequestRow,
    attendance,
    clock_ratio,
    on_time,
    request_figures,
    resolution,
    satisfaction,
    satisfaction_by_source,
)

CLOCKS: list[tuple[str, bool, bool, bool, bool | None]] = [
    # name, met, met by its due time, past due, on time (True), late (False) or not counted yet (None)
    ("met before or at due", True, True, True, True),
    ("met late", True, False, True, False),
    ("met early, due later", True, True, False, True),
    ("unmet past due", False, False, True, False),
    ("still running", False, False, False, None),
]


@pytest.mark.parametrize(("met", "by_due", "past_due", "expected"), [c[1:] for c in CLOCKS], ids=[c[0] for c in CLOCKS])
def test_on_time(met: bool, by_due: bool, past_due: bool, expected: bool | None) -> None:
    assert on_time(met, by_due, past_due) is expected


def test_clock_ratio_counts_decided_clocks_only() -> None:
    ratio = clock_ratio([(c[1], c[2], c[3], 10 * (i + 1)) for i, c in enumerate(CLOCKS)])
    assert (ratio.numerator, ratio.denominator) == (10 + 30, 10 + 20 + 30 + 40)
    assert ratio.rate == 0.4


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
    unrated: bool = False,
    no_phone: bool = False,
) -> RequestRow:
    return RequestRow(status, closure, cycle, replied, extended, unrated, no_phone)


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
    figures = request_figures((row, 1) for row in REQUESTS)
    assert (figures.handling.numerator, figures.handling.denominator) == (3, 6)
    assert (figures.on_spot.numerator, figures.on_spot.denominator) == (1, 6)
    assert (figures.reopen.numerator, figures.reopen.denominator) == (1, 3)
    assert (figures.extension.numerator, figures.extension.denominator) == (2, 6)


def test_counts_weigh_their_group() -> None:
    figures = request_figures(
        [(_row(S.closed, ClosureType.on_spot), 3), (_row(S.accepted), 1), (_row(S.registered), 9)]
    )
    assert (figures.handling.numerator, figures.handling.denominator) == (3, 4)
    assert (figures.on_spot.numerator, figures.on_spot.denominator) == (3, 4)


def test_nothing_registered_is_no_rate_not_zero() -> None:
    figures = request_figures([(_row(S.registered), 5)])
    assert figures.handling.rate is None and figures.on_spot.rate is None and figures.reopen.rate is None


def test_unrated_closes_and_phoneless_replies_count_over_the_replied() -> None:
    figures = request_figures(
        [
            (_row(S.closed, ClosureType.substantive, replied=True, unrated=True), 2),  # 未评价结案
            (_row(S.closed, ClosureType.substantive, replied=True, no_phone=True), 1),  # rated, no phone to call
            (_row(S.dispatched, cycle=2, replied=True, unrated=True), 1),  # closed unrated, a late 不满意 reopened it
            (_row(S.replied, ClosureType.phased, replied=True), 4),
            (_row(S.closed, ClosureType.on_spot, no_phone=True), 3),  # never replied: in neither denominator
        ]
    )
    assert (figures.unrated_close.numerator, figures.unrated_close.denominator) == (3, 8)
    assert (figures.uncallable.numerator, figures.uncallable.denominator) == (1, 8)


def test_data_without_callbacks_keeps_its_figures() -> None:
    """The request measures read the two new flags beside the old ones and change nothing for old data."""
    old = request_figures((row, 1) for row in REQUESTS)
    assert (old.handling, old.on_spot, old.reopen, old.extension) == (
        Ratio(3, 6),
        Ratio(1, 6),
        Ratio(1, 3),
        Ratio(2, 6),
    )
    assert old.unrated_close == Ratio(0, 3) and old.uncallable == Ratio(0, 3)


L, R = RatingLevel, Resolution
CALLBACKS: list[tuple[str, CallbackRow, int]] = [
    # name, callback, how many
    ("not reached", CallbackRow(False, None, None, False), 5),
    ("solved, satisfied", CallbackRow(True, R.resolved, L.satisfied, False), 3),
    ("partly, basically", CallbackRow(True, R.partly_resolved, L.basically_satisfied, False), 2),
    ("unsolved, unsatisfied", CallbackRow(True, R.unresolved, L.unsatisfied, False), 1),
    ("solved, unsatisfied, resident rated too", CallbackRow(True, R.resolved, L.unsatisfied, True), 4),
]


def test_resolution_counts_reached_callbacks_only() -> None:
    solved, partly = resolution((row, n) for _, row, n in CALLBACKS)
    assert (solved.numerator, solved.denominator) == (3 + 4, 10)  # 5 not reached are no answer
    assert (partly.numerator, partly.denominator) == (2, 10)


@pytest.mark.parametrize(
    ("name", "row", "solved", "partly", "valid"),
    [
        ("not reached", CallbackRow(False, None, None, False), 0, 0, 0),
        ("solved", CallbackRow(True, R.resolved, L.satisfied, False), 1, 0, 1),
        ("partly", CallbackRow(True, R.partly_resolved, L.satisfied, False), 0, 1, 1),
        ("unsolved", CallbackRow(True, R.unresolved, L.satisfied, False), 0, 0, 1),
        ("solved, resident rated too", CallbackRow(True, R.resolved, L.satisfied, True), 1, 0, 1),
    ],
)
def test_resolution_per_callback(name: str, row: CallbackRow, solved: int, partly: int, valid: int) -> None:
    assert resolution([(row, 1)]) == (Ratio(solved, valid), Ratio(partly, valid))


def test_satisfaction_by_source() -> None:
    own = [(L.satisfied, 6), (L.basically_satisfied, 1), (L.unsatisfied, 3)]
    figures = satisfaction_by_source(own, [(row, n) for _, row, n in CALLBACKS])
    assert figures.own == Ratio(7, 10)
    assert figures.callback == Ratio(3 + 2, 3 + 2 + 1 + 4)  # every reached callback, rated by the resident or not
    # Combined: the ten own ratings, and the six reached callbacks of cycles the resident did not rate.
    assert figures.combined == Ratio(7 + 5, 10 + 6)
    assert figures.combined_strict == Ratio(6 + 3, 10 + 6)


def test_without_callbacks_the_combined_rate_is_the_old_one() -> None:
    own = [(L.satisfied, 2), (L.basically_satisfied, 1), (L.unsatisfied, 1)]
    figures = satisfaction_by_source(own, [])
    assert (figures.combined, figures.combined_strict) == satisfaction(own)
    assert figures.callback == Ratio(0, 0) and figures.callback.rate is None


def test_only_callbacks() -> None:
    figures = satisfaction_by_source([], [(CallbackRow(True, R.resolved, L.basically_satisfied, False), 2)])
    assert figures.own == Ratio(0, 0) and figures.combined == figures.callback == Ratio(2, 2)
    assert figures.combined_strict == Ratio(0, 2)


def test_satisfaction_and_its_strict_form() -> None:
    L = RatingLevel
    broad, strict = satisfaction([(L.satisfied, 2), (L.basically_satisfied, 1), (L.unsatisfied, 1)])
    assert (broad.numerator, broad.denominator, broad.rate) == (3, 4, 0.75)
    assert (strict.numerator, strict.denominator, strict.rate) == (2, 4, 0.5)


SESSIONS: list[tuple[str, str, bool, bool | None]] = [
    # name, status, its day has passed, counts as held (True), not held (False), or not yet (None)
    ("held", "held", True, True),
    ("missed", "missed", True, False),
    ("past, never recorded", "scheduled", True, False),
    ("moved, past, never recorded", "rescheduled", True, False),
    ("today or ahead, not recorded yet", "scheduled", False, None),
    ("held today", "held", False, True),
    ("moved ahead", "rescheduled", False, None),
]


@pytest.mark.parametrize(("status", "passed", "held"), [s[1:] for s in SESSIONS], ids=[s[0] for s in SESSIONS])
def test_attendance_per_session(status: str, passed: bool, held: bool | None) -> None:
    ratio = attendance([(status, passed, 2)])
    assert (ratio.numerator, ratio.denominator) == {True: (2, 2), False: (0, 2), None: (0, 0)}[held]


def test_attendance_over_sessions() -> None:
    ratio = attendance([(s[1], s[2], 1) for s in SESSIONS])
    assert (ratio.numerator, ratio.denominator) == (2, 5)
