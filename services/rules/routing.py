"""Routing: which unit handles a new request, from rules set per category and place."""

from __future__ import annotations

from collections.abc import Mapping, Sequence


def choose_handling_unit(
    category_id: int, location_chain: Sequence[int], rules: Mapping[tuple[int, int], int]
) -> int | None:
    """The rule set on the unit nearest to where the problem is wins; None when no rule applies.

    `location_chain` lists unit ids from the request's unit up to the root, nearest first; `rules`
    maps (category_id, unit_id) to the handling unit id.
    """
    for unit_id in location_chain:
        handling_unit_id = rules.get((category_id, unit_id))
        if handling_unit_id is not None:
            return handling_unit_id
    return None
