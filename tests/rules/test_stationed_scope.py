from __future__ import annotations

import pytest

from services.rules.stationed_scope import may_act

A, B = 11, 12


@pytest.mark.parametrize(
    ("stationed", "village", "with_me", "at_desk", "allowed"),
    [
        (frozenset(), B, False, False, True),  # not stationed anywhere: the whole town
        (frozenset({A}), A, False, False, True),  # their own village
        (frozenset({A}), B, False, False, False),  # another village, not on the desk
        (frozenset({A}), B, False, True, True),  # another village, but on the town's desk
        (frozenset({A}), B, True, False, True),  # taken over by them or returned to their unit
        (frozenset({A}), None, False, False, False),  # above village level and not on the desk
        (frozenset({A, B}), B, False, False, True),  # stationed at two villages
    ],
)
def test_stationed_cadre_scope(
    stationed: frozenset[int], village: int | None, with_me: bool, at_desk: bool, allowed: bool
) -> None:
    decided = may_act(stationed=stationed, request_village=village, with_me=with_me, at_desk=lambda: at_desk)
    assert decided is allowed
