from __future__ import annotations

import pytest

from services.rules.routing import choose_handling_unit

WATER, ROADS = 2, 1
# District 1 > town 4 > village 9 > grid 17; village 10 is village 9's sibling.
RULES = {
    (WATER, 4): 40,  # the town's water station handles water problems anywhere in the town
    (WATER, 9): 90,  # except in village 9, which has its own water steward
    (ROADS, 17): 170,  # grid 17 handles its own roads
}


@pytest.mark.parametrize(
    ("category_id", "chain", "expected"),
    [
        (WATER, [17, 9, 4, 1], 90),  # the village rule is nearer than the town rule
        (WATER, [9, 4, 1], 90),  # a request located at the village itself
        (WATER, [18, 10, 4, 1], 40),  # a grid of the other village falls back to the town rule
        (WATER, [4, 1], 40),
        (ROADS, [17, 9, 4, 1], 170),  # an exact match on the grid
        (ROADS, [18, 10, 4, 1], None),  # no rule anywhere up the chain: unrouted
        (WATER, [1], None),  # rules below the unit never apply upwards
        (99, [17, 9, 4, 1], None),  # unknown category
        (WATER, [], None),
    ],
)
def test_nearest_rule_wins(category_id: int, chain: list[int], expected: int | None) -> None:
    assert choose_handling_unit(category_id, chain, RULES) == expected


def test_no_rules_means_unrouted() -> None:
    assert choose_handling_unit(WATER, [17, 9, 4, 1], {}) is None
