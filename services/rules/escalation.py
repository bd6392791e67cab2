"""The escalation ladder (grid → village → town) as a rule over unit kinds: when a unit's parent is the rung
above it, and whether an SLA breach climbs one rung or goes straight to the town."""

from __future__ import annotations

from models.enums import SlaStage, UnitKind

LADDER = frozenset({UnitKind.grid, UnitKind.village, UnitKind.town})
# The units whose own breach is the town's to chase (a town's stays with the town).
_TOWN_CHASES = frozenset({UnitKind.village, UnitKind.department, UnitKind.town})


def climbs_to_parent(kind: str, parent_kind: str | None) -> bool:
    """A unit's parent is the rung above it when the unit stands below the town and the parent is a rung."""
    return kind != UnitKind.town and parent_kind in LADDER


def breach_goes_to_town(handling_kind: str, stage: SlaStage) -> bool:
    """Leadership, and a village's, a department's or a town's breach, go to the town; a grid's climbs a rung."""
    return stage == SlaStage.leadership or handling_kind in _TOWN_CHASES
