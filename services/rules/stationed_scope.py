"""Where a town cadre may act: the villages they are stationed at (驻点), what is in their own hands, and
whatever has reached the town's escalation desk. A cadre stationed nowhere works across the town."""

from __future__ import annotations

from collections.abc import Callable


def may_act(
    *, stationed: frozenset[int], request_village: int | None, with_me: bool, at_desk: Callable[[], bool]
) -> bool:
    """`stationed`: the cadre's villages; `request_village`: the village the request is in (None above the
    village level); `with_me`: handled by the cadre or their unit; `at_desk`: asked last, only when it
    decides (it is a query)."""
    if not stationed or with_me:
        return True
    if request_village is not None and request_village in stationed:
        return True
    return at_desk()
