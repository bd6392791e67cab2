"""A spent refresh token presented again: a retry after a lost answer, or reuse of a copy — as a table."""

from __future__ import annotations

from datetime import UTC, datetime, timedelta

import pytest

from services.rules.refresh_retry import is_lost_answer_retry

SPENT = datetime(2026, 12, 1, 8, 0, tzinfo=UTC)
S = timedelta(seconds=1)
WINDOW = 30 * S

CASES: list[tuple[str, timedelta, timedelta, list[bool], bool]] = [
    # name, seconds since spent, window, later tokens used?, retry
    ("at once, successor unused", 2 * S, WINDOW, [False], True),
    ("at the window's edge", WINDOW, WINDOW, [False], True),
    ("just past the window", WINDOW + S, WINDOW, [False], False),
    ("successor already used: the chain moved on", 2 * S, WINDOW, [True], False),
    ("a later token used further down the chain", 2 * S, WINDOW, [False, True], False),
    ("nothing issued after it (never answered at all)", 2 * S, WINDOW, [], False),
    ("retries turned off", 2 * S, timedelta(0), [False], False),
]


@pytest.mark.parametrize(("since", "window", "later", "retry"), [c[1:] for c in CASES], ids=[c[0] for c in CASES])
def test_is_lost_answer_retry(since: timedelta, window: timedelta, later: list[bool], retry: bool) -> None:
    assert is_lost_answer_retry(SPENT, SPENT + since, window, later) is retry
