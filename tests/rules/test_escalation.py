from __future__ import annotations

import pytest

from models.enums import SlaStage, UnitKind
from services.rules.escalation import breach_goes_to_town, climbs_to_parent

K = UnitKind


@pytest.mark.parametrize(
    ("kind", "parent_kind", "climbs"),
    [
        (K.grid, K.village, True),  # grid → village
        (K.village, K.town, True),  # village → town
        (K.town, K.district, False),  # the ladder stops at the town
        (K.department, K.town, True),  # a town's department answers to its town
        (K.department, K.district, False),  # a district's department: the district is off the ladder
        (K.district, None, False),  # the root has nowhere to go
        (K.grid, None, False),
    ],
)
def test_the_parent_is_the_rung_above_only_below_the_town_and_on_the_ladder(
    kind: UnitKind, parent_kind: UnitKind | None, climbs: bool
) -> None:
    assert climbs_to_parent(kind, parent_kind) is climbs


@pytest.mark.parametrize(
    ("handling_kind", "stage", "to_town"),
    [
        (K.grid, SlaStage.breached, False),  # a grid's breach climbs one rung, to its village
        (K.village, SlaStage.breached, True),
        (K.department, SlaStage.breached, True),
        (K.town, SlaStage.breached, True),  # a town's own breach stays with the town
        (K.district, SlaStage.breached, False),  # off the ladder: the rung above decides (none)
        (K.grid, SlaStage.leadership, True),  # leadership always goes to the town
        (K.village, SlaStage.leadership, True),
        (K.department, SlaStage.leadership, True),
    ],
)
def test_a_breach_goes_to_the_town_except_a_grids_which_climbs_a_rung(
    handling_kind: UnitKind, stage: SlaStage, to_town: bool
) -> None:
    assert breach_goes_to_town(handling_kind, stage) is to_town
