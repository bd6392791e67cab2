"""回访 rules as tables: what a callback must say, which satisfaction counts for a cycle, who calls back, and
when a reply nobody rated or called back is closed."""

from __future__ import annotations

from datetime import datetime, timedelta
from zoneinfo import ZoneInfo

import pytest

from models.enums import DurationUnit, RatingLevel, Resolution, Role, SatisfactionSource
from services.rules.callbacks import CALLERS, counting_source, outcome_problem, pleased, unrated_close_before
from services.rules.sla import due_at

SHANGHAI = ZoneInfo("Asia/Shanghai")
OK, PARTLY, NO = Resolution.resolved, Resolution.partly_resolved, Resolution.unresolved
SAT, BASIC, UNSAT = RatingLevel.satisfied, RatingLevel.basically_satisfied, RatingLevel.unsatisfied

OUTCOMES: list[tuple[str, bool, Resolution | None, RatingLevel | None, str | None]] = [
    # name, reached, resolution, satisfaction, the field named as wrong (None: fits)
    ("reached, solved, satisfied", True, OK, SAT, None),
    ("reached, partly, basically", True, PARTLY, BASIC, None),
    ("reached, unsolved, unsatisfied", True, NO, UNSAT, None),
    ("reached without an answer", True, None, None, "resolution"),
    ("reached, no satisfaction", True, OK, None, "satisfaction"),
    ("reached, no resolution", True, None, SAT, "resolution"),
    ("not reached, nothing said", False, None, None, None),
    ("not reached yet solved", False, OK, None, "resolution"),
    ("not reached yet satisfied", False, None, SAT, "satisfaction"),
]


@pytest.mark.parametrize(
    ("reached", "resolution", "level", "field"), [o[1:] for o in OUTCOMES], ids=[o[0] for o in OUTCOMES]
)
def test_outcome(reached: bool, resolution: Resolution | None, level: RatingLevel | None, field: str | None) -> None:
    problem = outcome_problem(reached, resolution, level)
    assert (problem[0] if problem else None) == field
    assert problem is None or problem[1]  # a message for people


COUNTING: list[tuple[bool, bool, SatisfactionSource | None]] = [
    # the resident rated the cycle, a callback reached them, which counts
    (True, True, SatisfactionSource.own),  # both: the resident's own word
    (True, False, SatisfactionSource.own),
    (False, True, SatisfactionSource.callback),
    (False, False, None),  # neither: nothing to count (a 未评价 close)
]


@pytest.mark.parametrize(("rated", "called", "counts"), COUNTING)
def test_which_satisfaction_counts(rated: bool, called: bool, counts: SatisfactionSource | None) -> None:
    assert counting_source(rated, called) == counts


@pytest.mark.parametrize(("level", "expected"), [(SAT, True), (BASIC, True), (UNSAT, False)])
def test_pleased(level: RatingLevel, expected: bool) -> None:
    assert pleased(level) is expected


@pytest.mark.parametrize(
    ("role", "calls"),
    [
        (Role.grid_member, True),
        (Role.grid_leader, True),
        (Role.village_staff, True),
        (Role.town_cadre, True),
        (Role.department_handler, False),  # a department handles; the first unit answers to the resident
        (Role.admin, False),
        (Role.auditor, False),
    ],
)
def test_callers(role: Role, calls: bool) -> None:
    assert (role in CALLERS) is calls


def _at(text: str) -> datetime:
    return datetime.fromisoformat(text).replace(tzinfo=SHANGHAI)


UNRATED: list[tuple[str, str, int, str, bool]] = [
    # name, replied at (local), days, now (local), closed by now
    ("the 7th day is not over", "2026-11-02 10:00", 7, "2026-11-09 23:00", False),
    ("the day after the 7th", "2026-11-02 10:00", 7, "2026-11-10 00:00", True),
    ("replied just before midnight", "2026-11-02 23:59", 7, "2026-11-10 00:01", True),
    ("replied just after midnight", "2026-11-03 00:01", 7, "2026-11-10 00:01", False),
    ("one day", "2026-11-02 10:00", 1, "2026-11-04 00:00", True),
    ("one day, the next evening", "2026-11-02 10:00", 1, "2026-11-03 22:00", False),
    ("across a month end", "2026-11-28 09:00", 7, "2026-12-06 08:00", True),
]


@pytest.mark.parametrize(("replied", "days", "now", "closed"), [u[1:] for u in UNRATED], ids=[u[0] for u in UNRATED])
def test_unrated_close_cut_off(replied: str, days: int, now: str, closed: bool) -> None:
    assert (_at(replied) < unrated_close_before(_at(now), days, SHANGHAI)) is closed


@pytest.mark.parametrize("days", [1, 7, 15])
def test_the_cut_off_counts_days_as_the_feedback_promise_does(days: int) -> None:
    """A reply is closed exactly when a calendar-day clock started at the reply would have run out."""
    start = _at("2026-11-02 00:00")
    for hour in range(0, 24 * 3, 5):
        replied = start + timedelta(hours=hour)
        runs_out = due_at(replied, days, DurationUnit.calendar_days, is_workday=lambda _: None, tz=SHANGHAI).at
        for now in (runs_out - timedelta(minutes=1), runs_out + timedelta(seconds=1)):
            assert (replied < unrated_close_before(now, days, SHANGHAI)) is (now > runs_out)
